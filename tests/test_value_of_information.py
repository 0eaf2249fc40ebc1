"""A question is asked only when its answer is worth its cost (myopic value of information)."""

from __future__ import annotations

import pytest

from diagnostics import engine
from tests.planning_guides import ended, evidence, fix, guide, offered, question

pytestmark = pytest.mark.filterwarnings("error")


def test_a_question_that_cannot_change_the_plan_is_never_asked() -> None:
    # Nothing depends on the colour, and no answer ends the diagnosis: even free, it is skipped.
    g = guide([fix("a", chance=0.5), fix("b", chance=0.2)], [question("colour", minutes=0)])
    assert offered(g, engine.knowledge(g)) == ["fix:a", "fix:b"]
    assert engine.validate_guide(g) == []  # and the validator does not call it unreachable


def storage_guide(*, question_minutes: float, support_minutes: float = 30) -> engine.Guide:
    """Freeing space works for half the people whose storage is full; it is only offered
    to them (``when``), so without asking, nobody is offered it."""
    return guide(
        [
            fix("free_space", chance=0.5, when={"full": ["yes"]}),
            fix("restart", chance=0.1),
        ],
        [question("full", minutes=question_minutes)],
        support_minutes=support_minutes,
    )


def test_a_question_whose_expected_saving_exceeds_its_cost_is_asked() -> None:
    # Asking saves about P(full) · p · (support − minutes) = 0.5 · 0.5 · 28 = 7 minutes.
    g = storage_guide(question_minutes=1)
    assert offered(g, engine.knowledge(g))[0] == "question:full"
    assert offered(g, engine.knowledge(g)) == ["question:full", "fix:free_space", "fix:restart"]


def test_a_question_that_costs_more_than_it_saves_is_skipped() -> None:
    g = storage_guide(question_minutes=12)
    # Not asked, so the fix that needs its answer is never offered (`when` is a hard rule).
    assert offered(g, engine.knowledge(g)) == ["fix:restart"]


def test_a_when_that_allows_every_answer_needs_no_question() -> None:
    g = guide(
        [fix("a", chance=0.3, when={"colour": ["red", "blue"]}), fix("b", chance=0.2)],
        [question("colour", ["red", "blue"], minutes=0)],
    )
    assert offered(g, engine.knowledge(g)) == ["fix:a", "fix:b"]


def test_a_gate_that_can_end_the_diagnosis_is_asked_first() -> None:
    outage = {"id": "outage", "kind": "not_applicable", "title": "t", "body": "b"}
    status = question("status", ["fine", "down"], gate=True)
    status["choice"][1]["next"] = "outage"
    g = guide(
        [fix("a", chance=0.3), fix("b", chance=0.2)],
        [question("full", minutes=1), status],
        outcomes=[outage],
    )
    assert offered(g, engine.knowledge(g))[0] == "question:status"
    assert engine.decide(g, engine.knowledge(g), {"status": "down"}, ()).step.id == "outage"
    # It still pays its cost: when it costs more than trying everything, it is skipped.
    status["minutes"] = 60
    g = guide([fix("a", chance=0.3), fix("b", chance=0.2)], [status], outcomes=[outage])
    assert offered(g, engine.knowledge(g)) == ["fix:a", "fix:b"]


def test_a_gate_comes_before_a_question_asked_to_explore() -> None:
    """A question asked for exploration's sake never jumps ahead of a gate."""
    outage = {"id": "outage", "kind": "not_applicable", "title": "t", "body": "b"}
    status = question("status", ["fine", "down"], gate=True)
    status["choice"][1]["next"] = "outage"
    g = guide(
        [fix("free_space", chance=0.5, when={"full": ["yes"]}), fix("restart", chance=0.1)],
        [question("full", minutes=4), status],
        outcomes=[outage],
    )
    table = evidence(g, [ended(full="no") for _ in range(200)])  # "full" now rarely pays
    known = engine.knowledge(g, table)
    walks = [offered(g, known, seed=seed) for seed in range(400)]
    explored = [steps for steps in walks if "question:full" in steps]
    assert explored  # some diagnoses still ask it, to keep learning its answers
    assert all(steps[0] == "question:status" for steps in walks)


def test_a_question_can_come_between_fixes() -> None:
    """A quick fix that works for half the people goes first; once it failed, the
    question that unlocks a likely fix is worth asking."""
    g = guide(
        [fix("quick", minutes=1, chance=0.5), fix("deep", chance=0.4, when={"q": ["yes"]})],
        [question("q", minutes=3)],
        support_minutes=14,
    )
    known = engine.knowledge(g)
    assert offered(g, known) == ["fix:quick", "question:q", "fix:deep"]
    failed = (engine.Attempt("quick", engine.Result.NOT_FIXED),)
    step = engine.next_step(g, {}, failed)
    assert step.id == "q"
    shown = engine.progress(g, {}, failed)
    assert (shown.kind, shown.number, shown.total) == ("question", 1, 1)
    after = engine.progress(g, {"q": "yes"}, failed)
    assert (after.kind, after.number, after.total) == ("fix", 2, 2)


def test_the_plan_without_asking_uses_the_same_model() -> None:
    """The answer only changes a fix's chance (``chance_if``), not whether it applies.
    The plan without asking uses the chance averaged over the answers, so asking pays
    exactly when the order would change by more than the question's cost."""
    fixes = [
        fix("a", chance=0.05, chance_if=[{"when": {"q": ["yes"]}, "chance": 0.6}]),
        fix("b", chance=0.3),
    ]
    # Knowing saves 0.25 minutes: P(no) · (ECR of a, b − ECR of b, a when no) = 0.5 · 0.5.
    cheap = guide(fixes, [question("q", minutes=0.2)])
    assert offered(cheap, engine.knowledge(cheap)) == ["question:q", "fix:a", "fix:b"]
    dear = guide(fixes, [question("q", minutes=0.3)])
    # Without asking, a's chance is 0.5 · 0.6 + 0.5 · 0.05 = 0.325 > 0.3: a first.
    assert offered(dear, engine.knowledge(dear)) == ["fix:a", "fix:b"]


def test_learned_answer_shares_change_the_value_of_asking() -> None:
    g = storage_guide(question_minutes=4)
    # The restart comes first whatever the answer, so the question comes after it.
    assert offered(g, engine.knowledge(g)) == ["fix:restart", "question:full", "fix:free_space"]
    # Hardly anyone's storage is ever full: asking no longer pays.
    table = evidence(g, [ended(full="no") for _ in range(200)])
    assert offered(g, engine.knowledge(g, table)) == ["fix:restart"]


def test_a_rarely_asked_question_is_still_asked_now_and_then() -> None:
    g = storage_guide(question_minutes=4)
    table = evidence(g, [ended(full="no") for _ in range(200)])
    known = engine.knowledge(g, table)
    asked = sum("question:full" in offered(g, known, seed=seed) for seed in range(400))
    assert 5 <= asked <= 45  # about EXPLORE_RATE (5%) of 400 diagnoses
    # A question that cannot matter is never asked, not even to explore.
    useless = guide([fix("a", chance=0.5)], [question("colour", minutes=0)])
    known = engine.knowledge(useless, {})
    assert not any("question:colour" in offered(useless, known, seed=s) for s in range(200))


def test_the_validator_checks_chances_in_every_context() -> None:
    g = {
        "guide": {
            "slug": "t",
            "title": "t",
            "summary": "s",
            "resolved": "fixed",
            "exhausted": "help",
            "support_minutes": 30,
        },
        "question": [question("full")],
        "fix": [
            fix("free_space", chance=0.5, when={"full": ["yes"]}),
            fix("restart", chance=0.3, chance_if=[{"when": {"full": ["yes"]}, "chance": 0.6}]),
        ],
        "outcome": [
            {"id": "fixed", "kind": "resolved", "title": "t", "body": "b"},
            {"id": "help", "kind": "escalate", "title": "t", "body": "b"},
        ],
    }
    _, errors = engine.guide_problems(g)
    assert [str(e) for e in errors] == [
        "guide: the chances of the fixes that apply add up to 1.1, more than 1, when full = yes"
    ]
