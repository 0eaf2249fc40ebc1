"""Plans shared between diagnoses that plan alike are the plans each would make afresh."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from diagnostics import engine
from diagnostics.engine import planning
from tests.planning_guides import ended, evidence


def _learned(g: engine.Guide, seed: int, favourite: str | None = None) -> engine.Knowledge:
    """Evidence from 300 random ended diagnoses of ``g``; ``favourite``, where it
    applies, was tried first and fixed most of them."""
    rng = random.Random(seed)
    log = []
    for _ in range(300):
        answers = {q.id: rng.choice(q.choices).id for q in g.questions}
        fixes = [f.id for f in engine.applicable_fixes(g, answers)]
        rng.shuffle(fixes)
        if favourite in fixes and rng.random() < 0.9:
            log.append(ended(fixed=favourite, **engine.path_answers(g, answers)))
            continue
        cut = rng.randrange(len(fixes) + 1) if fixes else 0
        fixed = fixes[cut] if cut < len(fixes) and rng.random() < 0.6 else None
        log.append(ended(failed=fixes[:cut], fixed=fixed, **engine.path_answers(g, answers)))
    return engine.knowledge(g, evidence(g, log))


def _afresh(*args: object, **kwargs: object) -> engine.Decision:
    """``engine.decide``, planning with nothing shared (as before plans were shared)."""
    shared = planning._planned
    planning._planned = lambda planner, context, _key, questions, tried, failed: planner.plan(
        context, questions, tried, failed
    )
    try:
        return engine.decide(*args, **kwargs)
    finally:
        planning._planned = shared


def _walks(
    g: engine.Guide, known: engine.Knowledge, *, fresh: bool, people: int = 150
) -> Iterator[tuple[int, engine.Decision]]:
    """Every decision of ``people`` random diagnoses (seeds 0..people-1), walked to the end.

    ``fresh``: every decision plans afresh (nothing shared with another one).
    """
    rng = random.Random(9)
    for seed in range(people):
        answers: dict[str, str] = {}
        attempts: tuple[engine.Attempt, ...] = ()
        memo: dict[str, list[str]] = {}
        for _ in range(60):
            if fresh:
                decision = _afresh(g, known, answers, attempts, seed=seed, memo=memo)
            else:
                decision = engine.decide(g, known, answers, attempts, seed=seed, memo=memo)
            yield seed, decision
            memo = {key: list(plan) for key, plan in decision.memo.items()}
            step = decision.step
            if isinstance(step, engine.Outcome):
                break
            if isinstance(step, engine.Question):
                answers[step.id] = rng.choice(step.choices).id
            else:
                result = rng.choice([engine.Result.NOT_FIXED] * 4 + [engine.Result.FIXED])
                attempts = (*attempts, engine.Attempt(step.id, result))


def test_shared_plans_give_the_same_decisions_as_planning_afresh(
    shipped_guide: engine.Guide,
) -> None:
    known = _learned(shipped_guide, seed=42)
    planning._PLANS.clear()
    shared = list(_walks(shipped_guide, known, fresh=False))
    assert planning._PLANS.get(known), "the diagnoses that do not draw shared no plan"
    fresh = list(_walks(shipped_guide, known, fresh=True))
    # The same people get the same steps, reasons and memos, drawing or not.
    assert shared == fresh
    assert len(shared) > 500
    drawing = {seed for seed, _ in shared if planning.draws(seed)}
    assert 0 < len(drawing) < 150  # both kinds were walked


def test_a_plan_is_shared_only_by_diagnoses_that_do_not_draw(
    shipped_guide: engine.Guide,
) -> None:
    known = _learned(shipped_guide, seed=42)
    planning._PLANS.clear()
    drawing = next(seed for seed in range(1000) if planning.draws(seed))
    engine.decide(shipped_guide, known, {}, (), seed=drawing)
    assert not planning._PLANS.get(known)
    steady = next(seed for seed in range(1000) if not planning.draws(seed))
    engine.decide(shipped_guide, known, {}, (), seed=steady)
    assert len(planning._PLANS[known]) == 1


def test_new_evidence_is_not_served_an_old_plan(shipped_guide: engine.Guide) -> None:
    """A new knowledge snapshot plans with its own evidence, not the plans of the one before."""
    planning._PLANS.clear()
    walked = set()
    for number, fix in enumerate(shipped_guide.fixes):
        # Each snapshot in turn, as a process's store replaces it: one fix works best.
        known = _learned(shipped_guide, seed=number, favourite=fix.id)
        shared = list(_walks(shipped_guide, known, fresh=False, people=40))
        assert shared == list(_walks(shipped_guide, known, fresh=True, people=40))
        walked.add(tuple(engine.step_key(decision.step) for _, decision in shared))
    # The premise: the snapshots planned differently, so an old plan would have shown.
    assert len(walked) > 1


def test_the_plans_kept_are_bounded(
    shipped_guide: engine.Guide, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "PLANS_KEPT", 3)
    known = _learned(shipped_guide, seed=42)
    planning._PLANS.clear()
    shared = list(_walks(shipped_guide, known, fresh=False, people=40))
    assert len(planning._PLANS[known]) == 3
    assert shared == list(_walks(shipped_guide, known, fresh=True, people=40))
