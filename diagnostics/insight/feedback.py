"""The dashboard's latest "Was this helpful?" comments, read live.

The yes and no counts are rolled up with the rest of the dashboard
(:mod:`diagnostics.insight.rollups`, which says how an answer given after its
day was stored is counted once). Comments are text that ``purge_diagnoses``
erases, which a rollup row must never hold, so the latest ones are read live:
among the newest :data:`WALK` comments given since the range began (an
answer never comes before its diagnosis), read by the index on
``Feedback.created``, each one's diagnosis looked up by its key and checked
against the filters, until :data:`LATEST_COMMENTS` are found. Only when
fewer fit (filters that match few of the recent comments: a small site, a
range long past) are the diagnoses of the range read instead, as few as
those filters cover.

The same diagnoses are counted as on the rest of the dashboard (same filters,
live or demo, answered at least once, grouped by the day they started).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet, Subquery

from diagnostics.insight.rollups import Scope, _diagnosis_filter, day_start, fenced_filter
from diagnostics.models import Feedback

LATEST_COMMENTS = 20
WALK = 400  # the newest comments looked through before reading the range's diagnoses

GUIDE_TITLE = "diagnosis__guide_version__guide__title"


@dataclass(frozen=True)
class Comment:
    created: datetime
    guide: str
    helpful: bool
    comment: str
    diagnosis: UUID
    support_code: str


def latest_comments(*, scope: Scope, limit: int = LATEST_COMMENTS) -> list[Comment]:
    """The newest ``limit`` answers with a comment, newest first (one query, or two)."""
    comments = Feedback.objects.filter(created__gte=day_start(scope.start)).exclude(comment="")
    newest = comments.order_by("-created", "-pk").values("pk")[:WALK]
    rows = _read(
        comments.filter(pk__in=Subquery(newest))
        .alias(fits=fenced_filter(scope, "diagnosis__"))
        .filter(fits=True),
        limit,
    )
    if len(rows) < limit:
        rows = _read(comments.filter(_diagnosis_filter(scope, "diagnosis__")), limit)
    return [
        Comment(
            created=row["created"],
            guide=row[GUIDE_TITLE],
            helpful=row["helpful"],
            comment=row["comment"],
            diagnosis=row["diagnosis_id"],
            support_code=row["diagnosis__support_code"],
        )
        for row in rows
    ]


def _read(comments: QuerySet[Feedback], limit: int) -> list[dict[str, Any]]:
    fields = ("created", "helpful", "comment", "diagnosis_id", "diagnosis__support_code")
    return list(comments.order_by("-created", "-pk").values(*fields, GUIDE_TITLE)[:limit])
