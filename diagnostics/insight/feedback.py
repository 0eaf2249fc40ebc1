"""The dashboard's "Was this helpful?" figures: answers per guide and the latest comments.

Unlike the rest of the dashboard, these are **not** rolled up: feedback can
arrive after a day is closed (the end screen stays open), and comments are
text that ``purge_diagnoses`` erases, which a rollup row must never hold. So
they are two live queries, each bounded and indexed: the diagnoses of the
filters are found by their (kind, created) index within the chosen range (at
most ``MAX_DAYS``), and each one's feedback by the unique index on
``Feedback.diagnosis``. One query counts yes and no per guide; the other
reads at most :data:`LATEST_COMMENTS` comments.

The same diagnoses are counted as on the rest of the dashboard (same filters,
live or demo, answered at least once, grouped by the day they started).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Count

from diagnostics.insight.rollups import Scope, _diagnosis_filter
from diagnostics.models import Feedback

LATEST_COMMENTS = 20

GUIDE_SLUG = "diagnosis__guide_version__guide__slug"
GUIDE_TITLE = "diagnosis__guide_version__guide__title"


@dataclass(frozen=True)
class FeedbackCounts:
    """The answers for one guide (or all of them), of the diagnoses that reached an end."""

    slug: str
    title: str
    yes: int
    no: int
    ended: int  # diagnoses of the filters that reached an end screen (from the outcomes)

    @property
    def answered(self) -> int:
        return self.yes + self.no


@dataclass(frozen=True)
class Comment:
    created: datetime
    guide: str
    helpful: bool
    comment: str
    diagnosis: UUID
    support_code: str


def answers_per_guide(*, scope: Scope) -> dict[str, tuple[str, int, int]]:
    """``{slug: (title, yes, no)}`` for the diagnoses of ``scope`` (one query)."""
    rows = (
        Feedback.objects.filter(_diagnosis_filter(scope, "diagnosis__"))
        .order_by()
        .values(GUIDE_SLUG, GUIDE_TITLE, "helpful")
        .annotate(n=Count("pk"))
    )
    titles: dict[str, str] = {}
    yes: dict[str, int] = defaultdict(int)
    no: dict[str, int] = defaultdict(int)
    for row in rows:
        slug = row[GUIDE_SLUG]
        titles[slug] = row[GUIDE_TITLE]
        (yes if row["helpful"] else no)[slug] += row["n"]
    return {slug: (title, yes[slug], no[slug]) for slug, title in titles.items()}


def latest_comments(*, scope: Scope, limit: int = LATEST_COMMENTS) -> list[Comment]:
    """The newest ``limit`` answers with a comment, newest first (one query)."""
    rows = (
        Feedback.objects.filter(_diagnosis_filter(scope, "diagnosis__"))
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
