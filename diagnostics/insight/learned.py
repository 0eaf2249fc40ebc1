"""The learned order of fixes, for staff: per context, what the author said and what was learned.

Read fresh from the database (not the flow's per-process cache), so staff see
the evidence as it stands. The figures are the engine's
(``Knowledge.estimates``): the author's prior chance, how many diagnoses like
these tried the fix and how many it fixed (true counts), the estimate the
ranking uses, and the share who could not do it.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics import engine
from diagnostics.learning import api
from diagnostics.learning.evidence import prior_scale, read_evidence
from diagnostics.models import Guide, guide_for_version

MAX_CONTEXTS = 40  # the contexts with most diagnoses; the rest are left out (and counted)
OUTCOME_KINDS = ("fixed", "unfixed_after")  # one of these per ended diagnosis that tried a fix


@dataclass(frozen=True)
class FixRow:
    rank: int
    author_rank: int
    title: str
    fix: str
    minutes: float
    prior: float
    tried: int
    fixed: int
    estimate: float
    cannot_rate: float


@dataclass(frozen=True)
class ContextOrder:
    key: str
    answers: list[tuple[str, str]]  # (question prompt, choice label), in the guide's order
    ended: int  # diagnoses that ended with exactly these answers after trying a fix
    fixes: list[FixRow]


@dataclass(frozen=True)
class LearnedOrder:
    guide: Guide
    pinned: bool
    taught: int  # ended diagnoses that taught this guide (the forgetting clock)
    contexts: list[ContextOrder]
    more_contexts: int  # contexts with evidence that are not shown


def _described(parsed: engine.Guide, context: dict[str, str]) -> list[tuple[str, str]]:
    described = []
    for question in parsed.questions:
        if question.id in context:
            choice = question.choice(context[question.id])
            described.append((question.prompt, choice.label if choice else context[question.id]))
    return described


def learned_order(*, guide: Guide) -> LearnedOrder:
    """The learned order in each context with evidence (and for everyone), best first."""
    read = read_evidence(slug=guide.slug)
    parsed = guide_for_version(guide.current_version_id)
    learned = api.knowledge(parsed, read.table, pinned=False, prior_scale=prior_scale(read.tick))
    author = api.knowledge(parsed, None)
    ended: dict[str, int] = {}
    for (context, kind, _), stat in read.table.items():
        if kind in OUTCOME_KINDS:
            ended[context] = ended.get(context, 0) + stat.count
    keys = sorted(ended, key=lambda key: (-ended[key], key))
    shown = ["", *[key for key in keys if key][: MAX_CONTEXTS - 1]]
    contexts = []
    for key in shown:
        context = api.parse_context_key(key)
        author_rank = {row.fix.id: i for i, row in enumerate(author.estimates(context), 1)}
        rows = [
            FixRow(
                rank=rank,
                author_rank=author_rank.get(row.fix.id, 0),
                title=row.fix.title,
                fix=row.fix.id,
                minutes=row.fix.cost,
                prior=row.prior,
                tried=row.evidence_count,
                fixed=row.fixed_count,
                estimate=row.p,
                cannot_rate=row.q,
            )
            for rank, row in enumerate(learned.estimates(context), 1)
        ]
        contexts.append(
            ContextOrder(
                key=key,
                answers=_described(parsed, context),
                ended=ended.get(key, 0) if key else sum(ended.values()),
                fixes=rows,
            )
        )
    return LearnedOrder(
        guide=guide,
        pinned=read.pinned,
        taught=read.tick,
        contexts=contexts,
        more_contexts=max(len([k for k in keys if k]) - (len(shown) - 1), 0),
    )
