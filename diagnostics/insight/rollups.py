"""The dashboard's counts per day and slice: computed live, or stored for closed days.

A **slice** is one day (the day the diagnoses started, in ``TIME_ZONE``), one
guide version, one embedding site (or none) and live or demo data. For each
slice, :func:`count_slices` returns **figures**: plain counts that add up
across days and slices (:func:`add_figures`)::

    {"outcomes": {"started": 3, "fixed": 1, "explained": 1, "escalated": 0,
                  "abandoned": 1, "in_progress": 0},
     "fixes": {"restart": {"shown": 2, "tried": 2, "fixed": 1, "not_fixed": 1, "cannot": 0}},
     "steps": {"question:account": {"views": 2, "exits": 1, "seconds": {"3": 2}}},
     "resolution": {"9": 1},
     "feedback": {"yes": 1, "no": 0}}

Times are histograms over :data:`diagnostics.engine.stats.SECOND_BUCKETS`
(bucket index as a string), because medians cannot be added up.

A day is **closed** once every diagnosis started on it has either ended or
been idle past ``HELPDESK_ABANDON_AFTER_HOURS``. :func:`roll_up` stores the
figures of closed days in :class:`~diagnostics.models.DailyRollup` (one row per
slice) and moves the watermark (:class:`~diagnostics.models.RollupWatermark`);
days after the watermark are counted live, with the very same queries. The
rows keep no link to any diagnosis, so purging diagnoses keeps the history.

Counted: live (or, on request, demo) diagnoses that were answered at least
once. Preview diagnoses and those opened but never answered are left out.

**"Was this helpful?" answers** are counted with their diagnosis: in the
slice of the day it started, like its outcome. An answer can come after that
day was stored (the end screen stays open), so the watermark also keeps
``feedback_before``, one moment, and each answer is counted exactly once:

* a stored row holds the answers created before ``feedback_before``;
* the dashboard adds, live, the answers created since ``feedback_before`` to
  the stored days (:func:`late_feedback`: read by the index on
  ``Feedback.created``, so only the answers since the last roll-up);
* days after the watermark are counted live, every answer with them.

Each roll-up first adds the answers created since the last one to the stored
days, then stores the newly closed days, all counting answers created before
its new ``feedback_before`` (``FEEDBACK_SETTLE`` before it started, so an
answer still being saved as it counts is not missed), and moves
``feedback_before`` to that moment in the same transaction as the rows. An
answer is thus live until a roll-up has put it into a stored row, and from
then on only there. Rows stored before answers were rolled up
(``feedback_before`` empty) get every answer of their days on the next
roll-up; until then, all of them are counted live. Comments are never stored
in a row: :mod:`diagnostics.insight.feedback` reads the latest ones live.
"""

from __future__ import annotations

import copy
import hashlib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from diagnostics import engine
from diagnostics.engine.stats import SECOND_BUCKETS, bucket_of
from diagnostics.models import (
    DailyRollup,
    Diagnosis,
    Feedback,
    FixAttempt,
    RollupWatermark,
    StepEvent,
    guide_for_version,
)

type Figures = dict[str, Any]

LIVE_SECONDS = 60  # how long live counts are reused: the page says they may be a minute old
STORED_SECONDS = 3600  # how long a sum of stored rows is reused (a roll-up changes its key)
# A roll-up stores the answers created up to this long before it started: an
# answer's time is taken before its row is saved, so one being saved as the
# roll-up counts is left to the next (and counted live meanwhile), never lost.
FEEDBACK_SETTLE = timedelta(minutes=10)

OUTCOMES = ("started", "fixed", "explained", "escalated", "abandoned", "in_progress")
FIX_COUNTS = ("shown", "tried", "fixed", "not_fixed", "cannot")
RESULT_NAMES = {
    FixAttempt.Result.FIXED: "fixed",
    FixAttempt.Result.NOT_FIXED: "not_fixed",
    FixAttempt.Result.CANNOT: "cannot",
}


@dataclass(frozen=True)
class Slice:
    day: date
    guide_version: int
    embed_site: int | None
    demo: bool

    @property
    def order(self) -> tuple[date, int, int, bool]:
        return (self.day, self.guide_version, self.embed_site or 0, self.demo)


@dataclass(frozen=True)
class Scope:
    """Which diagnoses to count: started in [start, end), of these versions and sites."""

    start: date
    end: date  # exclusive
    versions: frozenset[int] | None = None  # None: every version
    site: int | None = None  # an EmbedSite pk
    no_site: bool = False  # only diagnoses on the help desk itself (no embedding site)
    demo: bool | None = False  # False: live only; True: demo only; None: both


def empty_figures() -> Figures:
    return {
        "outcomes": dict.fromkeys(OUTCOMES, 0),
        "fixes": {},
        "steps": {},
        "resolution": {},
        "feedback": {"yes": 0, "no": 0},
    }


def add_figures(total: Figures, more: Mapping[str, Any]) -> Figures:
    """Add ``more`` into ``total`` (nested counts, key by key), and return ``total``."""
    for key, value in more.items():
        if type(value) is dict:
            into = total.get(key)
            if into is None:
                into = total[key] = {}
            add_figures(into, value)
        else:
            total[key] = total.get(key, 0) + value
    return total


def abandon_after() -> timedelta:
    return timedelta(hours=settings.HELPDESK_ABANDON_AFTER_HOURS)


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """Midnight starting ``day`` in ``TIME_ZONE``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), _zone()).date()


def last_closed_day(now: datetime | None = None) -> date:
    """The latest day all of whose diagnoses have ended or been idle past the threshold."""
    moment = (now or timezone.now()) - abandon_after()
    return timezone.localtime(moment, _zone()).date() - timedelta(days=1)


def _diagnosis_filter(scope: Scope, prefix: str = "") -> Q:
    """The diagnoses of ``scope``, as a filter on a model reaching them through ``prefix``."""

    def q(**lookups: object) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    kinds = {
        False: [Diagnosis.Kind.LIVE],
        True: [Diagnosis.Kind.DEMO],
        None: [Diagnosis.Kind.LIVE, Diagnosis.Kind.DEMO],
    }[scope.demo]
    where = q(created__gte=day_start(scope.start), created__lt=day_start(scope.end), kind__in=kinds)
    if scope.versions is not None:
        where &= q(guide_version_id__in=sorted(scope.versions))
    if scope.site is not None:
        where &= q(embed_site_id=scope.site)
    elif scope.no_site:
        where &= q(embed_site__isnull=True)
    # Opened and never answered: nobody's diagnosis yet (flow.retention.NEVER_ANSWERED,
    # spelled out here to reach it through ``prefix``).
    unanswered = Q(
        **{f"{prefix}revision": 0, f"{prefix}journal": []},
        **{f"{prefix}status__in": [Diagnosis.Status.IN_PROGRESS, Diagnosis.Status.ABANDONED]},
    )
    return where & ~unanswered


def fenced_filter(scope: Scope, prefix: str) -> Case:
    """:func:`_diagnosis_filter` as a value to filter on, so no index of it is used.

    For a query that must start from another table's index (answers by
    ``Feedback.created``, newest first) and look each diagnosis up by its key:
    given the plain filter, SQLite's planner (which has no statistics) walks
    every diagnosis of the range by their (kind, created) index instead.
    """
    return Case(
        When(_diagnosis_filter(scope, prefix), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _slice_fields(scope: Scope, prefix: str = "") -> dict[str, Any]:
    return {
        "d_day": _day_case(scope, prefix),
        "d_version": F(f"{prefix}guide_version_id"),
        "d_site": F(f"{prefix}embed_site_id"),
        "d_kind": F(f"{prefix}kind"),
    }


def _outcome_kind(version_id: int, step: str) -> str:
    """``fixed`` for the guide's resolved outcome, else ``explained`` (a resolved diagnosis)."""
    outcome = guide_for_version(version_id).step(step)
    if isinstance(outcome, engine.Outcome) and outcome.outcome == "resolved":
        return "fixed"
    return "explained"


def _bucket_case(field: str) -> Case:
    """The bucket of a time in seconds, worked out by the database (-1 when there is none)."""
    whens = [When(**{f"{field}__isnull": True}, then=Value(-1))]
    whens += [
        When(**{f"{field}__lt": bound}, then=Value(i)) for i, bound in enumerate(SECOND_BUCKETS)
    ]
    return Case(*whens, default=Value(len(SECOND_BUCKETS)), output_field=IntegerField())


def count_slices(
    *, scope: Scope, now: datetime | None = None, feedback_before: datetime | None = None
) -> dict[Slice, Figures]:
    """The figures of every slice in ``scope``, straight from the diagnoses (five queries).

    The rows are read by the index on (kind, created); the day of each
    diagnosis is told by comparing ``created`` with each midnight of the
    range, so no date function runs row by row. "Was this helpful?" answers
    are counted in the outcomes' query (each diagnosis has at most one):
    all of them, or with ``feedback_before`` those created before it.
    """
    return _count_days(scope=scope, now=now or timezone.now(), feedback_before=feedback_before)


def _day_case(scope: Scope, prefix: str = "") -> Case | Value:
    """Which day of ``scope`` a diagnosis started on, as a number from 0."""
    days = (scope.end - scope.start).days
    if days <= 1:
        return Value(0, output_field=IntegerField())
    whens = [
        When(**{f"{prefix}created__lt": day_start(scope.start + timedelta(days=i + 1))}, then=i)
        for i in range(days - 1)
    ]
    return Case(*whens, default=Value(days - 1), output_field=IntegerField())


def _count_days(
    *, scope: Scope, now: datetime, feedback_before: datetime | None
) -> dict[Slice, Figures]:
    idle_before = now - abandon_after()
    figures: dict[Slice, Figures] = {}

    def of(row: Mapping[str, Any]) -> Figures:
        key = Slice(
            day=scope.start + timedelta(days=row["d_day"]),
            guide_version=row["d_version"],
            embed_site=row["d_site"],
            demo=row["d_kind"] == Diagnosis.Kind.DEMO,
        )
        if key not in figures:
            figures[key] = empty_figures()
        return figures[key]

    def step_of(row: Mapping[str, Any], key: str) -> dict[str, Any]:
        return of(row)["steps"].setdefault(key, {"views": 0, "exits": 0, "seconds": {}})

    def fix_of(row: Mapping[str, Any], fix_id: str) -> dict[str, int]:
        return of(row)["fixes"].setdefault(fix_id, dict.fromkeys(FIX_COUNTS, 0))

    diagnoses = Diagnosis.objects.filter(_diagnosis_filter(scope)).order_by()
    idle = Q(status=Diagnosis.Status.IN_PROGRESS, updated__lt=idle_before)
    helpful: Any = F("feedback__helpful")  # a left join: None without an answer
    if feedback_before is not None:
        helpful = Case(
            When(feedback__created__lt=feedback_before, then=F("feedback__helpful")),
            default=Value(None),
            output_field=BooleanField(null=True),
        )
    rows = diagnoses.values(
        **_slice_fields(scope),
        stat=Case(
            When(idle, then=Value(Diagnosis.Status.ABANDONED.value)),
            default=F("status"),
        ),
        step=Case(When(status=Diagnosis.Status.RESOLVED, then="last_step"), default=Value("")),
        helpful=helpful,
    ).annotate(n=Count("pk"))
    for row in rows:
        counted = of(row)
        outcomes = counted["outcomes"]
        stat = row["stat"]
        if stat == Diagnosis.Status.RESOLVED:
            stat = _outcome_kind(row["d_version"], row["step"])
        outcomes[stat] += row["n"]
        outcomes["started"] += row["n"]
        if row["helpful"] is not None:
            counted["feedback"]["yes" if row["helpful"] else "no"] += row["n"]

    # Exits: diagnoses that stopped part-way, at the step their last event showed.
    last = StepEvent.objects.filter(diagnosis=OuterRef("pk")).order_by("-id")
    exits = (
        diagnoses.filter(Q(status=Diagnosis.Status.ABANDONED) | idle)
        .annotate(
            last_action=Subquery(last.values("action")[:1]),
            last_step_shown=Subquery(last.values("step")[:1]),
        )
        .filter(last_action=StepEvent.Action.SHOWN)
        .values(**_slice_fields(scope), step=F("last_step_shown"))
        .annotate(n=Count("pk"))
    )
    for row in exits:
        if engine.split_key(row["step"])[0] != "outcome":  # an ending is not an exit
            step_of(row, row["step"])["exits"] += row["n"]

    # Views (diagnoses shown each step, once each) and time to answer, in one pass.
    events = (
        StepEvent.objects.filter(
            _diagnosis_filter(scope, "diagnosis__"),
            action__in=[StepEvent.Action.SHOWN, StepEvent.Action.ANSWERED],
        )
        .order_by()
        .values(
            **_slice_fields(scope, "diagnosis__"),
            event=F("action"),
            event_step=F("step"),
            bucket=_bucket_case("seconds"),
        )
        .annotate(n=Count("pk"), seen=Count("diagnosis_id", distinct=True))
    )
    for row in events:
        step = step_of(row, row["event_step"])
        if row["event"] == StepEvent.Action.SHOWN:
            step["views"] += row["seen"]
            kind, step_id = engine.split_key(row["event_step"])
            if kind == "fix":
                fix_of(row, step_id)["shown"] += row["seen"]
        elif row["bucket"] >= 0:
            bucket = str(row["bucket"])
            step["seconds"][bucket] = step["seconds"].get(bucket, 0) + row["n"]

    attempts = (
        FixAttempt.objects.filter(_diagnosis_filter(scope, "diagnosis__"))
        .order_by()
        .values(**_slice_fields(scope, "diagnosis__"), tried_fix=F("fix"), outcome=F("result"))
        .annotate(n=Count("pk"))
    )
    for row in attempts:
        fix = fix_of(row, row["tried_fix"])
        fix["tried"] += row["n"]
        name = RESULT_NAMES.get(row["outcome"])
        if name:
            fix[name] += row["n"]

    resolved = diagnoses.filter(status=Diagnosis.Status.RESOLVED).values(
        **_slice_fields(scope), began=F("created"), ended=F("updated")
    )
    for row in resolved:
        bucket = str(bucket_of((row["ended"] - row["began"]).total_seconds()))
        histogram = of(row)["resolution"]
        histogram[bucket] = histogram.get(bucket, 0) + 1
    return figures


def late_feedback(
    *, scope: Scope, since: datetime | None, before: datetime | None = None
) -> dict[Slice, dict[str, int]]:
    """``{slice: {"yes": n, "no": m}}``: answers created in [since, before) (one query).

    For the stored days: the answers a roll-up has not put into their rows
    yet. With ``since``, only those answers are read, by the index on
    ``Feedback.created``, each diagnosis looked up by its key; without it (a
    first roll-up of answers), the diagnoses of the range are read instead.
    """
    found: dict[Slice, dict[str, int]] = {}

    def add(day: date, version: int, site: int | None, kind: str, yes: bool, n: int) -> None:
        key = Slice(day=day, guide_version=version, embed_site=site, demo=kind == "demo")
        counts = found.setdefault(key, {"yes": 0, "no": 0})
        counts["yes" if yes else "no"] += n

    slice_of = ("diagnosis__guide_version_id", "diagnosis__embed_site_id", "diagnosis__kind")
    if since is None:  # every answer of the range: counted by the database, per day
        answers = Feedback.objects.filter(_diagnosis_filter(scope, "diagnosis__"))
        if before is not None:
            answers = answers.filter(created__lt=before)
        grouped = (
            answers.order_by()
            .values_list(_day_case(scope, "diagnosis__"), *slice_of, "helpful")
            .annotate(n=Count("pk"))
        )
        for day, version, site, kind, yes, n in grouped:
            add(scope.start + timedelta(days=day), version, site, kind, yes, n)
        return found
    # The few answers since the last roll-up, one row each: their day told here,
    # not by a comparison with each midnight of what may be a year.
    answers = (
        Feedback.objects.filter(created__gte=since)
        .alias(fits=fenced_filter(scope, "diagnosis__"))
        .filter(fits=True)
    )
    if before is not None:
        answers = answers.filter(created__lt=before)
    zone = _zone()
    for began, version, site, kind, yes in answers.order_by().values_list(
        "diagnosis__created", *slice_of, "helpful"
    ):
        add(timezone.localtime(began, zone).date(), version, site, kind, yes, 1)
    return found


@dataclass
class Totals:
    """The figures of a scope added up: per guide version (all) and per day (outcomes)."""

    versions: dict[int, Figures] = field(default_factory=dict)
    days: dict[date, dict[str, int]] = field(default_factory=dict)
    through: date | None = None  # the watermark they were counted under

    def add(self, key: Slice, figures: Mapping[str, Any]) -> None:
        add_figures(self.versions.setdefault(key.guide_version, empty_figures()), figures)
        outcomes = self.days.setdefault(key.day, dict.fromkeys(OUTCOMES, 0))
        add_figures(outcomes, figures.get("outcomes", {}))


def watermark() -> date | None:
    """The last day whose figures are stored, or None before the first roll-up."""
    return RollupWatermark.objects.filter(pk=1).values_list("through", flat=True).first()


type Mark = tuple[date, datetime | None] | None

READS = 3  # times the figures are read again when a roll-up commits meanwhile


def _mark() -> Mark:
    return RollupWatermark.objects.filter(pk=1).values_list("through", "feedback_before").first()


def totals_for(*, scope: Scope, now: datetime | None = None) -> Totals:
    """The figures of ``scope``: stored rollups up to the watermark, live counts after it.

    The stored days' sum is kept in the cache for ``STORED_SECONDS`` under the
    watermark's day and moment, which every roll-up moves, so it is never
    older than the stored rows. The answers to "Was this helpful?" given since
    the rows were stored are added live (:func:`late_feedback`). The
    watermark is read before and after: a roll-up committed in between (its
    rows read, but the answers it took in read live as well) means reading
    again, under the new watermark, and caching nothing meanwhile.
    """
    mark = _mark()
    for _ in range(READS):
        totals, stored = _totals(scope=scope, now=now, mark=mark)
        after = _mark()
        if after == mark:
            if stored is not None and now is None:
                cache.set(stored[0], stored[1], STORED_SECONDS)
            break
        mark = after
    totals.through = mark[0] if mark is not None else None
    return totals


def _totals(
    *, scope: Scope, now: datetime | None, mark: Mark
) -> tuple[Totals, tuple[str, Totals] | None]:
    """The totals under ``mark``, and the stored days' sum to cache (when read afresh)."""
    totals, to_cache = Totals(), None
    live_from = scope.start
    if mark is not None and mark[0] >= scope.start:
        through, feedback_before = mark
        stored_days = Scope(
            start=scope.start,
            end=min(through + timedelta(days=1), scope.end),
            versions=scope.versions,
            site=scope.site,
            no_site=scope.no_site,
            demo=scope.demo,
        )
        key = "dashboard-stored:" + hashlib.sha256(repr((stored_days, mark)).encode()).hexdigest()
        found = cache.get(key) if now is None else None
        if found is None:
            found = _stored_totals(scope=stored_days)
            to_cache = (key, copy.deepcopy(found))
        totals = found
        for key_, counts in late_feedback(scope=stored_days, since=feedback_before).items():
            totals.add(key_, {"feedback": counts})
        live_from = through + timedelta(days=1)
    if live_from < scope.end:
        live = Scope(
            start=live_from,
            end=scope.end,
            versions=scope.versions,
            site=scope.site,
            no_site=scope.no_site,
            demo=scope.demo,
        )
        for key_, figures in sorted(_live(scope=live, now=now).items(), key=lambda i: i[0].order):
            totals.add(key_, figures)
    return totals, to_cache


def _stored_totals(*, scope: Scope) -> Totals:
    """The stored rows of ``scope`` added up (one query)."""
    rows = DailyRollup.objects.filter(day__gte=scope.start, day__lt=scope.end)
    if scope.versions is not None:
        rows = rows.filter(guide_version_id__in=sorted(scope.versions))
    if scope.site is not None:
        rows = rows.filter(embed_site_id=scope.site)
    elif scope.no_site:
        rows = rows.filter(embed_site__isnull=True)
    if scope.demo is not None:
        rows = rows.filter(demo=scope.demo)
    totals = Totals()
    for day, version, site, demo, figures in rows.order_by("day", "pk").values_list(
        "day", "guide_version_id", "embed_site_id", "demo", "figures"
    ):
        totals.add(Slice(day=day, guide_version=version, embed_site=site, demo=demo), figures)
    return totals


def _live(*, scope: Scope, now: datetime | None) -> dict[Slice, Figures]:
    """Live counts, kept in the cache for ``LIVE_SECONDS`` (unless ``now`` is given)."""
    if now is not None:
        return count_slices(scope=scope, now=now)
    key = "dashboard-live:" + hashlib.sha256(repr(scope).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = count_slices(scope=scope)
        cache.set(key, found, LIVE_SECONDS)
    return found


def roll_up(*, now: datetime | None = None, since: date | None = None) -> tuple[date | None, int]:
    """Store the figures of every closed day after the watermark; return (through, days).

    Idempotent: each day's rows are replaced in one transaction with the
    watermark, so running it twice, or two at once, stores each day once.
    Days before the first diagnosis are skipped. First, the answers to "Was
    this helpful?" given since the last run are added to the stored days
    (see the module's docstring); every answer created before ``now`` less
    ``FEEDBACK_SETTLE`` is then in a stored row or in a day still counted live.
    """
    now = now or timezone.now()
    settled = now - FEEDBACK_SETTLE
    closed = last_closed_day(now)
    with transaction.atomic():
        mark = RollupWatermark.objects.select_for_update().filter(pk=1).first()
        if mark is not None:
            _add_late_feedback(mark, before=settled)
    through = watermark()
    if through is None:
        first = (
            Diagnosis.objects.exclude(kind=Diagnosis.Kind.PREVIEW)
            .order_by("created")
            .values_list("created", flat=True)
            .first()
        )
        if first is None:
            return None, 0
        start = since or timezone.localtime(first, _zone()).date()
    else:
        start = through + timedelta(days=1)
    days = 0
    day = start
    while day <= closed:
        scope = Scope(start=day, end=day + timedelta(days=1), demo=None)
        figures = count_slices(scope=scope, now=now, feedback_before=settled)
        with transaction.atomic():
            mark = RollupWatermark.objects.select_for_update().filter(pk=1).first()
            if mark is not None and mark.through >= day:
                day += timedelta(days=1)
                continue  # another run stored it meanwhile
            if mark is not None and not _add_late_feedback(mark, before=settled):
                break  # a later run moved the answers on: it stores the days
            DailyRollup.objects.filter(day=day).delete()
            DailyRollup.objects.bulk_create(
                DailyRollup(
                    day=key.day,
                    guide_version_id=key.guide_version,
                    embed_site_id=key.embed_site,
                    demo=key.demo,
                    figures=value,
                )
                for key, value in sorted(figures.items(), key=lambda item: item[0].order)
            )
            RollupWatermark.objects.update_or_create(
                pk=1, defaults={"through": day, "built": now, "feedback_before": settled}
            )
        days += 1
        day += timedelta(days=1)
    return watermark(), days


def _add_late_feedback(mark: RollupWatermark, *, before: datetime) -> bool:
    """Add the answers created in [mark.feedback_before, before) to the stored rows.

    Run inside the transaction holding ``mark`` (the watermark, locked), and
    move ``mark.feedback_before`` on to ``before``. Returns False, changing
    nothing, when a later roll-up has already moved it past ``before``.
    """
    since = mark.feedback_before
    if since is not None and since >= before:
        return since == before
    first = DailyRollup.objects.order_by("day").values_list("day", flat=True).first()
    if first is not None and first <= mark.through:
        scope = Scope(start=first, end=mark.through + timedelta(days=1), demo=None)
        late = late_feedback(scope=scope, since=since, before=before)
        rows = {
            Slice(
                day=row.day,
                guide_version=row.guide_version_id,
                embed_site=row.embed_site_id,
                demo=row.demo,
            ): row
            for row in DailyRollup.objects.filter(day__in={key.day for key in late}).order_by("pk")
        }
        changed, new = [], []
        for key, counts in sorted(late.items(), key=lambda item: item[0].order):
            row = rows.get(key)
            if row is None:  # answered, but not counted when its day was stored
                new.append(
                    DailyRollup(
                        day=key.day,
                        guide_version_id=key.guide_version,
                        embed_site_id=key.embed_site,
                        demo=key.demo,
                        figures=add_figures(empty_figures(), {"feedback": counts}),
                    )
                )
            else:
                add_figures(row.figures, {"feedback": counts})
                changed.append(row)
        DailyRollup.objects.bulk_update(changed, ["figures"])
        DailyRollup.objects.bulk_create(new)
    mark.feedback_before = before
    mark.save(update_fields=["feedback_before"])
    return True
