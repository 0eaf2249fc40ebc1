"""Learning from ended diagnoses: what each one teaches, and the estimates it feeds.

Plain numbers in, plain numbers out; the store (Django) keeps the rollup.

**The model.** In a context (the answers on a person's path) fix *i* solves
the problem with probability p_i, at most one fix does, and what is left,
1 − Σ p_i, "needs support". The author's chances are the prior: a Dirichlet
over the fixes that apply plus "needs support", with weights
``prior_strength`` × chance (so the prior is worth ``prior_strength``
diagnoses).

**Order-corrected likelihood.** A diagnosis fixed by fix k says "k" (likelihood
p_k); one that ended unfixed after the fixes S failed says "not any of S"
(likelihood 1 − Σ_{i∈S} p_i). A raw success rate would count only the people
who reached a fix, overstating it by 1 / (1 − Σ p of the fixes before it).
The estimate is found by EM with data augmentation: each unfixed diagnosis is
shared out over the categories outside S in proportion to the current
estimates (expected counts); the estimate is the posterior mean
(α + counts) / (Σα + N), repeated until it settles. A Thompson draw is one
sample of Dirichlet(α + expected counts).

**Can't do.** The rate q_i at which people cannot carry a fix out has its own
Beta prior (:data:`CANNOT_PRIOR`), updated by "cannot" among "offered".

**Which evidence counts for a context.** Every diagnosis whose path agrees
with every answer of the context (it may have answered more). A fix that does
not apply in the context counts as "needs support" there: from that context,
nobody is offered it.

**Answers.** The share of people giving each answer has a Dirichlet prior from
the choices' ``chance`` (equal shares when none is given), worth
``prior_strength`` answers, updated by the logged answers of people whose
earlier answers do not contradict the context.

**Forgetting** is the store's: each :class:`Stat` carries a raw ``count`` (for
sentences shown to people) and a discounted ``weight`` (used here). The
author's chances are the oldest knowledge of all, so the store fades them too:
``prior_scale`` (at most 1) multiplies ``prior_strength`` for the fixes. Without
that, a context with little traffic, whose discounted evidence is worth only
a few dozen diagnoses, stays held near the author's chances after a change.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from diagnostics.engine.conditions import applies, matches
from diagnostics.engine.model import Fix, Guide, Question

OTHER = ""  # the "needs support" category, next to the fixes
CANNOT_PRIOR = (0.25, 4.75)  # Beta(a, b) for the can't-do rate: 5% on average, worth 5 offers
SUPPORT_FLOOR = 0.01  # the least prior share left to "needs support", so a draw is defined
EM_ROUNDS = 200
EM_TOLERANCE = 1e-10


def context_key(context: Mapping[str, str]) -> str:
    """The canonical text of a context, e.g. ``"account=icloud;storage=plenty"``.

    Remembered per answers as given (the planner asks for the same few keys
    thousands of times a decision).
    """
    given = tuple(context.items())
    if (key := _CONTEXT_KEYS.get(given)) is None:
        if len(_CONTEXT_KEYS) >= _MAX_CONTEXT_KEYS:
            _CONTEXT_KEYS.clear()
        key = _CONTEXT_KEYS[given] = ";".join(f"{q}={context[q]}" for q in sorted(context))
    return key


_CONTEXT_KEYS: dict[tuple[tuple[str, str], ...], str] = {}
_MAX_CONTEXT_KEYS = 65536


def _parsed_context(key: str) -> tuple[tuple[str, str], ...]:
    """The answers of a context key as pairs, remembered (evidence names the same few)."""
    if (pairs := _PARSED.get(key)) is None:
        if len(_PARSED) >= _MAX_CONTEXT_KEYS:
            _PARSED.clear()
        pairs = _PARSED[key] = tuple(parse_context_key(key).items())
    return pairs


_PARSED: dict[str, tuple[tuple[str, str], ...]] = {}


def parse_context_key(key: str) -> dict[str, str]:
    """The context named by :func:`context_key` (``{}`` for ``""``)."""
    pairs = (part.partition("=") for part in key.split(";") if part)
    return {q: c for q, _, c in pairs}


# --- what one ended diagnosis teaches ---------------------------------------


@dataclass(frozen=True)
class EndedDiagnosis:
    """What one ended diagnosis teaches."""

    context: Mapping[str, str]  # the answers on its path
    failed: tuple[str, ...]  # fixes tried that did not fix, in order
    cannot: tuple[str, ...]  # fixes the person could not do (kept apart from failed)
    fixed: str | None  # the fix that worked, if any


def answers_before_fixes(entries: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """The answers of a journal given before its first fix result, in order.

    Only these teach how people answer a question. The planner may put a
    question off until after a fix (the look-ahead); whoever then reaches it is
    someone that fix did not help, so their answers lean towards whatever the
    fix does not solve. Counting them would bias the shares the planner reads as
    P(answer | context), and it already conditions on the fixes that failed, so
    the lean would count twice. Whether a question is asked before any fix
    depends only on the answers before it and on the evidence, never on the
    person's own answer, so the answers kept are an unbiased sample.
    """
    kept: list[tuple[str, str]] = []
    for kind, step_id, value in entries:
        if kind != "question":
            break
        kept.append((step_id, value))
    return kept


@dataclass(frozen=True)
class Tally:
    """One row to add to the rollup."""

    context: str  # context_key(...) ("" for question answers at the root)
    kind: str  # "fixed" | "unfixed_after" | "tried" | "cannot" | "offered" | "answer"
    key: str  # a fix id; "a,b" for unfixed_after; "question_id=choice_id" for answer


def tallies(
    guide: Guide, ended: EndedDiagnosis, answers_in_order: Sequence[tuple[str, str]]
) -> list[Tally]:
    """The rows one ended diagnosis adds to the rollup.

    Fixes and questions the guide does not know (a tampered journal) are left
    out. An unfixed diagnosis that tried nothing teaches nothing about the
    fixes, so it adds no ``unfixed_after`` row.
    """
    known = {f.id for f in guide.fixes}
    context = context_key(ended.context)
    failed = [f for f in dict.fromkeys(ended.failed) if f in known]
    cannot = [f for f in dict.fromkeys(ended.cannot) if f in known and f not in failed]
    fixed = ended.fixed if ended.fixed in known else None
    rows: list[Tally] = []
    if fixed is not None:
        rows.append(Tally(context, "fixed", fixed))
    elif failed:
        rows.append(Tally(context, "unfixed_after", ",".join(sorted(failed))))
    tried = [*failed, *([fixed] if fixed is not None else [])]
    rows += [Tally(context, "tried", f) for f in tried]
    rows += [Tally(context, "cannot", f) for f in cannot]
    rows += [Tally(context, "offered", f) for f in [*tried, *cannot]]
    before: dict[str, str] = {}
    for question_id, choice_id in answers_in_order:
        question = guide.question(question_id)
        if question is None or question.choice(choice_id) is None:
            continue
        rows.append(Tally(context_key(before), "answer", f"{question_id}={choice_id}"))
        before[question_id] = choice_id
    return rows


# --- the evidence and what it says ------------------------------------------


@dataclass(frozen=True)
class Stat:
    count: int  # raw number of diagnoses (for "Worked for 31 of 40 people": true counts)
    weight: float  # the same, discounted for age (for estimation)


type EvidenceTable = Mapping[tuple[str, str, str], Stat]  # (context, kind, key) -> Stat


@dataclass(frozen=True)
class FixEstimate:
    """One fix in one context, for the admin: the author's prior and what was learned."""

    fix: Fix
    prior: float  # the author's chance here
    evidence_count: int  # diagnoses like this one that tried it (raw)
    fixed_count: int  # ... and that it fixed (raw)
    p: float  # the estimate (posterior mean)
    q: float  # the can't-do rate (posterior mean)


@dataclass(frozen=True)
class _Posterior:
    fixes: tuple[str, ...]  # the fixes that apply, in the guide's order
    alpha: tuple[float, ...]  # prior weights, fixes then OTHER
    counts: tuple[float, ...]  # expected counts, fixes then OTHER
    mean: Mapping[str, float]  # posterior mean per fix (and OTHER)


def _gamma_draw(rng: random.Random, shape: float) -> float:
    return rng.gammavariate(shape, 1.0) if shape > 0 else 0.0


class Knowledge:
    """The author's priors plus the evidence: estimates per context, cached.

    Build one with :func:`knowledge`. It never changes once built, so its
    caches stay right; the store builds a new one when its aggregates change.
    """

    def __init__(
        self,
        guide: Guide,
        evidence: EvidenceTable | None,
        *,
        pinned: bool,
        prior_scale: float = 1.0,
    ) -> None:
        self.guide = guide
        self.pinned = pinned
        self.learned = evidence is not None and not pinned
        # What the author's chances of the fixes are worth, in diagnoses (faded by the store).
        self.fix_prior_strength = guide.prior_strength * (prior_scale if self.learned else 1.0)
        # Per kind, per context (as text): the (key, count, weight) of its rows.
        self._rows: dict[str, dict[str, list[tuple[str, int, float]]]] = {}
        for (context, kind, key), stat in (evidence or {}).items() if self.learned else ():
            if (by_context := self._rows.get(kind)) is None:
                by_context = self._rows[kind] = {}
            if (rows := by_context.get(context)) is None:
                rows = by_context[context] = []
            rows.append((key, stat.count, stat.weight))
        # Which contexts gave each answer, to find those covering a context quickly;
        # and which answered each question at all, to find those contradicting one.
        names = {name for by_context in self._rows.values() for name in by_context}
        self._names = frozenset(names)
        self._giving: dict[tuple[str, str], set[str]] = {}
        self._asked: dict[str, set[str]] = {}
        for name in names:
            for pair in _parsed_context(name):
                self._giving.setdefault(pair, set()).add(name)
                self._asked.setdefault(pair[0], set()).add(name)
        self._covering: dict[tuple[str, bool], frozenset[str]] = {}
        self._rules: dict[str, _PriorRules] = {}
        self._pooled: dict[tuple[str, str], dict[str, tuple[int, float]]] = {}
        self._posteriors: dict[str, _Posterior] = {}
        self._answers: dict[tuple[str, str], tuple[tuple[str, ...], tuple[float, ...]]] = {}
        self._priors: dict[str, dict[str, float]] = {}
        self._applicable: dict[str, tuple[str, ...]] = {}
        self._works: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
        self._cannot: dict[str, dict[str, float]] = {}

    # --- pooled evidence ---

    def _pool(self, context: Mapping[str, str], kind: str) -> dict[str, tuple[int, float]]:
        """Per key of ``kind``: (raw count, weight) over the evidence that counts here.

        Answers count from every diagnosis whose answers do not contradict the
        context; everything else from those that gave every answer of it.
        """
        cache_key = (context_key(context), kind)
        if (pooled := self._pooled.get(cache_key)) is None:
            pooled = {}
            by_context = self._rows.get(kind)
            if by_context:
                for name in self._covering_names(context, cache_key[0], loose=kind == "answer"):
                    for key, count, weight in by_context.get(name, ()):
                        if (had := pooled.get(key)) is None:
                            pooled[key] = (count, weight)
                        else:
                            pooled[key] = (had[0] + count, had[1] + weight)
            self._pooled[cache_key] = pooled
        return pooled

    def _covering_names(
        self, context: Mapping[str, str], key: str, *, loose: bool
    ) -> frozenset[str]:
        """The contexts (as text) of the evidence that counts for ``context``."""
        if (names := self._covering.get((key, loose))) is None:
            if loose:
                # Those that gave a different answer to a question of the context are out.
                contradicting: set[str] = set()
                for question_id, choice_id in context.items():
                    if asked := self._asked.get(question_id):
                        contradicting |= asked - self._giving.get((question_id, choice_id), set())
                names = self._names - contradicting
            else:
                names = self._names
                for pair in context.items():
                    names = names & self._giving.get(pair, frozenset())
            self._covering[(key, loose)] = names
        return names

    # --- answers ---

    def _answer_posterior(
        self, context: Mapping[str, str], question: Question
    ) -> tuple[tuple[str, ...], tuple[float, ...]]:
        cache_key = (context_key(context), question.id)
        if (cached := self._answers.get(cache_key)) is not None:
            return cached
        ids = tuple(c.id for c in question.choices)
        if all(c.chance is not None for c in question.choices):
            shares = [c.chance or 0.0 for c in question.choices]
        else:
            shares = [1.0 / len(ids)] * len(ids)
        strength = self.guide.prior_strength
        pooled = self._pool(context, "answer") if self.learned else {}
        weights = tuple(
            max(strength * share, 1e-3) + pooled.get(f"{question.id}={cid}", (0, 0.0))[1]
            for cid, share in zip(ids, shares, strict=True)
        )
        self._answers[cache_key] = (ids, weights)
        return ids, weights

    def answer_probs(
        self, context: Mapping[str, str], question: Question, *, rng: random.Random | None = None
    ) -> dict[str, float]:
        """P(answer | context) for each choice: the posterior mean, or a draw with ``rng``."""
        ids, weights = self._answer_posterior(context, question)
        if rng is not None and not self.pinned:
            weights = tuple(_gamma_draw(rng, w) for w in weights)
        total = sum(weights) or 1.0
        return {cid: w / total for cid, w in zip(ids, weights, strict=True)}

    # --- the author's priors ---

    def applicable(self, context: Mapping[str, str]) -> tuple[str, ...]:
        """The ids of the fixes that may be offered here, in the guide's order."""
        key = context_key(context)
        if (cached := self._applicable.get(key)) is None:
            fixes = self.guide.fixes
            cached = tuple(f.id for f in fixes if applies(self.guide, f, context))
            self._applicable[key] = cached
        return cached

    def prior(self, context: Mapping[str, str]) -> dict[str, float]:
        """The author's chance of each fix that applies here.

        A ``chance_if`` on a question not yet answered is averaged over its
        answers (their estimated shares), first matching rule winning in each.
        """
        key = context_key(context)
        if (cached := self._priors.get(key)) is not None:
            return cached
        by_id = {f.id: f for f in self.guide.fixes}
        priors = {f: self._fix_prior(by_id[f], context) for f in self.applicable(context)}
        self._priors[key] = priors
        return priors

    def _fix_prior(self, fix: Fix, context: Mapping[str, str]) -> float:
        if (rules := self._rules.get(fix.id)) is None:
            rules = self._rules[fix.id] = _prior_rules(self.guide, fix)
        unknown = [q for q in rules.questions if q.id not in context]
        if not unknown:
            return _first_chance(fix, context)
        # Averaged over the answers not known yet (independent shares). Answers that
        # no rule tells apart are taken together: the first matching rule is the same.
        classes = []
        for question in unknown:
            probs = self.answer_probs(context, question)
            classes.append(
                [(group[0], sum(probs[c] for c in group)) for group in rules.groups[question.id]]
            )
        total = 0.0
        filled = dict(context)
        for combo in itertools.product(*classes):
            share = 1.0
            for question, (choice_id, p) in zip(unknown, combo, strict=True):
                filled[question.id] = choice_id
                share *= p
            total += share * _first_chance(fix, filled)
        return total

    # --- fixes ---

    def _posterior(self, context: Mapping[str, str]) -> _Posterior:
        key = context_key(context)
        if (cached := self._posteriors.get(key)) is not None:
            return cached
        prior = self.prior(context)
        fixes = tuple(prior)
        strength = self.fix_prior_strength
        alpha = [strength * prior[f] for f in fixes]
        alpha.append(strength * max(1.0 - sum(prior.values()), SUPPORT_FLOOR))
        index = {f: i for i, f in enumerate(fixes)}
        other = len(fixes)
        direct = [0.0] * (other + 1)
        unfixed: dict[frozenset[int], float] = {}
        if self.learned:
            for fix_id, (_, weight) in self._pool(context, "fixed").items():
                direct[index.get(fix_id, other)] += weight
            for failed, (_, weight) in self._pool(context, "unfixed_after").items():
                tried = frozenset(index[f] for f in _split(failed) if f in index)
                if tried:
                    unfixed[tried] = unfixed.get(tried, 0.0) + weight
        counts = _expected_counts(alpha, direct, unfixed)
        total = sum(alpha) + sum(counts)
        mean = {f: (alpha[i] + counts[i]) / total for i, f in enumerate(fixes)}
        mean[OTHER] = (alpha[other] + counts[other]) / total
        posterior = _Posterior(fixes, tuple(alpha), tuple(counts), mean)
        self._posteriors[key] = posterior
        return posterior

    def fix_probs(
        self, context: Mapping[str, str], *, rng: random.Random | None = None
    ) -> dict[str, float]:
        """p for each fix that applies here: the posterior mean, or a Thompson draw with ``rng``.

        The draw is one sample of Dirichlet(prior + expected counts); a pinned
        guide never draws.
        """
        posterior = self._posterior(context)
        if rng is None or self.pinned:
            return {f: posterior.mean[f] for f in posterior.fixes}
        draws = [
            _gamma_draw(rng, a + n) for a, n in zip(posterior.alpha, posterior.counts, strict=True)
        ]
        total = sum(draws) or 1.0
        return {f: draws[i] / total for i, f in enumerate(posterior.fixes)}

    def means(self, context: Mapping[str, str]) -> tuple[dict[str, float], dict[str, float]]:
        """(p, p · (1 − q)) per fix that applies here, by the posterior means; cached."""
        key = context_key(context)
        if (cached := self._works.get(key)) is None:
            p = self.fix_probs(context)
            works = {f: v * (1 - self.cannot_rate(context, f)) for f, v in p.items()}
            cached = self._works[key] = (p, works)
        return cached

    def cannot_rates(self, context: Mapping[str, str]) -> dict[str, float]:
        """:meth:`cannot_rate` for every fix that applies here; cached (the planner asks
        for them with every draw)."""
        key = context_key(context)
        if (cached := self._cannot.get(key)) is None:
            cached = self._cannot[key] = {
                f: self.cannot_rate(context, f) for f in self.applicable(context)
            }
        return cached

    def cannot_rate(self, context: Mapping[str, str], fix_id: str) -> float:
        """q: the share of people who cannot carry this fix out (posterior mean)."""
        a, b = CANNOT_PRIOR
        if not self.learned:
            return a / (a + b)
        cannot = self._pool(context, "cannot").get(fix_id, (0, 0.0))[1]
        offered = self._pool(context, "offered").get(fix_id, (0, 0.0))[1]
        return (a + cannot) / (a + b + max(offered, cannot))

    def counts(self, context: Mapping[str, str], fix_id: str) -> tuple[int, int]:
        """(fixed, tried): raw numbers of diagnoses like this one (none when pinned)."""
        if not self.learned:
            return 0, 0
        fixed = self._pool(context, "fixed").get(fix_id, (0, 0.0))[0]
        tried = self._pool(context, "tried").get(fix_id, (0, 0.0))[0]
        return fixed, tried

    def estimates(self, context: Mapping[str, str]) -> list[FixEstimate]:
        """Every fix that applies here with its prior, evidence and estimates, best first."""
        prior = self.prior(context)
        means = self.fix_probs(context)
        rows = []
        for fix_id in prior:
            fix = self.guide.fix(fix_id)
            assert fix is not None
            fixed, tried = self.counts(context, fix_id)
            rows.append(
                FixEstimate(
                    fix=fix,
                    prior=prior[fix_id],
                    evidence_count=tried,
                    fixed_count=fixed,
                    p=means[fix_id],
                    q=self.cannot_rate(context, fix_id),
                )
            )
        order = {f.id: i for i, f in enumerate(self.guide.fixes)}
        rows.sort(key=lambda r: (-r.p * (1 - r.q) / r.fix.cost, order[r.fix.id]))
        return rows


@dataclass(frozen=True)
class _PriorRules:
    """What a fix's ``chance_if`` rules look at."""

    questions: tuple[Question, ...]  # named by a rule, in the order the rules name them
    groups: Mapping[str, tuple[tuple[str, ...], ...]]  # per question: choices no rule tells apart


def _prior_rules(guide: Guide, fix: Fix) -> _PriorRules:
    questions: list[Question] = []
    for rule in fix.chance_if:
        for question_id in rule.when:
            question = guide.question(question_id)
            if question is not None and question not in questions:
                questions.append(question)
    groups: dict[str, tuple[tuple[str, ...], ...]] = {}
    for question in questions:
        by_sign: dict[tuple[bool, ...], list[str]] = {}
        for choice in question.choices:
            sign = tuple(
                choice.id in rule.when[question.id]
                for rule in fix.chance_if
                if question.id in rule.when
            )
            by_sign.setdefault(sign, []).append(choice.id)
        groups[question.id] = tuple(tuple(ids) for ids in by_sign.values())
    return _PriorRules(tuple(questions), groups)


def _split(failed: str) -> tuple[str, ...]:
    """The fix ids of an ``unfixed_after`` key, remembered."""
    if (ids := _SPLIT.get(failed)) is None:
        if len(_SPLIT) >= _MAX_CONTEXT_KEYS:
            _SPLIT.clear()
        ids = _SPLIT[failed] = tuple(failed.split(","))
    return ids


_SPLIT: dict[str, tuple[str, ...]] = {}


def _first_chance(fix: Fix, context: Mapping[str, str]) -> float:
    for rule in fix.chance_if:
        if matches(rule.when, context):
            return rule.chance
    return fix.chance


def _expected_counts(
    alpha: Sequence[float], direct: Sequence[float], unfixed: Mapping[frozenset[int], float]
) -> list[float]:
    """Expected counts per category (fixes, then "needs support") by EM.

    ``direct`` are observed categories (a fix that worked); ``unfixed`` maps a
    set of failed fixes to the weight of diagnoses that ended unfixed after
    them: each is shared out over the other categories in proportion to the
    current posterior mean.
    """
    total_alpha = sum(alpha)
    n = sum(direct) + sum(unfixed.values())
    mean = [a / total_alpha for a in alpha]
    counts = list(direct)
    if not unfixed:
        return counts
    size = len(alpha)
    # Each set of failed fixes with its weight, and the categories outside it.
    sets = [
        (tuple(failed), tuple(i for i in range(size) if i not in failed), weight)
        for failed, weight in unfixed.items()
    ]
    denominator = total_alpha + n
    for _ in range(EM_ROUNDS):
        # Per category: Σ weight / (1 − Σ p of the failed) over the sets it is outside.
        outside = [0.0] * size
        for failed, others, weight in sets:
            rest = 1.0 - sum(mean[i] for i in failed)
            if rest <= 0:
                continue
            share = weight / rest
            for i in others:
                outside[i] += share
        counts = [d + m * o for d, m, o in zip(direct, mean, outside, strict=True)]
        new = [(a + c) / denominator for a, c in zip(alpha, counts, strict=True)]
        change = max(abs(x - y) for x, y in zip(new, mean, strict=True))
        mean = new
        if change < EM_TOLERANCE:
            break
    return counts


def knowledge(
    guide: Guide,
    evidence: EvidenceTable | None = None,
    *,
    pinned: bool = False,
    prior_scale: float = 1.0,
) -> Knowledge:
    """What the engine knows about ``guide``: the author's priors, plus ``evidence``
    unless the guide is ``pinned`` to the author's order (or there is none).

    ``prior_scale`` (0 < scale <= 1) is how much of ``prior_strength`` the
    author's chances of the fixes still weigh beside the evidence (the store
    fades them as it forgets); without evidence they keep all of it.
    """
    return Knowledge(guide, evidence, pinned=pinned, prior_scale=prior_scale)
