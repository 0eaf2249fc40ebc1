"""Planning: which fix to offer next, and whether a question is worth asking first.

The model (Heckerman, Breese & Rommelse, 1995). In a context (the answers on
the path) fix *i* solves the problem with probability p_i, at most one does,
and a person cannot carry it out with probability q_i. Trying it costs
C_i = minutes + penalty; an escalation costs the guide's ``support_minutes``
(S). The expected cost of repair (ECR) of trying fixes in an order is

    ECR = Σ_k C_k · (1 − Σ_{j<k} p'_j) + S · (1 − Σ_k p'_k),   p' = p · (1 − q),

which ordering by p' / C, highest first, minimises (ties: the author's order,
then the file's). Once fixes have failed, the p' left are divided by
1 − Σ p of the failed ones.

**Questions.** Before each step, each question that may be asked now is
weighed (myopic value of information): it is asked only if

    C_question + Σ_a P(a) · ECR(after a) < ECR(best plan without asking),

with P(a) the share of people giving answer a, given the context and the
fixes that already failed. The plan without asking uses p averaged over the
answers, Σ_a P(a) · p(after a), from the same :class:`Knowledge`, so a
question whose answers cannot change the plan, and cannot end the diagnosis,
is never worth its cost on its own (see "Questions that pay only together").
An answer that jumps to an outcome ends the diagnosis (costing nothing more,
or S for an escalation). A fix whose ``when`` names a question not asked is
offered only if the rule allows every answer.

**When to ask (a one-step look-ahead).** A question worth asking is asked now
only if asking it after f, the first fix of the plan without asking, would
not cost less; putting it off costs

    ECR(without) − (1 − p'_f) · max(0, what asking saves once f has failed),

so a question whose answers would not change the first fix waits until after
it, and one that would is asked first. Gates (``gate = true``) are never put
off, and come first, in the guide's order; of the other questions asked now,
the one that saves the most comes first. When every question worth asking is
put off, f is tried, and the comparison is made again after it.

**Questions that pay only together.** Only when no question pays on its own,
each is weighed again with the best question after it (:meth:`_Planner.paired`):
each answer's branch costs the cheaper of going on without more questions and
asking the best question there. Two questions that unlock a fix only together
(its ``when`` names both) are each worth nothing to the one-question rule;
this finds them. Such a question is put off until after f in the same way,
weighed with the pair's value after f.

**Exploring a little.** Most diagnoses follow the posterior means: with no
evidence yet, that is the author's order. A share of them (:data:`DRAW_SHARE`,
chosen by the diagnosis's seed) plan with one Thompson draw from the posterior
instead, so a fix the evidence undersells still gets offered early now and
then. (Drawing for everyone made new guides jumpy: with the priors alone,
"Reset all settings" came before cheaper fixes in most diagnoses.) Fixes
that come late are still learned from everyone they are tried by, since the
estimate corrects for the order they were tried in. A question now rarely
asked is still asked now and then (:data:`EXPLORE_RATE`, every diagnosis) so
its answers keep being learned.

**Stability.** :func:`decide` plans once per context (the draw, if any, is
seeded by the diagnosis's seed and the context), and returns the plan in a
memo that the store keeps and passes back; with the same memo the same step
follows, whatever the evidence says by then.
"""

from __future__ import annotations

import random
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from diagnostics.engine.conditions import applies
from diagnostics.engine.learning import Knowledge, context_key, knowledge
from diagnostics.engine.model import (
    Attempt,
    Fix,
    Guide,
    Question,
    Result,
    Step,
    make_key,
    split_key,
)
from diagnostics.engine.paths import walk

MIN_SAMPLE = 20  # "worked for N of M" only when M >= this
EXPLORE_RATE = 0.05  # chance, per diagnosis and question, of asking a question that matters
DRAW_SHARE = 0.1  # share of diagnoses that plan with a Thompson draw, not the posterior means
PLANS_KEPT = 4096  # plans remembered per knowledge snapshot (least recently used go first)
_EPSILON = 1e-9


@dataclass(frozen=True)
class Reason:
    """Why a fix comes now, in words the numbers back (the store words it)."""

    kind: str  # "worked_for" | "quick" | "guide"
    fixed: int = 0  # for worked_for: raw counts of similar diagnoses
    tried: int = 0
    minutes: float = 0


@dataclass(frozen=True)
class Decision:
    step: Step
    reason: Reason | None  # for a fix
    memo: Mapping[str, Sequence[str]]  # the full memo to store back


def expected_cost(order: Sequence[tuple[float, float]], support_minutes: float) -> float:
    """ECR of trying fixes in this order, given as (cost, chance it works) pairs."""
    total, left = 0.0, 1.0
    for cost, chance in order:
        total += cost * left
        left -= chance
    return total + support_minutes * max(left, 0.0)


def draws(seed: int | None) -> bool:
    """Whether the diagnosis with this seed plans with a Thompson draw (:data:`DRAW_SHARE`)."""
    if seed is None:
        return False
    return random.Random(f"{seed}|draws").random() < DRAW_SHARE  # noqa: S311 (not secret)


def _tied(ratio: float) -> float:
    """A chance-per-minute ratio as a sort key: rounded, so that two fixes the author
    gave the same chance and minutes stay tied (and fall back to the file's order)
    however the floats were summed on the way (averaging over answers not asked)."""
    return round(ratio, 12)


# --- the planner for one decision ------------------------------------------------


@dataclass(frozen=True)
class _Value:
    """Asking a question now, against never asking it, in expected minutes from here."""

    without: float  # ECR of the best plan that never asks it (p averaged over the answers)
    asking: float  # its minutes + Σ_a P(a) · ECR(after a)
    matters: bool  # whether any answer can change the plan or end the diagnosis
    mixed: Mapping[str, float]  # p · (1 − q) per fix, averaged over the answers
    first: str | None  # the first fix of that plan

    @property
    def saves(self) -> float:
        return self.without - self.asking


@dataclass(frozen=True)
class _Probs:
    raw: Mapping[str, float]  # p per fix that applies
    works: Mapping[str, float]  # p · (1 − q)


class _Planner:
    """Plans one context of one diagnosis. Draws (when ``seed`` is given) are
    seeded by the context, so they are the same wherever they are made."""

    def __init__(self, guide: Guide, known: Knowledge, seed: int | None) -> None:
        self.guide = guide
        self.known = known
        self.seed = seed
        self.learning = seed is not None and known.learned
        self.draw = self.learning and draws(seed)
        self.file_order = {f.id: i for i, f in enumerate(guide.fixes)}
        self.cost = {f.id: f.cost for f in guide.fixes}
        self._probs: dict[str, _Probs] = {}
        self._answers: dict[tuple[str, str], dict[str, float]] = {}
        self._author: dict[str, dict[str, int]] = {}

    def _rng(self, *parts: str, every_diagnosis: bool = False) -> random.Random | None:
        if not (self.learning if every_diagnosis else self.draw):
            return None
        return random.Random("|".join([str(self.seed), *parts]))  # noqa: S311 (not secret)

    def probs(self, context: Mapping[str, str]) -> _Probs:
        key = context_key(context)
        if (cached := self._probs.get(key)) is None:
            rng = self._rng("fixes", key)
            if rng is None:
                raw, works = self.known.means(context)
            else:
                raw = self.known.fix_probs(context, rng=rng)
                cannot = self.known.cannot_rates(context)
                works = {f: p * (1 - cannot[f]) for f, p in raw.items()}
            cached = self._probs[key] = _Probs(raw, works)
        return cached

    def answer_probs(self, context: Mapping[str, str], question: Question) -> dict[str, float]:
        key = (context_key(context), question.id)
        if (cached := self._answers.get(key)) is None:
            rng = self._rng("answers", *key)
            cached = self._answers[key] = self.known.answer_probs(context, question, rng=rng)
        return cached

    def author_rank(self, context: Mapping[str, str]) -> dict[str, int]:
        """The author's order here: the priors and costs, then the file's order."""
        key = context_key(context)
        if (cached := self._author.get(key)) is None:
            prior = self.known.prior(context)
            ranked = sorted(
                prior, key=lambda f: (-_tied(prior[f] / self.cost[f]), self.file_order[f])
            )
            cached = self._author[key] = {f: i for i, f in enumerate(ranked)}
        return cached

    def order(
        self, context: Mapping[str, str], works: Mapping[str, float], fixes: Sequence[str]
    ) -> list[str]:
        author = self.author_rank(context)
        cost, file_order, last = self.cost, self.file_order, len(author)
        return sorted(
            fixes, key=lambda f: (-_tied(works[f] / cost[f]), author.get(f, last), file_order[f])
        )

    def candidates(self, context: Mapping[str, str], tried: set[str]) -> list[str]:
        return [f for f in self.known.applicable(context) if f not in tried]

    def ecr(self, order: Sequence[str], works: Mapping[str, float], left: float) -> float:
        pairs = [(self.cost[f], works[f] / left) for f in order]
        return expected_cost(pairs, self.guide.support_minutes)

    def _left(self, probs: _Probs, failed: set[str]) -> float:
        return max(1.0 - sum(probs.raw.get(f, 0.0) for f in failed), _EPSILON)

    def best_fixes(
        self, context: Mapping[str, str], tried: set[str], failed: set[str]
    ) -> tuple[list[str], float]:
        """The best order of the fixes left here, and its ECR, asking nothing more."""
        probs = self.probs(context)
        order = self.order(context, probs.works, self.candidates(context, tried))
        return order, self.ecr(order, probs.works, self._left(probs, failed))

    def _branches(
        self, question: Question, context: Mapping[str, str], failed: set[str]
    ) -> list[tuple[float, float, Mapping[str, str] | None]]:
        """Each answer to ``question``: its weight (its share × the chance the failed
        fixes leave there), what ending there costs, and the context after it (None
        for an answer that ends the diagnosis: it costs nothing more, or S if it
        escalates)."""
        shares = self.answer_probs(context, question)
        branches: list[tuple[float, float, Mapping[str, str] | None]] = []
        for choice in question.choices:
            share = shares.get(choice.id, 0.0)
            ending = self.guide.outcomes.get(choice.next)
            if ending is not None:
                cost = self.guide.support_minutes if ending.outcome == "escalate" else 0.0
                branches.append((share, cost, None))
                continue
            after = {**context, question.id: choice.id}
            branches.append((share * self._left(self.probs(after), failed), 0.0, after))
        return branches

    def value(
        self, question: Question, context: Mapping[str, str], tried: set[str], failed: set[str]
    ) -> _Value:
        """What asking ``question`` now is worth, against never asking it (see :class:`_Value`)."""
        candidates = self.candidates(context, tried)
        branches: list[tuple[float, float, Mapping[str, float], list[str] | None]] = []
        for weight, ending_cost, after in self._branches(question, context, failed):
            if after is None:
                branches.append((weight, ending_cost, {}, None))
                continue
            probs = self.probs(after)
            left = self._left(probs, failed)
            order = self.order(after, probs.works, self.candidates(after, tried))
            works = {f: probs.works[f] / left for f in order}
            branches.append((weight, self.ecr(order, works, 1.0), works, order))
        total = sum(weight for weight, *_ in branches)
        if total <= 0:
            return _Value(0.0, 0.0, False, {}, None)
        after_cost = sum(weight * cost for weight, cost, *_ in branches) / total
        mixed = {
            f: sum(weight * works.get(f, 0.0) for weight, _, works, _ in branches) / total
            for f in candidates
        }
        plan = self.order(context, mixed, candidates)
        without = self.ecr(plan, mixed, 1.0)
        matters = any(order is None or order != plan for *_, order in branches)
        first = plan[0] if plan else None
        return _Value(without, question.minutes + after_cost, matters, mixed, first)

    def paired(
        self, question: Question, context: Mapping[str, str], tried: set[str], failed: set[str]
    ) -> _Value:
        """What asking ``question`` now is worth when the best question after it may be
        asked too (a two-question look-ahead), against never asking it.

        Each answer's branch costs the cheaper of going on without more
        questions (ECR) and asking the best question there. Two questions that
        unlock a fix only together (its ``when`` names both) are each worth
        nothing by the one-question rule; together they may pay.
        """
        alone = self.value(question, context, tried, failed)
        total = cost = 0.0
        for weight, ending_cost, after in self._branches(question, context, failed):
            branch = ending_cost
            if after is not None:
                _, branch = self.best_fixes(after, tried, failed)
                for follow in walk(self.guide, after).open:
                    branch = min(branch, self.value(follow, after, tried, failed).asking)
            total += weight
            cost += weight * branch
        if total <= 0:
            return alone
        asking = question.minutes + cost / total
        matters = alone.matters or asking < alone.without - _EPSILON
        return _Value(alone.without, asking, matters, alone.mixed, alone.first)

    def cheaper_later(
        self,
        question: Question,
        now: _Value,
        context: Mapping[str, str],
        tried: set[str],
        failed: set[str],
        *,
        paired: bool = False,
    ) -> bool:
        """Whether trying the first fix of the plan without asking (f) first, then asking
        ``question`` only if it still pays, is expected to cost less than asking it now
        (a one-step look-ahead). ``paired``: ``now`` is the two-question value
        (:meth:`paired`), and so is the saving after f.

        Deferring costs the plan without asking, less what asking saves once f has
        failed (if anything), for the people f leaves:
        ECR(without) − (1 − p'_f) · max(0, saving after f).
        """
        fix = now.first
        if fix is None:
            return False
        weigh = self.paired if paired else self.value
        later = weigh(question, context, tried | {fix}, failed | {fix})
        deferred = now.without - (1.0 - now.mixed[fix]) * max(later.saves, 0.0)
        return deferred < now.asking - _EPSILON

    def explored(self, context: Mapping[str, str]) -> set[str]:
        """The questions this diagnosis asks here for exploration's sake, if they matter."""
        rng = self._rng("explore", context_key(context), every_diagnosis=True)
        if rng is None:
            return set()
        return {q.id for q in self.guide.questions if rng.random() < EXPLORE_RATE}

    def plan(
        self,
        context: Mapping[str, str],
        questions: Sequence[Question],
        tried: set[str],
        failed: set[str],
    ) -> list[str]:
        """The steps from here: fixes in order, ending with a question worth asking, if any."""
        tried, failed = set(tried), set(failed)
        explore = self.explored(context)
        steps: list[str] = []
        while True:
            worth: list[tuple[tuple[int, int, float, int], Question, _Value]] = []
            paired = False
            for position, question in enumerate(questions):
                value = self.value(question, context, tried, failed)
                forced = value.matters and question.id in explore and not steps
                if not (forced or value.saves > _EPSILON):
                    continue
                # Gates first (in the guide's order), even before a question asked to
                # explore; then the one that saves the most.
                saves = 0.0 if question.gate else _tied(value.saves)
                rank = (-int(question.gate), -int(forced), -saves, position)
                worth.append((rank, question, value))
            if not worth:
                # No question pays alone; one may still pay together with the next.
                paired = True
                for position, question in enumerate(questions):
                    value = self.paired(question, context, tried, failed)
                    if value.saves > _EPSILON:
                        saves = 0.0 if question.gate else _tied(value.saves)
                        rank = (-int(question.gate), 0, -saves, position)
                        worth.append((rank, question, value))
            ask, deferred_for = None, None
            for rank, question, value in sorted(worth, key=lambda item: item[0]):
                # A gate, or a question asked to explore, is asked now; any other
                # only if asking it after the next fix would not cost less.
                if (
                    rank[0]
                    or rank[1]
                    or not self.cheaper_later(
                        question, value, context, tried, failed, paired=paired
                    )
                ):
                    ask = question
                    break
                deferred_for = deferred_for or value.first
            if ask is not None:
                steps.append(make_key("question", ask.id))
                return steps
            if deferred_for is None:
                order, _ = self.best_fixes(context, tried, failed)
                if not order:
                    return steps
                deferred_for = order[0]
            # The fix the best question was put off for (its plan without asking
            # starts with it), else the best fix here.
            steps.append(make_key("fix", deferred_for))
            tried.add(deferred_for)
            failed.add(deferred_for)

    def reason(self, context: Mapping[str, str], fix: Fix, tried: set[str]) -> Reason:
        fixed, tried_count = self.known.counts(context, fix.id)
        if tried_count >= MIN_SAMPLE:
            return Reason("worked_for", fixed=fixed, tried=tried_count)
        _, works = self.known.means(context)
        for other in self.candidates(context, tried | {fix.id}):
            if works[other] > works[fix.id] and self.cost[other] > fix.cost:
                return Reason("quick", minutes=fix.minutes)
        return Reason("guide")


# --- the decision ----------------------------------------------------------------


def decide(
    guide: Guide,
    knowledge: Knowledge,
    answers: Mapping[str, str],
    attempts: Sequence[Attempt],
    *,
    seed: int | None = None,
    memo: Mapping[str, Sequence[str]] | None = None,
) -> Decision:
    """The step to show next, why (for a fix), and the memo to keep.

    Without ``seed`` the plan uses the estimates (posterior means); with one,
    a Thompson draw seeded by it. ``memo`` holds the plan made earlier in each
    context of this diagnosis: it is followed whatever the evidence says now.
    """
    memo = _copy(memo)
    path = walk(guide, answers)
    if path.ending is not None:
        return Decision(step=path.ending, reason=None, memo=memo)
    if any(a.result == Result.FIXED for a in attempts):
        return Decision(step=guide.outcomes[guide.resolved], reason=None, memo=memo)
    context = path.answers
    tried = {a.fix for a in attempts}
    failed = {a.fix for a in attempts if a.result == Result.NOT_FIXED}
    planner = _Planner(guide, knowledge, seed)
    key = context_key(context)
    plan = memo.get(key)
    if plan is None or not _valid(guide, plan, context, path.open):
        plan = memo[key] = _planned(planner, context, key, path.open, tried, failed)
    remaining = [s for s in plan if not _done(s, context, tried)]
    if not remaining and planner.candidates(context, tried):
        # Only if the attempts were changed by hand: plan the fixes the plan did not name.
        more = planner.plan(context, path.open, tried, failed)
        plan = memo[key] = [*plan, *more]
        remaining = more
    if not remaining:
        return Decision(step=guide.outcomes[guide.exhausted], reason=None, memo=memo)
    step = guide.step(remaining[0])
    assert step is not None  # checked by _valid
    reason = planner.reason(context, step, tried) if isinstance(step, Fix) else None
    return Decision(step=step, reason=reason, memo=memo)


# --- plans shared by the diagnoses that follow the posterior means ----------------

# Per knowledge snapshot (a Knowledge never changes once built; the store builds a
# new one when the evidence changes), the plans made with its means. Weak keys: a
# snapshot the store has let go of takes its plans with it.
_PLANS: weakref.WeakKeyDictionary[Knowledge, OrderedDict[tuple, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)
_PLANS_LOCK = threading.Lock()


def _planned(
    planner: _Planner,
    context: Mapping[str, str],
    key: str,
    questions: Sequence[Question],
    tried: set[str],
    failed: set[str],
) -> list[str]:
    """``planner.plan(...)``, shared between diagnoses that would plan alike.

    A diagnosis that does not draw plans with the posterior means of its
    knowledge snapshot, so its plan depends only on the guide, the snapshot,
    the context, the questions open, the fixes tried and failed, and the
    questions its seed explores here: the same for every such diagnosis. Those
    plans are remembered per snapshot (at most :data:`PLANS_KEPT`), so a
    context most diagnoses reach is planned once per snapshot and process. A
    diagnosis that draws plans for itself.
    """
    known = planner.known
    if planner.draw or known.guide is not planner.guide:
        return planner.plan(context, questions, tried, failed)
    wanted = (
        key,
        tuple(q.id for q in questions),
        frozenset(tried),
        frozenset(failed),
        frozenset(planner.explored(context)),
    )
    with _PLANS_LOCK:
        plans = _PLANS.get(known)
        if plans is None:
            plans = _PLANS[known] = OrderedDict()
        found = plans.get(wanted)
        if found is not None:
            plans.move_to_end(wanted)
            return list(found)
    made = planner.plan(context, questions, tried, failed)
    with _PLANS_LOCK:
        plans[wanted] = tuple(made)
        if len(plans) > PLANS_KEPT:
            plans.popitem(last=False)
    return made


def _copy(memo: object) -> dict[str, list[str]]:
    """The memo as plain lists (anything else in it, say from a tampered store, is dropped)."""
    if not isinstance(memo, Mapping):
        return {}
    return {
        key: list(plan)
        for key, plan in memo.items()
        if isinstance(key, str)
        and isinstance(plan, list | tuple)
        and all(isinstance(step, str) for step in plan)
    }


def _valid(
    guide: Guide, plan: Sequence[str], context: Mapping[str, str], open_now: Sequence[Question]
) -> bool:
    """A stored plan still names steps this context can take (else it is made afresh)."""
    askable = {q.id for q in open_now} | set(context)
    for key in plan:
        kind, step_id = split_key(key)
        if kind == "question" and step_id in askable:
            continue
        fix = guide.fix(step_id) if kind == "fix" else None
        if fix is None or not applies(guide, fix, context):
            return False
    return True


def _done(key: str, context: Mapping[str, str], tried: set[str]) -> bool:
    kind, step_id = split_key(key)
    return step_id in (context if kind == "question" else tried)


# --- the author's order, for callers that rank a list ------------------------------


def rank_fixes(
    guide: Guide, candidates: Sequence[Fix], answers: Mapping[str, str] | None = None
) -> list[Fix]:
    """Order ``candidates`` by the author's priors and costs (chance / cost, highest
    first), then the guide's own order."""
    prior = knowledge(guide).prior(answers or {})
    order = {fix.id: i for i, fix in enumerate(guide.fixes)}
    return sorted(
        candidates,
        key=lambda fix: (-_tied(prior.get(fix.id, fix.chance) / fix.cost), order[fix.id]),
    )


def applicable_fixes(guide: Guide, answers: Mapping[str, str]) -> list[Fix]:
    """Every fix that may be offered with these answers on the path, in the author's order.

    ``answers`` must be the answers on the current path
    (:func:`~diagnostics.engine.paths.path_answers`): one left over from a path
    the person turned away from does not count.
    """
    return rank_fixes(guide, [f for f in guide.fixes if applies(guide, f, answers)], answers)


def default_knowledge(guide: Guide) -> Knowledge:
    """The author's priors for ``guide``, built once per guide object."""
    cached = _DEFAULTS.get(id(guide))
    if cached is None or cached[0] is not guide:
        if len(_DEFAULTS) > 64:
            _DEFAULTS.clear()
        cached = _DEFAULTS[id(guide)] = (guide, knowledge(guide))
    return cached[1]


_DEFAULTS: dict[int, tuple[Guide, Knowledge]] = {}
