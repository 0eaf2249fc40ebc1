"""What an ended diagnosis teaches the ranking: once, in its own transaction, and only if fair."""

from __future__ import annotations

import itertools
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client, override_settings
from django.utils import timezone

from diagnostics.flow import commands
from diagnostics.learning import evidence
from diagnostics.models import (
    Diagnosis,
    Evidence,
    EvidenceClock,
    EvidenceQuota,
    FixAttempt,
    Guide,
    guide_for_version,
)
from tests.conftest import Flow

_addresses = itertools.count(1)


def person(*, address: str | None = None, htmx: bool = False) -> Flow:
    """Someone on a network of their own (unless ``address`` is given)."""
    address = address or f"198.51.100.{next(_addresses) % 250 + 1}"
    return Flow(Client(REMOTE_ADDR=address), htmx=htmx)


def lines(kind: str) -> dict[str, int]:
    """Evidence of one kind, summed over contexts: key -> count (zeros left out)."""
    totals: dict[str, int] = {}
    for key, count in Evidence.objects.filter(kind=kind).values_list("key", "count"):
        totals[key] = totals.get(key, 0) + count
    return {key: count for key, count in totals.items() if count}


def fixed_by_first_fix(flow: Flow, unsure: dict[str, str]) -> str:
    """Answer the questions, report the first fix worked; return that fix's id."""
    flow.start()
    flow.answer_questions(unsure)
    fix = flow.step.partition(":")[2]
    flow.answer("fixed")
    assert flow.step == "outcome:fixed"
    return fix


def test_a_fixed_diagnosis_teaches_once_what_fixed_it(guide: Guide, unsure: dict[str, str]) -> None:
    fix = fixed_by_first_fix(person(), unsure)
    assert lines("fixed") == {fix: 1}
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.taught_tick == 1
    assert EvidenceClock.objects.get(guide=guide).tick == 1
    line = Evidence.objects.get(kind="fixed")
    assert line.weight == pytest.approx(2 ** (1 / evidence.HALF_LIFE))


def test_steps_before_the_end_teach_nothing(guide: Guide, unsure: dict[str, str]) -> None:
    flow = person().start()
    flow.answer_questions(unsure)
    flow.answer("not_fixed")
    assert not Evidence.objects.exists()
    assert Diagnosis.objects.get().taught_tick is None


def test_an_escalated_diagnosis_teaches_that_the_fixes_it_tried_failed(
    guide: Guide, unsure: dict[str, str]
) -> None:
    flow = person().start()
    flow.walk(unsure)  # every fix fails
    assert flow.step.startswith("outcome:")
    tried = list(FixAttempt.objects.values_list("fix", flat=True))
    assert lines("fixed") == {}
    assert lines("unfixed_after") == {",".join(sorted(tried)): 1}
    assert Diagnosis.objects.get().taught_tick == 1


def test_back_from_fixed_takes_the_lesson_out_and_finishing_again_counts_once(
    guide: Guide, unsure: dict[str, str]
) -> None:
    flow = person()
    fix = fixed_by_first_fix(flow, unsure)
    flow.back()  # "it was not fixed after all"
    assert flow.step == f"fix:{fix}"
    assert lines("fixed") == {}
    assert Evidence.objects.get(kind="fixed").weight == pytest.approx(0, abs=1e-9)
    assert Diagnosis.objects.get().taught_tick is None

    flow.answer("not_fixed")
    flow.answer_questions(unsure)  # a question may come between fixes
    second = flow.step.partition(":")[2]
    flow.answer("fixed")
    assert lines("fixed") == {second: 1}  # the ending it has now, once
    assert Diagnosis.objects.get().taught_tick == 2


def test_a_failed_ending_records_nothing(guide: Guide, unsure: dict[str, str]) -> None:
    flow = person().start()
    flow.answer_questions(unsure)
    state = commands.load_state(diagnosis=Diagnosis.objects.get())
    with (
        mock.patch.object(FixAttempt, "save", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        commands.answer_step(state=state, step_key=state.step_key, choice="fixed", network="n")
    assert not Evidence.objects.exists()
    assert not EvidenceQuota.objects.exists()
    assert not EvidenceClock.objects.filter(tick__gt=0).exists()


@pytest.mark.parametrize("kind", [Diagnosis.Kind.DEMO, Diagnosis.Kind.PREVIEW])
def test_demo_and_preview_diagnoses_never_count(
    guide: Guide, unsure: dict[str, str], kind: str
) -> None:
    flow = person()
    flow.start()
    Diagnosis.objects.update(kind=kind)
    flow.answer_questions(unsure)
    flow.answer("fixed")
    assert flow.step == "outcome:fixed"
    assert not Evidence.objects.exists()
    assert not EvidenceQuota.objects.exists()  # nor do they use up anyone's quota


@override_settings(HELPDESK_EVIDENCE_PER_NETWORK=3)
def test_one_network_counts_at_most_three_times_a_day(guide: Guide, unsure: dict[str, str]) -> None:
    for _ in range(5):
        fixed_by_first_fix(person(address="203.0.113.9"), unsure)
    # Another address of the same IPv6 /64 is the same network.
    fixed_by_first_fix(person(address="2001:db8:1:2::1"), unsure)
    fixed_by_first_fix(person(address="2001:db8:1:2:ffff::7"), unsure)
    assert sum(lines("fixed").values()) == 3 + 2
    assert Diagnosis.objects.filter(taught_tick__isnull=False).count() == 5

    # Another network still counts; so does the first, the next day.
    fixed_by_first_fix(person(address="192.0.2.1"), unsure)
    tomorrow = timezone.now() + timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=tomorrow):
        fixed_by_first_fix(person(address="203.0.113.9"), unsure)
    assert sum(lines("fixed").values()) == 7


@override_settings(HELPDESK_EVIDENCE_PER_NETWORK=0)
def test_a_quota_of_nothing_turns_learning_off(guide: Guide, unsure: dict[str, str]) -> None:
    fixed_by_first_fix(person(), unsure)
    assert lines("fixed") == {}


def test_a_diagnosis_abandoned_when_idle_teaches_once(guide: Guide, unsure: dict[str, str]) -> None:
    flow = person().start()
    flow.answer_questions(unsure)
    first_fix = flow.step.partition(":")[2]
    flow.answer("not_fixed")
    untouched = person().start()  # opened and left: nothing to learn
    Diagnosis.objects.update(updated=timezone.now() - timedelta(hours=30))

    assert commands.mark_abandoned(idle_for=timedelta(hours=24)) == 1  # not the untouched one
    assert lines("unfixed_after") == {first_fix: 1}
    assert Diagnosis.objects.get(pk=untouched.diagnosis).taught_tick is None
    assert EvidenceQuota.objects.get().count == 1  # the network that started it
    # Running again finds nothing new to teach.
    assert commands.mark_abandoned(idle_for=timedelta(hours=24)) == 0

    # The person comes back and finishes: only the new ending counts.
    flow.get()
    flow.answer_questions(unsure)  # a question may come between fixes
    flow.answer("fixed")
    assert lines("unfixed_after") == {}
    assert sum(lines("fixed").values()) == 1


def test_old_quota_counts_are_pruned(guide: Guide) -> None:
    today = timezone.now().date()
    EvidenceQuota.objects.create(network="a", day=today - timedelta(days=3), count=3)
    EvidenceQuota.objects.create(network="a", day=today, count=1)
    assert evidence.prune_quotas(before=today - timedelta(days=1)) == 1
    assert list(EvidenceQuota.objects.values_list("day", flat=True)) == [today]


def test_the_authors_chances_fade_with_the_guides_clock_down_to_a_floor(
    guide: Guide, unsure: dict[str, str]
) -> None:
    """What the author's chances of the fixes weigh beside the evidence, as the flow reads it."""
    parsed = guide_for_version(guide.current_version_id)
    strength = parsed.prior_strength
    fixed_by_first_fix(person(), unsure)
    evidence.forget_evidence(guide.slug)  # as its commit does (the test's transaction stays open)
    known = evidence.knowledge_for(guide=parsed, version_id=guide.current_version_id)
    assert known.fix_prior_strength == pytest.approx(strength * 2 ** (-1 / evidence.HALF_LIFE))
    EvidenceClock.objects.filter(guide=guide).update(tick=10 * evidence.HALF_LIFE)
    evidence.forget_evidence(guide.slug)
    known = evidence.knowledge_for(guide=parsed, version_id=guide.current_version_id)
    assert known.fix_prior_strength == pytest.approx(strength * evidence.PRIOR_FLOOR)
    # With no evidence the author's chances keep their full strength.
    assert (
        evidence.knowledge_from(parsed, evidence.GuideEvidence(False, {}, 500)).fix_prior_strength
        == strength
    )


def test_only_answers_given_before_any_fix_teach_how_people_answer(
    guide: Guide, unsure: dict[str, str]
) -> None:
    """Whoever reaches a question put off until after a fix is someone that fix did not
    help: their answers would bias the shares the planner reads, so they teach nothing."""
    flow = person().start()
    flow.walk(unsure)  # every fix fails: the questions come before and between them
    journal = Diagnosis.objects.get().journal
    first_fix = next(i for i, (kind, _, _) in enumerate(journal) if kind == "fix")
    before = {f"{q}={c}" for kind, q, c in journal[:first_fix] if kind == "question"}
    after = {f"{q}={c}" for kind, q, c in journal[first_fix:] if kind == "question"}
    assert before
    assert after  # the walk did ask a question between fixes
    assert lines("answer") == dict.fromkeys(before, 1)


def test_back_takes_out_exactly_the_answers_the_ending_taught(
    guide: Guide, unsure: dict[str, str]
) -> None:
    flow = person()
    flow.start()
    flow.answer_questions(unsure)
    flow.answer("not_fixed")
    flow.answer_questions(unsure)  # a question between fixes
    flow.answer("fixed")
    assert lines("answer")  # the answers before the first fix taught
    flow.back()
    assert lines("answer") == {}
    assert all(
        w == pytest.approx(0, abs=1e-9)
        for w in Evidence.objects.filter(kind="answer").values_list("weight", flat=True)
    )
