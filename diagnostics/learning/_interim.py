"""TEMPORARY: the engine's learning API as ranking.md states it, until h-ranking-engine lands.

Nothing here learns: ``knowledge`` keeps no numbers and ``decide`` is the
author's order (``engine.next_step``). It only lets the store be written and
tested against the agreed signatures; it is deleted when the engine's real
``decide``, ``knowledge`` and ``tallies`` are merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from diagnostics import engine

MIN_SAMPLE = 20


def context_key(context: Mapping[str, str]) -> str:
    return ";".join(f"{q}={c}" for q, c in sorted(context.items()))


@dataclass(frozen=True)
class EndedDiagnosis:
    context: Mapping[str, str]
    failed: tuple[str, ...]
    cannot: tuple[str, ...]
    fixed: str | None


@dataclass(frozen=True)
class Tally:
    context: str
    kind: str
    key: str


@dataclass(frozen=True)
class Stat:
    count: int
    weight: float


type EvidenceTable = Mapping[tuple[str, str, str], Stat]


@dataclass(frozen=True)
class Knowledge:
    guide: engine.Guide
    evidence: EvidenceTable = field(default_factory=dict)
    pinned: bool = False


def knowledge(
    guide: engine.Guide, evidence: EvidenceTable | None = None, *, pinned: bool = False
) -> Knowledge:
    return Knowledge(guide=guide, evidence=evidence or {}, pinned=pinned)


def tallies(
    guide: engine.Guide, ended: EndedDiagnosis, answers_in_order: Sequence[tuple[str, str]]
) -> list[Tally]:
    context = context_key(ended.context)
    rows = [Tally(context, "tried", fix) for fix in ended.failed]
    rows += [Tally(context, "cannot", fix) for fix in ended.cannot]
    if ended.fixed is not None:
        rows += [Tally(context, "tried", ended.fixed), Tally(context, "fixed", ended.fixed)]
    else:
        rows.append(Tally(context, "unfixed_after", ",".join(sorted(ended.failed))))
    before: dict[str, str] = {}
    for question, choice in answers_in_order:
        rows.append(Tally(context_key(before), "answer", f"{question}={choice}"))
        before[question] = choice
    return rows


@dataclass(frozen=True)
class Reason:
    kind: str
    fixed: int = 0
    tried: int = 0
    minutes: float = 0


@dataclass(frozen=True)
class Decision:
    step: engine.Step
    reason: Reason | None
    memo: Mapping[str, Sequence[str]]


def decide(
    guide: engine.Guide,
    knowledge: Knowledge,
    answers: Mapping[str, str],
    attempts: Sequence[engine.Attempt],
    *,
    seed: int | None = None,
    memo: Mapping[str, Sequence[str]] | None = None,
) -> Decision:
    step = engine.next_step(guide, answers, attempts)
    reason = Reason(kind="guide") if isinstance(step, engine.Fix) else None
    return Decision(step=step, reason=reason, memo=dict(memo or {}))
