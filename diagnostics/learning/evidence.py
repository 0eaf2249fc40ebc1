"""The evidence rollup: written once when a diagnosis ends, read once a minute per process.

**Writing.** When a diagnosis ends (fixed, escalated, or abandoned after going
idle), :func:`teach` adds what it taught (``engine.tallies``) to its guide's
:class:`~diagnostics.models.Evidence` lines, in the transaction of the step that
ends it: one upsert per table, whatever the number of lines. Only live
diagnoses teach, and only while their client network is within its daily quota
(``HELPDESK_EVIDENCE_PER_NETWORK``). A diagnosis that moves again after it
taught (Back from "fixed", or a person coming back to one marked abandoned)
first takes its lesson out again (:func:`unteach`), so each diagnosis counts
once, for the ending it has now.

**Forgetting** goes by ended diagnoses, not by wall time: each one that teaches
moves its guide's tick on by one, and evidence loses half its weight every
:data:`HALF_LIFE` ticks (see :class:`~diagnostics.models.EvidenceClock` for
how the weights are stored scaled, so old lines never need rewriting). The
author's chances of the fixes fade the same way, as if written at tick 0,
but keep at least :data:`PRIOR_FLOOR` of their strength (:func:`prior_scale`):
in a context with a fifth of the traffic the evidence is worth only about
``0.2 × HALF_LIFE / ln 2`` ≈ 30 diagnoses, and a full-strength prior there
would hold a fix that stopped working above a costlier one that now works
(bench/ranking.py's drift case; docs/architecture.md, "Forgetting").

**Reading.** :func:`knowledge_for` serves a guide's evidence from a
per-process cache at most :data:`MAX_AGE` seconds old; filling it is one query
(the guide's pin, its clock and every evidence line, joined). A process that
records evidence drops its own copy once that commits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from diagnostics import engine
from diagnostics.learning import api
from diagnostics.models import Diagnosis, Evidence, EvidenceClock, EvidenceQuota, Guide

HALF_LIFE = 100.0  # ended diagnoses of a guide after which evidence weighs half (migration 0012)
PRIOR_FLOOR = 0.2  # the least share of ``prior_strength`` the author's chances keep as they fade
RESCALE_AFTER = 30 * HALF_LIFE  # ticks before the stored weights are scaled back down
MAX_AGE = 60.0  # seconds a process may serve a guide's evidence from its cache


def now() -> float:
    """The clock the cache ages by (a function, so tests can move it)."""
    return time.monotonic()


# --- reading ------------------------------------------------------------------


@dataclass
class _Cached:
    loaded: float
    pinned: bool
    table: api.EvidenceTable
    tick: int
    knowledge: dict[int, api.Knowledge] = field(default_factory=dict)  # by guide version


_CACHE: dict[str, _Cached] = {}


def forget_evidence(slug: str | None = None, **_: object) -> None:
    """Drop the cached evidence of guide ``slug``, or of every guide (``post_migrate``)."""
    if slug is None:
        _CACHE.clear()
    else:
        _CACHE.pop(slug, None)


@dataclass(frozen=True)
class GuideEvidence:
    """A guide's evidence as it stands: the pin, and every line with its weight today."""

    pinned: bool
    table: api.EvidenceTable
    tick: int


def read_evidence(*, slug: str) -> GuideEvidence:
    """One query: the guide's pin, its clock and its evidence lines (weights discounted)."""
    rows = (
        Guide.objects.filter(slug=slug)
        .order_by()
        .values_list(
            "pin_author_order",
            "evidence_clock__tick",
            "evidence_clock__base",
            "evidence__context",
            "evidence__kind",
            "evidence__key",
            "evidence__count",
            "evidence__weight",
        )
    )
    pinned, tick, table = False, 0, {}
    for pin, clock_tick, base, context, kind, key, count, weight in rows:
        pinned, tick = pin, clock_tick or 0
        if count:  # a line whose diagnoses were all taken out again (Back) says nothing
            scale = 2.0 ** (-((clock_tick or 0) - (base or 0)) / HALF_LIFE)
            table[(context, kind, key)] = api.Stat(count=count, weight=max(weight * scale, 0.0))
    return GuideEvidence(pinned=pinned, table=table, tick=tick)


def knowledge_for(*, guide: engine.Guide, version_id: int) -> api.Knowledge:
    """What the ranking knows for this guide version: cached, at most a minute old."""
    cached = _CACHE.get(guide.slug)
    moment = now()
    if cached is None or moment - cached.loaded > MAX_AGE:
        read = read_evidence(slug=guide.slug)
        cached = _CACHE[guide.slug] = _Cached(
            loaded=moment, pinned=read.pinned, table=read.table, tick=read.tick
        )
    known = cached.knowledge.get(version_id)
    if known is None:
        known = cached.knowledge[version_id] = knowledge_from(
            guide, GuideEvidence(pinned=cached.pinned, table=cached.table, tick=cached.tick)
        )
    return known


def prior_scale(tick: int) -> float:
    """How much of its strength the author's prior keeps when the guide's clock is at ``tick``."""
    return max(PRIOR_FLOOR, 2.0 ** (-max(tick, 0) / HALF_LIFE))


def knowledge_from(guide: engine.Guide, read: GuideEvidence) -> api.Knowledge:
    """What the ranking knows, given a guide's evidence as read.

    No evidence yet: the author's order, without exploration draws, so a new
    guide behaves as its author wrote it until its first diagnosis ends.
    """
    return api.knowledge(
        guide, read.table or None, pinned=read.pinned, prior_scale=prior_scale(read.tick)
    )


# --- writing ------------------------------------------------------------------


def ended_diagnosis(
    guide: engine.Guide,
    answers: Mapping[str, str],
    attempts: Sequence[engine.Attempt],
    entries: Sequence[Sequence[str]],
) -> tuple[api.EndedDiagnosis, list[tuple[str, str]]]:
    """What a diagnosis that ends here teaches, and the answers on its path that
    teach how people answer: those given before any fix, in the journal's order
    (:func:`diagnostics.engine.answers_before_fixes` says why)."""
    on_path = engine.path_answers(guide, answers)
    fixed = next((a.fix for a in attempts if a.result == engine.Result.FIXED), None)
    ended = api.EndedDiagnosis(
        context=on_path,
        failed=tuple(a.fix for a in attempts if a.result == engine.Result.NOT_FIXED),
        cannot=tuple(a.fix for a in attempts if a.result == engine.Result.CANNOT),
        fixed=fixed,
    )
    first = engine.answers_before_fixes(entries)
    return ended, [(q, c) for q, c in first if on_path.get(q) == c]


def _table(model: type[Evidence | EvidenceClock | EvidenceQuota]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(name: str) -> str:
    return connection.ops.quote_name(name)


def _within_quota(network: str, day: date) -> bool:
    """Count one ended diagnosis for ``network`` today; whether it may still teach."""
    table = _table(EvidenceQuota)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({_column('network')}, {_column('day')}, {_column('count')}) "  # noqa: S608
            "VALUES (%s, %s, 1) "
            f"ON CONFLICT ({_column('network')}, {_column('day')}) "
            f"DO UPDATE SET {_column('count')} = {table}.{_column('count')} + 1 "
            f"RETURNING {_column('count')}",
            [network, day],
        )
        count = cursor.fetchone()[0]
    return int(count) <= settings.HELPDESK_EVIDENCE_PER_NETWORK


def _tick(slug: str) -> tuple[int, int]:
    """Move the guide's clock on by one; its new tick and the base weights are scaled from."""
    table = _table(EvidenceClock)
    guide, tick, base = _column("guide_slug"), _column("tick"), _column("base")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({guide}, {tick}, {base}) VALUES (%s, 1, 0) "  # noqa: S608
            f"ON CONFLICT ({guide}) DO UPDATE SET {tick} = {table}.{tick} + 1 "
            f"RETURNING {tick}, {base}",
            [slug],
        )
        now_tick, now_base = cursor.fetchone()
    if now_tick - now_base >= RESCALE_AFTER:  # scale the stored weights back down, once
        factor = 2.0 ** (-(now_tick - now_base) / HALF_LIFE)
        Evidence.objects.filter(guide_id=slug).update(weight=F("weight") * factor)
        EvidenceClock.objects.filter(guide_id=slug).update(base=now_tick)
        now_base = now_tick
    return int(now_tick), int(now_base)


def _add(slug: str, tallies: Iterable[api.Tally], *, count: int, weight: float) -> None:
    """Add ``count`` and ``weight`` to each tally's line (created if new): one statement."""
    lines: dict[tuple[str, str, str], int] = {}
    for tally in tallies:  # one tally twice adds twice, but a statement may touch a row once
        line = (tally.context, tally.kind, tally.key)
        lines[line] = lines.get(line, 0) + 1
    if not lines:
        return
    table = _table(Evidence)
    names = ["guide_slug", "context", "kind", "key", "count", "weight"]
    columns = ", ".join(_column(n) for n in names)
    unique = ", ".join(_column(n) for n in names[:4])
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(lines))
    params: list[object] = []
    for (context, kind, key), times in lines.items():
        params += [slug, context, kind, key, count * times, weight * times]
    c, w = _column("count"), _column("weight")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({unique}) DO UPDATE SET {c} = {table}.{c} + excluded.{c}, "
            f"{w} = {table}.{w} + excluded.{w}",
            params,
        )


def teach(
    *,
    diagnosis: Diagnosis,
    guide: engine.Guide,
    answers: Mapping[str, str],
    attempts: Sequence[engine.Attempt],
    entries: Sequence[Sequence[str]],
    network: str,
) -> int | None:
    """Add what the diagnosis, ending with these answers and attempts, teaches its guide.

    Call inside the transaction that ends it. Returns the guide's tick it was
    recorded at (to keep in ``Diagnosis.taught_tick``), or None when it does
    not count: not a live diagnosis, or ``network`` is past its quota for today.
    """
    if diagnosis.kind != Diagnosis.Kind.LIVE:
        return None
    if not _within_quota(network, timezone.now().date()):
        return None
    ended, in_order = ended_diagnosis(guide, answers, attempts, entries)
    tick, base = _tick(guide.slug)
    _add(
        guide.slug,
        api.tallies(guide, ended, in_order),
        count=1,
        weight=2.0 ** ((tick - base) / HALF_LIFE),
    )
    transaction.on_commit(lambda: forget_evidence(guide.slug))
    return tick


def unteach(
    *,
    diagnosis: Diagnosis,
    guide: engine.Guide,
    answers: Mapping[str, str],
    attempts: Sequence[engine.Attempt],
    entries: Sequence[Sequence[str]],
) -> None:
    """Take out what :func:`teach` added for this diagnosis, which ended with these steps.

    Call inside the transaction that moves the diagnosis on again. The daily
    quota it used is not given back.
    """
    if diagnosis.taught_tick is None:
        return
    base = (
        EvidenceClock.objects.filter(guide_id=guide.slug).values_list("base", flat=True).first()
    ) or 0
    ended, in_order = ended_diagnosis(guide, answers, attempts, entries)
    _add(
        guide.slug,
        api.tallies(guide, ended, in_order),
        count=-1,
        weight=-(2.0 ** ((diagnosis.taught_tick - base) / HALF_LIFE)),
    )
    transaction.on_commit(lambda: forget_evidence(guide.slug))


def prune_quotas(*, before: date) -> int:
    """Delete the daily quota counts of days before ``before``; return how many."""
    deleted, _ = EvidenceQuota.objects.filter(day__lt=before).delete()
    return deleted


def forget_fixes(*, slug: str, fix_ids: Iterable[str]) -> None:
    """Start the evidence of these fixes of guide ``slug`` afresh (a fix whose ``when`` changed).

    Their own lines go (worked, tried, could not, offered); a diagnosis that
    ended unfixed after trying one of them counts as if it had not tried it
    (its "unfixed after" line loses that fix, merged with the line it then
    matches). Call inside the transaction that publishes the new version.
    """
    ids = set(fix_ids)
    if not ids:
        return
    lines = Evidence.objects.filter(guide_id=slug)
    lines.filter(kind__in=["fixed", "tried", "cannot", "offered"], key__in=ids).delete()
    for line in lines.select_for_update().filter(kind="unfixed_after").order_by("pk"):
        failed = line.key.split(",")
        if ids.isdisjoint(failed):
            continue
        rest = ",".join(sorted(f for f in failed if f not in ids))
        if rest:
            merged, _ = Evidence.objects.get_or_create(
                guide_id=slug, context=line.context, kind=line.kind, key=rest
            )
            lines.filter(pk=merged.pk).update(
                count=F("count") + line.count, weight=F("weight") + line.weight
            )
        line.delete()
    transaction.on_commit(lambda: forget_evidence(slug))
