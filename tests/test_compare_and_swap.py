"""Two requests for one diagnosis, racing: exactly one change lands.

Each request loads the diagnosis (``commands.load_state``) before the other
writes, as two workers do when a person double-submits or uses two tabs. The
step-key check cannot tell them apart, since both saw the same step; only the
compare-and-swap on ``Diagnosis.revision`` can. The loser gets
:class:`errors.LostRace`, nothing of its change is written, and the journal
still matches the Answer and FixAttempt rows.

(The double-submit tests in test_flow_views.py post one after the other, so the
second is caught by its step key before the compare-and-swap is reached.)
"""

from __future__ import annotations

import pytest

from diagnostics.flow import commands, errors
from diagnostics.models import Diagnosis
from tests.conftest import Flow

pytestmark = pytest.mark.django_db


def _rows(diagnosis: Diagnosis) -> list[list[str]]:
    """The Answer and FixAttempt rows of ``diagnosis`` as journal entries, in order."""
    rows = [(a.position, ["question", a.question, a.choice]) for a in diagnosis.answers.all()]
    rows += [(f.position, ["fix", f.fix, f.result]) for f in diagnosis.attempts.all()]
    return [entry for _, entry in sorted(rows)]


def _two_readers() -> tuple[commands.State, commands.State]:
    """Two requests that both read the diagnosis before either wrote."""
    first, second = (commands.load_state(diagnosis=Diagnosis.objects.get()) for _ in range(2))
    assert first.step_key == second.step_key
    return first, second


def _assert_consistent(expected_journal: list[list[str]]) -> Diagnosis:
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.journal == expected_journal
    assert _rows(diagnosis) == expected_journal
    # The stored step is the one the journal leads to.
    assert diagnosis.last_step == commands.load_state(diagnosis=diagnosis).step_key
    return diagnosis


def test_an_answer_beats_a_back_that_read_before_it(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("on_my_iphone")  # then contacts_sync, a question
    answering, going_back = _two_readers()
    revision = going_back.diagnosis.revision

    won = commands.answer_step(
        state=answering, step_key=answering.step_key, choice="on", network="n"
    )
    with pytest.raises(errors.LostRace):
        commands.go_back(state=going_back, step_key=going_back.step_key)

    assert going_back.diagnosis.revision == revision  # the loser's copy is untouched
    diagnosis = _assert_consistent(
        [
            ["question", "apple_status", "all_green"],
            ["question", "account", "on_my_iphone"],
            ["question", "contacts_sync", "on"],
        ]
    )
    assert diagnosis.revision == revision + 1
    assert diagnosis.last_step == won.step_key


def test_a_back_beats_an_answer_that_read_before_it(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("on_my_iphone")  # then contacts_sync, a question
    answering, going_back = _two_readers()
    revision = answering.diagnosis.revision

    commands.go_back(state=going_back, step_key=going_back.step_key)
    with pytest.raises(errors.LostRace):
        commands.answer_step(state=answering, step_key=answering.step_key, choice="on", network="n")

    diagnosis = _assert_consistent([["question", "apple_status", "all_green"]])
    assert diagnosis.revision == revision + 1
    assert diagnosis.last_step == "question:account"


@pytest.mark.parametrize("choices", [("on", "off"), ("on", "on")])
def test_two_answers_to_one_question_record_only_the_first(
    flow: Flow, choices: tuple[str, str]
) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("on_my_iphone")  # then contacts_sync, a question
    first, second = _two_readers()
    revision = first.diagnosis.revision

    commands.answer_step(state=first, step_key=first.step_key, choice=choices[0], network="n")
    with pytest.raises(errors.LostRace):
        commands.answer_step(state=second, step_key=second.step_key, choice=choices[1], network="n")

    diagnosis = _assert_consistent(
        [
            ["question", "apple_status", "all_green"],
            ["question", "account", "on_my_iphone"],
            ["question", "contacts_sync", choices[0]],
        ]
    )
    assert diagnosis.revision == revision + 1


def test_two_results_for_one_fix_record_only_the_first(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    flow.answer_questions(unsure)
    first, second = _two_readers()
    fix = first.step.id
    before = Diagnosis.objects.get().journal

    commands.answer_step(state=first, step_key=first.step_key, choice="not_fixed", network="n")
    with pytest.raises(errors.LostRace):
        commands.answer_step(state=second, step_key=second.step_key, choice="fixed", network="n")

    diagnosis = _assert_consistent([*before, ["fix", fix, "not_fixed"]])
    assert diagnosis.status == Diagnosis.Status.IN_PROGRESS


def test_two_backs_undo_only_one_answer(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("icloud")
    first, second = _two_readers()

    commands.go_back(state=first, step_key=first.step_key)
    with pytest.raises(errors.LostRace):
        commands.go_back(state=second, step_key=second.step_key)

    _assert_consistent([["question", "apple_status", "all_green"]])
