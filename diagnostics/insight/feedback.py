"""The dashboard's latest "Was this helpful?" comments, read live.

The yes and no counts are rolled up with the rest of the dashboard
(:mod:`diagnostics.insight.rollups`, which says how an answer given after its
day was stored is counted once). Comments are text that ``purge_diagnoses``
erases, which a rollup row must never hold, so the latest ones are read live:
newest first by the index on ``Feedback.created``, from the start of the
range on (an answer never comes before its diagnosis), each one's diagnosis
checked against the filters by its primary key, until :data:`LATEST_COMMENTS`
are found. No scan joined over the diagnoses of the range.

The same diagnoses are counted as on the rest of the dashboard (same filters,
live or demo, answered at least once, grouped by the day they started).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from diagnostics.insight.rollups import Scope, _diagnosis_filter, day_start
from diagnostics.models import Feedback

LATEST_COMMENTS = 20

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
    """The newest ``limit`` answers with a comment, newest first (one query)."""
    rows = (
        Feedback.objects.filter(
            _diagnosis_filter(scope, "diagnosis__"), created__gte=day_start(scope.start)
        )
        .exclude(comment="")
        .order_by("-created", "-pk")
        .values(
            "created", "helpful", "comment", "diagnosis_id", "diagnosis__support_code", GUIDE_TITLE
        )[:limit]
    )
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
