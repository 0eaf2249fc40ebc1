"""Figures for support staff: which fixes work, and where people give up."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from diagnostics import engine
from diagnostics.flow.retention import NEVER_ANSWERED
from diagnostics.models import Diagnosis, FixAttempt, Guide, guide_for_version


@dataclass(frozen=True)
class FixFigures:
    fix: str
    title: str
    tried: int
    fixed: int
    not_fixed: int
    cannot: int

    @property
    def success_rate(self) -> int:
        """Percent of attempts that fixed the problem."""
        return round(100 * self.fixed / self.tried) if self.tried else 0


@dataclass(frozen=True)
class StopFigures:
    """How many diagnoses stopped at (or ended on) one step."""

    step: str
    label: str
    count: int


@dataclass(frozen=True)
class GuideReport:
    guide: Guide
    statuses: dict[str, int]  # diagnoses with at least one answer, by status
    unanswered: int  # opened and never answered: counted apart, not as people who gave up
    fixes: list[FixFigures]
    stops: list[StopFigures]
    endings: list[StopFigures]  # finished diagnoses, by the outcome they ended on


def _labels(guide: Guide) -> dict[str, str]:
    """Human names for step keys, across every version of the guide (newest wins)."""
    labels: dict[str, str] = {}
    for version_id in guide.versions.order_by("number").values_list("pk", flat=True):
        parsed = guide_for_version(version_id)
        steps = [*parsed.questions, *parsed.fixes, *parsed.outcomes.values()]
        keys = [engine.step_key(step) for step in steps]
        labels.update({key: parsed.label(key) for key in keys})
    return labels


def guide_report(*, guide: Guide) -> GuideReport:
    """Outcomes, fix success rates and drop-off points for one guide, all versions.

    "Resolved" covers both a fix that worked and an outcome explaining why the
    guide does not apply (an Apple outage, another provider): ``endings``
    tells them apart.
    """
    labels = _labels(guide)
    # Staff walking a draft (kind "preview") are nobody's diagnosis: never counted.
    opened = Diagnosis.objects.filter(guide_version__guide=guide).exclude(
        kind=Diagnosis.Kind.PREVIEW
    )
    # A start screen left without an answer (a look, a double click, a page
    # elsewhere posting Start) is nobody giving up: those are counted apart.
    unanswered = opened.filter(NEVER_ANSWERED)
    diagnoses = opened.exclude(pk__in=unanswered.values("pk"))
    statuses = dict(diagnoses.values_list("status").annotate(n=Count("pk")).order_by())
    rows = (
        FixAttempt.objects.filter(diagnosis__guide_version__guide=guide)
        .exclude(diagnosis__kind=Diagnosis.Kind.PREVIEW)
        .values("fix")
        .annotate(
            tried=Count("pk"),
            fixed=Count("pk", filter=Q(result=FixAttempt.Result.FIXED)),
            not_fixed=Count("pk", filter=Q(result=FixAttempt.Result.NOT_FIXED)),
            cannot=Count("pk", filter=Q(result=FixAttempt.Result.CANNOT)),
        )
        .order_by("-tried", "fix")
    )
    fixes = [
        FixFigures(title=labels.get(engine.make_key("fix", row["fix"]), row["fix"]), **row)
        for row in rows
    ]
    stopped = (
        diagnoses.filter(status__in=[Diagnosis.Status.ABANDONED, Diagnosis.Status.IN_PROGRESS])
        .values("last_step")
        .annotate(n=Count("pk"))
        .order_by("-n", "last_step")
    )
    ended = (
        diagnoses.filter(status__in=[Diagnosis.Status.RESOLVED, Diagnosis.Status.ESCALATED])
        .values("last_step")
        .annotate(n=Count("pk"))
        .order_by("-n", "last_step")
    )
    stops, endings = (
        [
            StopFigures(
                step=row["last_step"], label=labels.get(row["last_step"], ""), count=row["n"]
            )
            for row in rows
        ]
        for rows in (stopped, ended)
    )
    return GuideReport(
        guide=guide,
        statuses={label: statuses.get(value, 0) for value, label in Diagnosis.Status.choices},
        unanswered=unanswered.count(),
        fixes=fixes,
        stops=stops,
        endings=endings,
    )
