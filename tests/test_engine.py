"""The diagnosis engine on the shipped guide: pure Python, no database."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest

from diagnostics import engine
from diagnostics.engine import Attempt, Fix, Outcome, Question, Result, next_step
from tests.guides import SMALL_GUIDE

pytestmark = pytest.mark.filterwarnings("error")


def all_paths(
    guide: engine.Guide,
) -> Iterator[tuple[dict[str, str], tuple[Attempt, ...], engine.Step]]:
    """Every complete path: each combination of answers, then each fix working or not.

    "Not fixed" and "could not do it" both move on to the next fix (see
    ``test_next_fix_follows_failed_and_impossible_attempts``); the walk alternates
    them so both are exercised without multiplying the paths.
    """
    stack: list[tuple[dict[str, str], tuple[Attempt, ...]]] = [({}, ())]
    while stack:
        answers, attempts = stack.pop()
        step = next_step(guide, answers, attempts)
        if isinstance(step, Question):
            stack.extend(({**answers, step.id: c.id}, attempts) for c in step.choices)
        elif isinstance(step, Fix):
            move_on = Result.CANNOT if len(attempts) % 2 else Result.NOT_FIXED
            for result in (Result.FIXED, move_on):
                stack.append((answers, (*attempts, Attempt(step.id, result))))
        else:
            yield answers, attempts, step


def test_every_path_ends_in_an_outcome_and_reaches_every_step(
    shipped_guide: engine.Guide,
) -> None:
    guide = shipped_guide
    outcomes: set[str] = set()
    fixes_seen: set[str] = set()
    count = 0
    for answers, attempts, step in all_paths(guide):
        count += 1
        assert isinstance(step, Outcome)
        outcomes.add(step.id)
        fixes_seen.update(a.fix for a in attempts)
        tried = [a.fix for a in attempts]
        assert len(tried) == len(set(tried)), "a fix was offered twice"
        if attempts and attempts[-1].result == Result.FIXED:
            assert step.outcome == "resolved"
        elif step.id == guide.exhausted:
            # Escalation only once every applicable fix has been tried.
            assert set(tried) == {f.id for f in engine.applicable_fixes(guide, answers)}
    assert count > 100  # every combination of answers, then of results: many paths
    assert outcomes == set(guide.outcomes)
    assert fixes_seen == {f.id for f in guide.fixes}


def test_the_gates_are_asked_first(icloud: engine.Guide) -> None:
    # Apple's status page and another provider can each end the diagnosis at once.
    first = next_step(icloud, {}, ())
    assert isinstance(first, Question)
    assert first.gate
    answer = next(c.id for c in first.choices if not c.next)
    second = next_step(icloud, {first.id: answer}, ())
    assert isinstance(second, Question)
    assert {first.id, second.id} == {"apple_status", "account"}


def test_an_apple_outage_ends_without_touching_settings(icloud: engine.Guide) -> None:
    step = next_step(icloud, {"apple_status": "outage"}, ())
    assert isinstance(step, Outcome)
    assert step.outcome == "not_applicable"
    assert step.id == "apple_outage"


def test_contacts_in_another_account_are_explained_not_fixed(icloud: engine.Guide) -> None:
    step = next_step(icloud, {"apple_status": "all_green", "account": "other_provider"}, ())
    assert isinstance(step, Outcome)
    assert step.id == "other_account"
    assert "Gmail" in step.body or any("Gmail" in s for s in step.steps)


def test_contacts_already_on_icloud_com_means_backup_works(icloud: engine.Guide) -> None:
    answers = {"apple_status": "all_green", "account": "icloud", "icloud_web": "there"}
    step = next_step(icloud, answers, ())
    assert isinstance(step, Outcome)
    assert step.id == "already_backed_up"


def test_unanswered_question_is_asked_next(icloud: engine.Guide) -> None:
    # After the gates the restart comes first (it comes first whatever the other answers
    # say, so asking them after it costs less); then a question not yet answered.
    answers = {"apple_status": "all_green", "account": "icloud"}
    assert next_step(icloud, answers, ()).id == "restart"
    step = next_step(icloud, answers, (Attempt("restart", Result.NOT_FIXED),))
    assert isinstance(step, Question)
    assert step.id not in answers


def test_full_storage_is_freed_first(icloud: engine.Guide, unsure: dict[str, str]) -> None:
    answers = {**unsure, "storage": "nearly_full"}
    step = next_step(icloud, answers, ())
    assert isinstance(step, Fix)
    assert step.id == "free_storage"


def test_plenty_of_storage_skips_the_storage_fix(
    icloud: engine.Guide, unsure: dict[str, str]
) -> None:
    answers = {**unsure, "storage": "plenty"}
    offered = [f.id for f in engine.applicable_fixes(icloud, answers)]
    assert "free_storage" not in offered


def test_resetting_all_settings_is_offered_last(
    icloud: engine.Guide, unsure: dict[str, str]
) -> None:
    # The ranking rule itself is tested in test_ranking.py; the order of this
    # guide's fixes in key contexts is pinned in test_guide_content.py.
    offered = engine.applicable_fixes(icloud, unsure)
    assert offered[-1].id == "reset_all_settings"
    assert any("Erase All Content and Settings" in step for step in offered[-1].steps)


def test_sync_switched_off_offers_turning_it_on_not_toggling(
    icloud: engine.Guide, unsure: dict[str, str]
) -> None:
    offered = [f.id for f in engine.applicable_fixes(icloud, {**unsure, "contacts_sync": "off"})]
    assert "turn_on_icloud_contacts" in offered
    assert "toggle_contacts_sync" not in offered


def test_next_fix_follows_failed_and_impossible_attempts(
    icloud: engine.Guide, unsure: dict[str, str]
) -> None:
    ranked = engine.applicable_fixes(icloud, unsure)
    attempts = (Attempt(ranked[0].id, Result.NOT_FIXED), Attempt(ranked[1].id, Result.CANNOT))
    assert next_step(icloud, unsure, attempts) == ranked[2]


def test_a_working_fix_resolves(icloud: engine.Guide, unsure: dict[str, str]) -> None:
    first = next_step(icloud, unsure, ())
    step = next_step(icloud, unsure, (Attempt(first.id, Result.FIXED),))
    assert isinstance(step, Outcome)
    assert step.outcome == "resolved"


def test_nothing_works_escalates(icloud: engine.Guide, unsure: dict[str, str]) -> None:
    attempts = tuple(
        Attempt(f.id, Result.NOT_FIXED) for f in engine.applicable_fixes(icloud, unsure)
    )
    step = next_step(icloud, unsure, attempts)
    assert isinstance(step, Outcome)
    assert step.outcome == "escalate"


def test_answers_off_the_path_are_ignored(icloud: engine.Guide, unsure: dict[str, str]) -> None:
    # An outage answer ends the questions, whatever else was answered before.
    step = next_step(icloud, {**unsure, "apple_status": "outage"}, ())
    assert step.id == "apple_outage"
    assert engine.path_answers(icloud, {**unsure, "apple_status": "outage"}) == {
        "apple_status": "outage"
    }


def test_progress_counts_questions_then_the_fixes_that_apply(
    icloud: engine.Guide, unsure: dict[str, str]
) -> None:
    start = engine.progress(icloud, {}, ())
    assert (start.kind, start.number, start.total) == ("question", 1, len(icloud.questions))
    second = engine.progress(icloud, {"apple_status": "all_green"}, ())
    assert (second.kind, second.number, second.total) == ("question", 2, len(icloud.questions))

    applicable = engine.applicable_fixes(icloud, unsure)
    first_fix = engine.progress(icloud, unsure, ())
    assert (first_fix.kind, first_fix.number, first_fix.total) == ("fix", 1, len(applicable))
    tried = (engine.Attempt(fix=applicable[0].id, result=engine.Result.NOT_FIXED),)
    second_fix = engine.progress(icloud, unsure, tried)
    assert (second_fix.kind, second_fix.number, second_fix.total) == ("fix", 2, len(applicable))
    # Fewer fixes apply when fewer things can be wrong.
    all_fine = {**unsure, "contacts_sync": "on", "storage": "plenty"}
    assert engine.progress(icloud, all_fine, ()).total < first_fix.total

    end = engine.progress(icloud, {"apple_status": "outage"}, ())
    assert end.kind == "outcome"


def yes_no(question_id: str, **extra: object) -> dict[str, object]:
    """A question for the test guides: yes or no."""
    choices = [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}]
    return {
        "id": question_id,
        "prompt": f"{question_id}?",
        "minutes": 1,
        "choice": choices,
        **extra,
    }


def test_progress_leaves_out_questions_that_will_not_be_asked() -> None:
    data = tomllib.loads(SMALL_GUIDE.format(slug="printer"))
    # After "cable", a router question only for Wi-Fi printers, then one for everyone;
    # each can make a fix apply, so each may be worth asking.
    data["question"] += [yes_no("wifi_router", ask_if={"cable": ["wifi"]}), yes_no("paper")]
    data["fix"] += [
        {**data["fix"][1], "id": "router_lights", "when": {"wifi_router": ["yes"]}},
        {**data["fix"][1], "id": "load_paper", "when": {"paper": ["no"]}},
    ]
    for fix in data["fix"]:
        fix["chance"] = 0.2
    # Restarting the router is dear here, so no fix is worth trying before the questions
    # (else the look-ahead would try it first and ask after it).
    data["fix"][1]["penalty"] = 30
    guide = engine.load_guide(data)
    assert engine.progress(guide, {"power": "yes"}, ()).total == 4  # the router may come
    wifi = engine.progress(guide, {"power": "yes", "cable": "wifi"}, ())
    assert (wifi.number, wifi.total) == (3, 4)
    # With USB, replugging (it applies now, and whatever "paper" says) comes first.
    replugged = (Attempt("replug", Result.NOT_FIXED),)
    usb = engine.progress(guide, {"power": "yes", "cable": "usb"}, replugged)
    assert (usb.number, usb.total) == (3, 3)  # the router is never asked


def test_progress_leaves_out_questions_whose_answer_cannot_matter() -> None:
    data = tomllib.loads(SMALL_GUIDE.format(slug="printer"))
    # No fix depends on "colour", and no answer of it ends the diagnosis.
    data["question"] += [yes_no("colour")]
    guide = engine.load_guide(data)
    start = engine.progress(guide, {}, ())
    assert (start.number, start.total) == (1, 2)
    assert "colour" not in {s.id for s in steps_walked(guide, {"power": "yes", "cable": "usb"})}


def steps_walked(guide: engine.Guide, answers: dict[str, str]) -> list[engine.Step]:
    """The steps shown when every fix fails, after ``answers`` to the questions asked."""
    steps: list[engine.Step] = []
    attempts: tuple[Attempt, ...] = ()
    answers = dict(answers)
    while not isinstance(step := next_step(guide, answers, attempts), Outcome):
        steps.append(step)
        if isinstance(step, Question):
            answers[step.id] = step.choices[0].id
        else:
            attempts = (*attempts, Attempt(step.id, Result.NOT_FIXED))
    return steps


def test_every_settings_path_names_current_ios(icloud: engine.Guide) -> None:
    text = " ".join(" ".join(f.steps) for f in icloud.fixes)
    assert "Settings › General › Transfer or Reset iPhone" in text
    assert "Settings › Apps › Contacts" in text
    assert "Date & Time" in text


def test_step_keys_round_trip(shipped_guide: engine.Guide) -> None:
    guide = shipped_guide
    for step in [*guide.questions, *guide.fixes, *guide.outcomes.values()]:
        assert guide.step(engine.step_key(step)) == step
    assert guide.step("nonsense") is None
    assert guide.step("fix:nonsense") is None


# --- answers the engine must not trust ----------------------------------------


def _branching_guide() -> engine.Guide:
    """a → (b only if a=x) → (c only if b=p) → fixes; one fix needs b=p, one c=r."""

    def question(qid: str, choices: list[str], **extra: object) -> dict:
        return {
            "id": qid,
            "prompt": f"Question {qid}?",
            "minutes": 1,
            "choice": [{"id": c, "label": c.upper()} for c in choices],
            **extra,
        }

    def fix(fid: str, minutes: float, **extra: object) -> dict:
        return {
            "id": fid,
            "title": fid,
            "why": "w",
            "steps": ["s"],
            "minutes": minutes,
            "chance": 0.2,
            **extra,
        }

    return engine.load_guide(
        {
            "guide": {
                "slug": "branching",
                "title": "t",
                "summary": "s",
                "resolved": "fixed",
                "exhausted": "help",
                "support_minutes": 30,
            },
            "question": [
                question("a", ["x", "y"]),
                question("b", ["p", "q"], ask_if={"a": ["x"]}),
                question("c", ["r", "s"], ask_if={"b": ["p"]}),
            ],
            "fix": [
                fix("needs_p", 1, when={"b": ["p"]}),
                fix("always", 2),
                fix("needs_r", 2, when={"c": ["r"]}),
            ],
            "outcome": [
                {"id": "fixed", "kind": "resolved", "title": "t", "body": "b"},
                {"id": "help", "kind": "escalate", "title": "t", "body": "b"},
            ],
        }
    )


def test_an_answer_that_is_not_a_choice_is_rejected(icloud: engine.Guide) -> None:
    with pytest.raises(engine.InvalidAnswer):
        next_step(icloud, {"apple_status": "bogus"})
    with pytest.raises(engine.InvalidAnswer):
        engine.progress(icloud, {"apple_status": "bogus"}, ())


def test_a_left_over_answer_does_not_make_a_fix_apply() -> None:
    guide = _branching_guide()
    # b=p was answered on an earlier path (a=x); the person went back and chose a=y.
    answers = {"a": "y", "b": "p"}
    assert engine.path_answers(guide, answers) == {"a": "y"}
    step = next_step(guide, answers)
    assert isinstance(step, Fix)
    assert step.id == "always"  # not "needs_p", which only applies when b=p is on the path
    assert engine.progress(guide, answers, ()).total == 1


def test_a_left_over_answer_does_not_make_a_question_asked() -> None:
    guide = _branching_guide()
    # c is asked only if b=p; b is not on the path when a=y, whatever was answered before.
    assert next_step(guide, {"a": "y", "b": "p"}).id == "always"
    assert "c" not in {step.id for step in steps_walked(guide, {"a": "y", "b": "p"})}
    assert "c" in {step.id for step in steps_walked(guide, {"a": "x", "b": "p"})}
