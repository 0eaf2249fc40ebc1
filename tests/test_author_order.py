"""The author's order of fixes, on a guide built so that order shows.

With no evidence, fixes are offered by chance of success per minute of effort.
Here every fix has the same prior chance, so that is cheapest first, and a tie
keeps the file's order. The shipped guide happens to list its fixes close to
that order, so a planner that ignored cost would still pass there. This guide
lists its fixes in an order that differs from their ranking, with ties on
minutes, so each rule of the ranking changes the result:

========  ====  ==========  ======================
file     minutes when        ranked (all applying)
========  ====  ==========  ======================
reinstall  3                5th
restart    1                1st (tie on 1: file order)
update     2                3rd (tie on 2: file order)
cache      1                2nd
relogin    2    wifi only   4th
========  ====  ==========  ======================

The learned part of the ranking (evidence, chances that differ, value of
information) is tested in tests/test_ranking.py and tests/test_learning.py.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from diagnostics import engine
from diagnostics.engine import Attempt, Fix, Outcome, Result

pytestmark = pytest.mark.filterwarnings("error")


def _fix(fix_id: str, minutes: int, **when: list[str]) -> dict[str, Any]:
    return {
        "id": fix_id,
        "title": f"Try {fix_id}",
        "why": "Often helps.",
        "steps": ["Do it."],
        "minutes": minutes,
        "chance": 0.1,
        **({"when": when} if when else {}),
    }


RANKING_GUIDE: dict[str, Any] = {
    "guide": {
        "slug": "ranking",
        "title": "App will not sync",
        "summary": "A guide whose file order is not its ranking.",
        "resolved": "fixed",
        "exhausted": "escalate",
        "support_minutes": 30,
    },
    "question": [
        {
            "id": "network",
            "prompt": "How is the device connected?",
            "minutes": 0.5,
            "choice": [{"id": "wifi", "label": "Wi-Fi"}, {"id": "cellular", "label": "Mobile"}],
        }
    ],
    "fix": [
        _fix("reinstall", 3),
        _fix("restart", 1),
        _fix("update", 2),
        _fix("cache", 1),
        _fix("relogin", 2, network=["wifi"]),
    ],
    "outcome": [
        {"id": "fixed", "kind": "resolved", "title": "Syncing again", "body": "Good."},
        {"id": "escalate", "kind": "escalate", "title": "Let us help", "body": "Support next."},
    ],
}

# What a person is offered, in order, for each answer.
RANKED_ON_WIFI = ["restart", "cache", "update", "relogin", "reinstall"]
RANKED_ON_CELLULAR = ["restart", "cache", "update", "reinstall"]


@pytest.fixture(scope="module")
def ranking_guide() -> engine.Guide:
    return engine.load_guide(RANKING_GUIDE)


def test_the_guide_lists_its_fixes_out_of_ranked_order(ranking_guide: engine.Guide) -> None:
    # Without this, the tests below could not tell the ranking from the file order.
    in_file = [f.id for f in ranking_guide.fixes]
    assert in_file != RANKED_ON_WIFI
    assert sorted(in_file) == sorted(RANKED_ON_WIFI)


@pytest.mark.parametrize(
    ("network", "expected"), [("wifi", RANKED_ON_WIFI), ("cellular", RANKED_ON_CELLULAR)]
)
def test_applicable_fixes_are_ranked_cheapest_first_then_in_file_order(
    ranking_guide: engine.Guide, network: str, expected: list[str]
) -> None:
    offered = engine.applicable_fixes(ranking_guide, {"network": network})
    assert [f.id for f in offered] == expected


def test_rank_fixes_does_not_depend_on_the_order_it_is_given(
    ranking_guide: engine.Guide,
) -> None:
    shuffled = list(ranking_guide.fixes)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        ranked = engine.rank_fixes(ranking_guide, shuffled)
        assert [f.id for f in ranked] == RANKED_ON_WIFI


def test_next_step_offers_the_fixes_in_ranked_order(ranking_guide: engine.Guide) -> None:
    answers = {"network": "wifi"}
    offered: list[str] = []
    attempts: list[Attempt] = []
    while isinstance(step := engine.next_step(ranking_guide, answers, attempts), Fix):
        offered.append(step.id)
        # "Not fixed" and "could not do it" both move on to the next in rank.
        result = Result.CANNOT if len(attempts) % 2 else Result.NOT_FIXED
        attempts.append(Attempt(step.id, result))
    assert offered == RANKED_ON_WIFI
    assert isinstance(step, Outcome)
    assert step.id == "escalate"


def test_a_tried_fix_is_skipped_and_the_rest_keep_their_rank(
    ranking_guide: engine.Guide,
) -> None:
    # The person tried the second-ranked fix first (say, an old tab): the best
    # untried one is still the first in rank, then the third.
    answers = {"network": "wifi"}
    tried = (Attempt("cache", Result.NOT_FIXED),)
    assert engine.next_step(ranking_guide, answers, tried).id == "restart"
    tried = (*tried, Attempt("restart", Result.NOT_FIXED))
    assert engine.next_step(ranking_guide, answers, tried).id == "update"
