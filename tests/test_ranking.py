"""Ranking fixes: expected cost of repair, the order that minimises it, the memo, the why."""

from __future__ import annotations

import itertools
import random

import pytest

from diagnostics import engine
from tests.planning_guides import ended, evidence, fix, guide, offered

pytestmark = pytest.mark.filterwarnings("error")


def test_expected_cost_of_an_order() -> None:
    # 2 + 5·(1 − 0.5) + support 30·(1 − 0.5 − 0.2)
    assert engine.expected_cost([(2, 0.5), (5, 0.2)], 30) == pytest.approx(2 + 2.5 + 9)
    assert engine.expected_cost([], 30) == 30


def test_the_order_offered_minimises_the_expected_cost() -> None:
    rng = random.Random(5)
    for _ in range(30):
        specs = {
            f"f{i}": (rng.choice([1, 2, 3, 5, 8]), round(rng.uniform(0.01, 0.2), 3))
            for i in range(5)
        }
        g = guide([fix(f, minutes=m, chance=p) for f, (m, p) in specs.items()])
        order = [key.removeprefix("fix:") for key in offered(g, engine.knowledge(g))]
        cost = engine.expected_cost([specs[f] for f in order], g.support_minutes)
        best = min(
            engine.expected_cost([specs[f] for f in perm], g.support_minutes)
            for perm in itertools.permutations(specs)
        )
        assert cost == pytest.approx(best)


def test_ties_keep_the_files_order() -> None:
    g = guide([fix("b", chance=0.2), fix("a", chance=0.2), fix("c", minutes=4, chance=0.4)])
    assert offered(g, engine.knowledge(g)) == ["fix:b", "fix:a", "fix:c"]


def test_a_penalty_counts_as_minutes() -> None:
    g = guide([fix("reset", minutes=2, penalty=30, chance=0.4), fix("restart", chance=0.1)])
    reset = g.fix("reset")
    assert reset is not None
    assert reset.cost == 32
    assert offered(g, engine.knowledge(g)) == ["fix:restart", "fix:reset"]


def test_a_context_dependent_prior_applies_where_its_condition_holds() -> None:
    g = guide(
        [
            fix("free_space", chance=0.05, chance_if=[{"when": {"full": ["yes"]}, "chance": 0.6}]),
            fix("restart", chance=0.2),
        ],
        [{"id": "full", "prompt": "Full?", "minutes": 0.5, "choice": _choices("yes", "no")}],
    )
    known = engine.knowledge(g)
    assert offered(g, known, {"full": "yes"})[0] == "fix:free_space"
    assert offered(g, known, {"full": "no"})[0] == "fix:restart"


# --- the memo: the order does not change under a person's feet -----------------------


def _reordering_evidence(g: engine.Guide) -> dict[tuple[str, str, str], engine.Stat]:
    log = [ended(fixed="b") for _ in range(30)] + [ended(failed=["a"]) for _ in range(38)]
    return evidence(g, log)


def test_the_memo_keeps_the_order_when_evidence_changes() -> None:
    g = guide([fix("a", chance=0.5), fix("b", chance=0.2), fix("c", chance=0.1)])
    before = engine.decide(g, engine.knowledge(g), {}, (), seed=11)
    assert before.step.id == "a"
    after = engine.knowledge(g, _reordering_evidence(g))
    assert engine.decide(g, after, {}, (), seed=11).step.id == "b"  # a new diagnosis
    # The diagnosis that started before: same step, then the same plan, whatever is known now.
    assert engine.decide(g, after, {}, (), seed=11, memo=before.memo).step.id == "a"
    tried = (engine.Attempt("a", engine.Result.NOT_FIXED),)
    assert engine.decide(g, after, {}, tried, seed=11, memo=before.memo).step.id == "b"
    assert offered(g, engine.knowledge(g)) == ["fix:a", "fix:b", "fix:c"]


def test_back_and_a_reload_and_another_worker_see_the_same_step() -> None:
    g = guide([fix(f, chance=0.12) for f in "abcdefg"])
    table = _reordering_evidence(g)
    worker_one, worker_two = engine.knowledge(g, table), engine.knowledge(g, table)
    first = engine.decide(g, worker_one, {}, (), seed=99)
    tried = (engine.Attempt(first.step.id, engine.Result.NOT_FIXED),)
    second = engine.decide(g, worker_one, {}, tried, seed=99, memo=first.memo)
    # Back (the attempt undone), then forward again, on the other worker.
    back = engine.decide(g, worker_two, {}, (), seed=99, memo=second.memo)
    assert back.step == first.step
    again = engine.decide(g, worker_two, {}, tried, seed=99, memo=back.memo)
    assert again.step == second.step
    assert again.memo == second.memo


def test_a_tampered_memo_is_ignored() -> None:
    g = guide([fix("a", chance=0.5), fix("b", chance=0.2)])
    known = engine.knowledge(g)
    tampered: list[object] = [
        {"": ["fix:nonsense"]},
        {"": "fix:b"},
        {"": ["question:nope"]},
        {"": 7},
        {"": [None]},
        ["fix:b"],
    ]
    for memo in tampered:
        decision = engine.decide(g, known, {}, (), memo=memo)
        assert decision.step.id == "a"
        assert decision.memo[""] == ["fix:a", "fix:b"]


# --- the why -------------------------------------------------------------------


def _reason(g: engine.Guide, known: engine.Knowledge) -> engine.Reason | None:
    return engine.decide(g, known, {}, ()).reason


def test_worked_for_only_with_enough_similar_diagnoses() -> None:
    g = guide([fix("a", chance=0.5), fix("b", chance=0.2)])
    enough = [ended(fixed="a") for _ in range(15)]
    enough += [ended(failed=["a"]) for _ in range(engine.MIN_SAMPLE - 15)]
    reason = _reason(g, engine.knowledge(g, evidence(g, enough)))
    assert reason == engine.Reason("worked_for", fixed=15, tried=engine.MIN_SAMPLE)
    too_few = _reason(g, engine.knowledge(g, evidence(g, enough[1:])))
    assert too_few is not None
    assert too_few.kind == "guide"
    # A pinned guide's order is the author's: no claim from data.
    pinned = _reason(g, engine.knowledge(g, evidence(g, enough), pinned=True))
    assert pinned == engine.Reason("guide")


def test_quick_when_it_comes_first_for_being_cheap() -> None:
    g = guide([fix("slow", minutes=20, chance=0.5), fix("quick", minutes=1, chance=0.1)])
    assert _reason(g, engine.knowledge(g)) == engine.Reason("quick", minutes=1)


def test_the_guide_suggests_when_there_is_no_data_and_it_is_not_just_cheap() -> None:
    g = guide([fix("likely", minutes=1, chance=0.5), fix("slow", minutes=20, chance=0.1)])
    assert _reason(g, engine.knowledge(g)) == engine.Reason("guide")
    outcome = engine.decide(g, engine.knowledge(g), {}, (engine.Attempt("likely", "fixed"),))
    assert outcome.reason is None


def _choices(*ids: str) -> list[dict[str, str]]:
    return [{"id": c, "label": c.title()} for c in ids]


def test_every_learned_path_of_the_shipped_guides_ends_in_an_outcome(
    shipped_guide: engine.Guide,
) -> None:
    """Random people, random evidence, random seeds, Back now and then: every diagnosis
    ends in an outcome, no fix is offered twice, and the memo replays each step."""
    rng = random.Random(42)
    log = []
    for _ in range(300):
        answers = {q.id: rng.choice(q.choices).id for q in shipped_guide.questions}
        fixes = [f.id for f in engine.applicable_fixes(shipped_guide, answers)]
        rng.shuffle(fixes)
        cut = rng.randrange(len(fixes) + 1) if fixes else 0
        fixed = fixes[cut] if cut < len(fixes) and rng.random() < 0.6 else None
        log.append(
            ended(failed=fixes[:cut], fixed=fixed, **engine.path_answers(shipped_guide, answers))
        )
    known = engine.knowledge(shipped_guide, evidence(shipped_guide, log))
    for seed in range(60):
        answers: dict[str, str] = {}
        attempts: tuple[engine.Attempt, ...] = ()
        memo: dict[str, list[str]] = {}
        shown: list[tuple[dict[str, str], tuple[engine.Attempt, ...], engine.Step]] = []
        for _ in range(60):
            decision = engine.decide(shipped_guide, known, answers, attempts, seed=seed, memo=memo)
            replay = engine.decide(
                shipped_guide,
                engine.knowledge(shipped_guide),
                answers,
                attempts,
                memo=decision.memo,
            )
            assert replay.step == decision.step
            memo = dict(decision.memo)
            step = decision.step
            if isinstance(step, engine.Outcome):
                break
            if shown and rng.random() < 0.15:  # Back: the step shown before comes again
                answers, attempts, before = shown.pop()
                again = engine.decide(shipped_guide, known, answers, attempts, seed=seed, memo=memo)
                assert again.step == before
                memo = dict(again.memo)
                step = before
            shown.append((dict(answers), attempts, step))
            if isinstance(step, engine.Question):
                answers[step.id] = rng.choice(step.choices).id
            else:
                assert step.id not in {a.fix for a in attempts}, "a fix was offered twice"
                result = rng.choice([engine.Result.NOT_FIXED] * 4 + [engine.Result.FIXED])
                attempts = (*attempts, engine.Attempt(step.id, result))
        else:
            pytest.fail("the diagnosis never ended")
        assert isinstance(step, engine.Outcome)
