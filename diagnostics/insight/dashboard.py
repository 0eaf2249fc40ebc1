"""The staff dashboard's figures: outcomes, fixes, the funnel, time and the trend.

:func:`dashboard` adds up the totals of :mod:`diagnostics.insight.rollups`
(stored days plus live ones) for the filters staff chose and derives every
rate from the counts it shows, with the sample size beside it. Intervals and
medians come from the pure :mod:`diagnostics.engine.stats`; the ranking's
order-corrected estimate from the learning store, as the ranking itself sees it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from diagnostics import engine
from diagnostics.engine.stats import Interval, describe_bucket, median_bucket, wilson_interval
from diagnostics.insight.feedback import Comment, latest_comments
from diagnostics.insight.rollups import (
    Figures,
    Scope,
    add_figures,
    empty_figures,
    today,
    totals_for,
)
from diagnostics.learning import api
from diagnostics.learning.evidence import prior_scale, read_evidence
from diagnostics.models import EmbedSite, Guide, GuideVersion, guide_for_version

OUTCOME_LABELS = (
    ("fixed", "Resolved by a fix"),
    ("explained", "Ended by an explanation"),
    ("escalated", "Escalated to support"),
    ("abandoned", "Abandoned"),
    ("in_progress", "Still in progress"),
)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    guide: Guide | None = None
    version: GuideVersion | None = None
    site: EmbedSite | None = None
    no_site: bool = False  # only diagnoses on the help desk itself
    demo: bool = False  # demo data only, instead of live data


@dataclass(frozen=True)
class Rate:
    """A proportion with its sample size and 95% Wilson interval."""

    part: int
    n: int

    @property
    def percent(self) -> float | None:
        return 100 * self.part / self.n if self.n else None

    @property
    def interval(self) -> Interval | None:
        return wilson_interval(self.part, self.n)


@dataclass(frozen=True)
class OutcomeRow:
    key: str
    label: str
    count: int
    share: Rate


@dataclass(frozen=True)
class FixRow:
    guide: str
    fix: str
    title: str
    shown: int
    tried: int
    fixed: int
    not_fixed: int
    cannot: int
    success: Rate  # fixed of tried
    estimate: float | None  # the ranking's order-corrected estimate (all live evidence)


@dataclass(frozen=True)
class StepRow:
    guide: str
    step: str
    label: str
    views: int
    exits: int
    exit_rate: Rate
    timed: int  # answers with a time
    median_time: str  # the bucket holding the median, in words ("" when none)


@dataclass(frozen=True)
class DayRow:
    day: date
    started: int
    resolved: int
    rate: Rate


@dataclass(frozen=True)
class FeedbackRow:
    """ "Was this helpful?" for one guide (or, with ``guide`` empty, all of them)."""

    guide: str
    yes: int
    no: int
    answered: int
    helpful: Rate  # yes of answered
    response: Rate  # answered of the diagnoses that reached an end screen


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    started: int
    outcomes: list[OutcomeRow]
    resolution: Rate  # resolved (by a fix or an explanation) of started
    resolution_time: str
    resolution_timed: int
    fixes: list[FixRow]
    steps: list[StepRow]
    trend: list[DayRow]
    rolled_up_through: date | None
    many_guides: bool
    estimates_note: list[str] = field(default_factory=list)
    feedback: list[FeedbackRow] = field(default_factory=list)  # per guide, then the total
    comments: list[Comment] = field(default_factory=list)  # the latest, newest first


def _labels(version_ids: set[int]) -> dict[int, engine.Guide]:
    return {version_id: guide_for_version(version_id) for version_id in sorted(version_ids)}


def _estimates(guide: Guide) -> dict[str, float]:
    """The ranking's order-corrected estimate per fix, for everyone (as the ranking has it)."""
    if guide.current_version_id is None:
        return {}
    read = read_evidence(slug=guide.slug)
    parsed = guide_for_version(guide.current_version_id)
    known = api.knowledge(parsed, read.table, pinned=False, prior_scale=prior_scale(read.tick))
    return {row.fix.id: row.p for row in known.estimates({})}


def scope_of(filters: Filters) -> Scope:
    versions: frozenset[int] | None = None
    if filters.version is not None:
        versions = frozenset({filters.version.pk})
    elif filters.guide is not None:
        versions = frozenset(filters.guide.versions.values_list("pk", flat=True))
    return Scope(
        start=filters.start,
        end=filters.end + timedelta(days=1),
        versions=versions,
        site=filters.site.pk if filters.site is not None else None,
        no_site=filters.no_site,
        demo=filters.demo,
    )


def _ended(counts: dict[str, int]) -> int:
    """Diagnoses that reached an end screen, where "Was this helpful?" is asked."""
    return counts["fixed"] + counts["explained"] + counts["escalated"]


def _feedback_row(guide: str, yes: int, no: int, ended: int) -> FeedbackRow:
    answered = yes + no
    return FeedbackRow(
        guide=guide,
        yes=yes,
        no=no,
        answered=answered,
        helpful=Rate(yes, answered),
        # Counted with the outcomes, so at most one per ended diagnosis; but an
        # answer can outlive a change to its diagnosis (a resumed one), and a
        # share must never exceed 100%.
        response=Rate(answered, max(ended, answered)),
    )


def _feedback(per_guide: dict[str, Figures], titles: dict[str, str]) -> list[FeedbackRow]:
    rows = []
    for slug in sorted(per_guide):
        figures = per_guide[slug]
        answers = figures.get("feedback", {})
        yes, no = answers.get("yes", 0), answers.get("no", 0)
        ended = _ended(figures["outcomes"])
        if ended or yes or no:
            rows.append(_feedback_row(titles.get(slug, slug), yes, no, ended))
    if len(rows) > 1:
        rows.append(
            _feedback_row(
                "",
                sum(row.yes for row in rows),
                sum(row.no for row in rows),
                sum(row.response.n for row in rows),
            )
        )
    return rows


def dashboard(*, filters: Filters, now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard for ``filters``."""
    scope = scope_of(filters)
    totals = totals_for(scope=scope, now=now)
    parsed = _labels(set(totals.versions))
    guides = {version_id: guide.slug for version_id, guide in parsed.items()}
    titles = {guide.slug: guide.title for guide in parsed.values()}

    total = empty_figures()
    per_guide: dict[str, Figures] = defaultdict(empty_figures)
    per_day = totals.days
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for version_id in sorted(totals.versions):
        figures = totals.versions[version_id]
        add_figures(total, {"outcomes": figures["outcomes"], "resolution": figures["resolution"]})
        add_figures(per_guide[guides[version_id]], figures)
    for version_id in sorted(parsed):  # newest version's words win
        guide = parsed[version_id]
        steps = [*guide.questions, *guide.fixes, *guide.outcomes.values()]
        labels[guide.slug].update(
            {engine.step_key(s): guide.label(engine.step_key(s)) for s in steps}
        )

    counts = total["outcomes"]
    started = counts["started"]
    outcomes = [
        OutcomeRow(key=key, label=label, count=counts[key], share=Rate(counts[key], started))
        for key, label in OUTCOME_LABELS
    ]
    resolved = counts["fixed"] + counts["explained"]
    resolution_hist = {int(k): v for k, v in total["resolution"].items()}
    resolution_bucket = median_bucket(resolution_hist)

    estimates: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    for slug in sorted(per_guide):
        guide = Guide.objects.filter(slug=slug).first()
        if guide is not None:
            estimates[slug] = _estimates(guide)
            if guide.pin_author_order:
                notes.append(f"{guide.title}: pinned to the author's order")

    fixes: list[FixRow] = []
    steps: list[StepRow] = []
    for slug in sorted(per_guide):
        figures = per_guide[slug]
        for fix_id, c in figures["fixes"].items():
            fixes.append(
                FixRow(
                    guide=titles.get(slug, slug),
                    fix=fix_id,
                    title=labels[slug].get(engine.make_key("fix", fix_id), fix_id),
                    shown=c.get("shown", 0),
                    tried=c.get("tried", 0),
                    fixed=c.get("fixed", 0),
                    not_fixed=c.get("not_fixed", 0),
                    cannot=c.get("cannot", 0),
                    success=Rate(c.get("fixed", 0), c.get("tried", 0)),
                    estimate=estimates.get(slug, {}).get(fix_id),
                )
            )
        for step_key, c in figures["steps"].items():
            histogram = {int(k): v for k, v in c.get("seconds", {}).items()}
            bucket = median_bucket(histogram)
            steps.append(
                StepRow(
                    guide=titles.get(slug, slug),
                    step=step_key,
                    label=labels[slug].get(step_key, step_key),
                    views=c.get("views", 0),
                    exits=c.get("exits", 0),
                    exit_rate=Rate(c.get("exits", 0), c.get("views", 0)),
                    timed=sum(histogram.values()),
                    median_time=describe_bucket(bucket) if bucket is not None else "",
                )
            )
    fixes.sort(key=lambda row: (-row.tried, -row.shown, row.guide, row.fix))
    steps.sort(key=lambda row: (-row.views, row.guide, row.step))

    trend = []
    day = filters.start
    while day <= filters.end:
        c = per_day[day] if day in per_day else empty_figures()["outcomes"]
        done = c["fixed"] + c["explained"]
        trend.append(
            DayRow(day=day, started=c["started"], resolved=done, rate=Rate(done, c["started"]))
        )
        day += timedelta(days=1)

    return Dashboard(
        filters=filters,
        started=started,
        outcomes=outcomes,
        resolution=Rate(resolved, started),
        resolution_time=describe_bucket(resolution_bucket) if resolution_bucket is not None else "",
        resolution_timed=sum(resolution_hist.values()),
        fixes=fixes,
        steps=steps,
        trend=trend,
        rolled_up_through=totals.through,
        many_guides=len(per_guide) > 1,
        estimates_note=notes,
        feedback=_feedback(per_guide, titles),
        comments=latest_comments(scope=scope),
    )


def default_range(now: datetime | None = None, days: int = 30) -> tuple[date, date]:
    """The last ``days`` days, today included."""
    end = today(now)
    return end - timedelta(days=days - 1), end
