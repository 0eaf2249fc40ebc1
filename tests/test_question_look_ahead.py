"""A question worth asking is put off until after the next fix when that is cheaper
(the one-step look-ahead), and asked first when asking first is cheaper.

The expected costs are worked out by hand below (support 30 minutes; an unseen
can't-do rate has prior mean 5 %, so p' = 0.95 · p) and checked with
``engine.expected_cost``.
"""

from __future__ import annotations

import pytest

from diagnostics import engine
from tests.planning_guides import fix, guide, offered, question

pytestmark = pytest.mark.filterwarnings("error")

S = 30  # support_minutes


def quick_then_deep(
    *, quick_minutes: float, quick_chance: float, deep_chance: float
) -> engine.Guide:
    """``deep`` (2 minutes) only for people who answer yes (half of them); ``q`` costs 1."""
    return guide(
        [
            fix("quick", minutes=quick_minutes, chance=quick_chance),
            fix("deep", minutes=2, chance=deep_chance, when={"q": ["yes"]}),
        ],
        [question("q", minutes=1)],
        support_minutes=S,
    )


def test_a_question_is_put_off_when_the_next_fix_comes_first_whatever_the_answer() -> None:
    # quick: 1 minute, p' = 0.285; deep: 2 minutes, p' = 0.38 for "yes", not offered otherwise.
    g = quick_then_deep(quick_minutes=1, quick_chance=0.3, deep_chance=0.4)
    cost = engine.expected_cost
    never = cost([(1, 0.285)], S)  # 22.45: deep is never offered
    ask_now = 1 + 0.5 * cost([(1, 0.285), (2, 0.38)], S) + 0.5 * cost([(1, 0.285)], S)
    # Quick first (it comes first after either answer); then, for the 0.715 it leaves,
    # ask: "yes" has deep with p' = 0.38 / 0.7, "no" has nothing left.
    after_quick = 1 + 0.5 * cost([(2, 0.38 / 0.7)], S) + 0.5 * S
    ask_after_quick = 1 + (1 - 0.285) * after_quick
    assert never == pytest.approx(22.45)
    assert ask_now == pytest.approx(18.465)  # worth asking: the myopic rule asked it first
    assert ask_after_quick == pytest.approx(18.0571, abs=1e-3)  # but later is cheaper
    assert offered(g, engine.knowledge(g)) == ["fix:quick", "question:q", "fix:deep"]


def test_a_question_is_asked_first_when_an_answer_changes_the_first_fix() -> None:
    # quick: 2 minutes, p' = 0.1425; deep: 2 minutes, p' = 0.76 for "yes": deep first then.
    g = quick_then_deep(quick_minutes=2, quick_chance=0.15, deep_chance=0.8)
    cost = engine.expected_cost
    ask_now = 1 + 0.5 * cost([(2, 0.76), (2, 0.1425)], S) + 0.5 * cost([(2, 0.1425)], S)
    after_quick = 1 + 0.5 * cost([(2, 0.76 / 0.85)], S) + 0.5 * S
    ask_after_quick = 2 + (1 - 0.1425) * after_quick
    assert ask_now == pytest.approx(17.565)
    assert ask_after_quick == pytest.approx(17.9394, abs=1e-3)
    assert offered(g, engine.knowledge(g)) == ["question:q", "fix:deep", "fix:quick"]


def test_gates_are_not_put_off() -> None:
    """A gate worth asking is asked before any fix, even when asking it later would be
    cheaper: its answer can end the diagnosis before anything is changed."""
    outage = {"id": "outage", "kind": "not_applicable", "title": "t", "body": "b"}
    status = question("status", ["fine", "down"], gate=True)
    status["choice"][1]["next"] = "outage"
    g = guide(
        [fix("quick", minutes=1, chance=0.3), fix("deep", chance=0.4, when={"q": ["yes"]})],
        [status, question("q", minutes=1)],
        outcomes=[outage],
        support_minutes=S,
    )
    assert offered(g, engine.knowledge(g))[:3] == ["question:status", "fix:quick", "question:q"]


def two_keys(
    both_chance: float, *, quick_minutes: float = 2, quick_chance: float = 0.1
) -> engine.Guide:
    """``both`` (2 minutes) is offered only to people who answer yes to ``a`` and ``b``."""
    return guide(
        [
            fix("quick", minutes=quick_minutes, chance=quick_chance),
            fix("both", minutes=2, chance=both_chance, when={"a": ["yes"], "b": ["yes"]}),
        ],
        [question("a"), question("b")],
        support_minutes=S,
    )


def test_two_questions_that_pay_only_together_are_asked() -> None:
    """Neither answer alone can unlock ``both``, so each question on its own is worth
    nothing (the myopic rule never asked either, and ``both`` was never offered).
    Asking ``a`` and then, after "yes", ``b`` pays: the two-question look-ahead."""
    g = two_keys(both_chance=0.6)
    cost = engine.expected_cost
    never = cost([(2, 0.095)], S)  # quick alone, p' = 0.095
    unlocked = cost([(2, 0.57), (2, 0.095)], S)  # both first: 0.285 per minute against 0.0475
    after_yes = 1 + 0.5 * unlocked + 0.5 * never  # ask b once a is "yes"
    ask_a = 1 + 0.5 * after_yes + 0.5 * never
    assert never == pytest.approx(29.15)
    assert unlocked == pytest.approx(12.91)
    assert ask_a == pytest.approx(26.59)  # < 29.15: worth asking
    assert offered(g, engine.knowledge(g)) == [
        "question:a",
        "question:b",
        "fix:both",
        "fix:quick",
    ]


def test_two_questions_that_do_not_pay_together_are_not_asked() -> None:
    g = two_keys(both_chance=0.05)
    cost = engine.expected_cost
    never = cost([(2, 0.095)], S)
    unlocked = cost([(2, 0.095), (2, 0.0475)], S)  # quick first now
    after_yes = 1 + 0.5 * unlocked + 0.5 * never
    assert after_yes > never  # asking b after a "yes" does not pay, so neither does a
    assert offered(g, engine.knowledge(g)) == ["fix:quick"]


def test_two_questions_that_pay_together_wait_for_a_fix_when_that_is_cheaper() -> None:
    """The pair is weighed after the next fix too (the look-ahead), with the chances
    that fix's failure leaves: here ``quick`` is tried first, then ``a`` and ``b``."""
    g = two_keys(both_chance=0.4, quick_minutes=1, quick_chance=0.5)
    cost = engine.expected_cost
    never = cost([(1, 0.475)], S)  # quick alone
    unlocked = cost([(1, 0.475), (2, 0.38)], S)  # quick first: 0.475 per minute against 0.19
    ask_now = 1 + 0.5 * (1 + 0.5 * unlocked + 0.5 * never) + 0.5 * never
    # Once quick has failed, half the chances are gone: both has p' = 0.38 / 0.5.
    after_quick = 1 + 0.5 * (1 + 0.5 * cost([(2, 0.76)], S) + 0.5 * S) + 0.5 * S
    quick_first = 1 + (1 - 0.475) * after_quick
    assert never == pytest.approx(16.75)
    assert ask_now == pytest.approx(15.6625)  # the pair pays now ...
    assert after_quick == pytest.approx(26.3)  # ... and still pays after quick, which
    assert quick_first == pytest.approx(14.8075)  # comes out cheaper
    assert offered(g, engine.knowledge(g)) == [
        "fix:quick",
        "question:a",
        "question:b",
        "fix:both",
    ]
