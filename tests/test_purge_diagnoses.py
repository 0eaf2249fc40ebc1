"""``manage.py purge_diagnoses`` deletes diagnoses opened and never answered, once old enough."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from diagnostics.models import (
    Answer,
    Diagnosis,
    Evidence,
    Feedback,
    FixAttempt,
    Guide,
    StepEvent,
    Ticket,
)
from tests.conftest import Flow

pytestmark = pytest.mark.django_db


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_diagnoses", *args, stdout=out)
    return out.getvalue()


def age(flow: Flow, hours: float) -> None:
    created = timezone.now() - timedelta(hours=hours)
    Diagnosis.objects.filter(pk=flow.diagnosis).update(created=created, updated=created)


@pytest.fixture
def diagnoses(guide: Guide) -> dict[str, Flow]:
    flows = {
        "old_unanswered": Flow(Client()).start(),
        "recent_unanswered": Flow(Client()).start(),
        "old_answered": Flow(Client()).start(),
        "old_went_back": Flow(Client()).start(),
        "old_marked_abandoned": Flow(Client()).start(),
    }
    flows["old_answered"].answer("all_green")
    flows["old_went_back"].answer("all_green")
    flows["old_went_back"].back()
    for name, flow in flows.items():
        age(flow, 1 if name == "recent_unanswered" else 30)
    # As an older release's mark_abandoned left it: abandoned, never answered.
    Diagnosis.objects.filter(pk=flows["old_marked_abandoned"].diagnosis).update(
        status=Diagnosis.Status.ABANDONED
    )
    return flows


def test_a_dry_run_by_default_prints_and_deletes_nothing(diagnoses: dict[str, Flow]) -> None:
    out = purge()
    assert "Would delete 2 diagnoses: opened but never answered, for over 24 hours." in out
    assert "nothing was deleted" in out
    assert Diagnosis.objects.count() == 5


@pytest.mark.parametrize("flag", ["--yes", "--apply", "--commit"])
def test_with_yes_it_deletes_only_old_diagnoses_never_answered(
    diagnoses: dict[str, Flow], flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("diagnostics.flow.retention.BATCH", 1)  # one row per transaction
    out = purge(flag)
    assert out.startswith("Deleted 2 diagnoses: opened but never answered, for over 24 hours.\n")
    kept = {str(pk) for pk in Diagnosis.objects.values_list("pk", flat=True)}
    assert kept == {
        diagnoses[name].diagnosis for name in ("recent_unanswered", "old_answered", "old_went_back")
    }
    assert Answer.objects.count() == 1  # the answered one's answer is untouched
    assert "Deleted 0 diagnoses" in purge(flag)


def test_the_retention_comes_from_the_setting(diagnoses: dict[str, Flow], settings: object) -> None:
    settings.HELPDESK_UNANSWERED_RETENTION_HOURS = 48
    assert "Would delete 0 diagnoses: opened but never answered, for over 48 hours." in purge()
    settings.HELPDESK_UNANSWERED_RETENTION_HOURS = 1
    assert "Deleted 3 diagnoses" in purge("--yes")


def test_someone_coming_back_after_the_purge_is_told_their_session_ended(
    diagnoses: dict[str, Flow],
) -> None:
    flow = diagnoses["old_unanswered"]
    purge("--yes")
    response = flow.answer("all_green")
    assert response.status_code == 410
    assert "Your session has ended" in response.content.decode()
    flow.get()
    assert flow.heading == "Let's get this sorted"


def test_a_diagnosis_purged_while_its_answer_is_in_flight_gets_the_ended_page(
    diagnoses: dict[str, Flow],
) -> None:
    """The purge deletes the row between the view reading it and writing the answer."""
    from unittest import mock

    from diagnostics.flow import commands

    flow = diagnoses["old_unanswered"]
    load_state = commands.load_state

    def load_then_purge(*, diagnosis: Diagnosis) -> commands.State:
        state = load_state(diagnosis=diagnosis)
        purge("--yes")
        return state

    with mock.patch.object(commands, "load_state", side_effect=load_then_purge):
        response = flow.answer("all_green")
    assert response.status_code == 410
    assert "Your session has ended" in response.content.decode()
    assert not Diagnosis.objects.filter(pk=flow.diagnosis).exists()
    assert Answer.objects.count() == 1  # only old_answered's


# --- contact details, and --older-than DAYS -------------------------------------


def escalate_and_send(unsure: dict[str, str], *, days_ago: float) -> Diagnosis:
    """A diagnosis escalated ``days_ago``, with its ticket and feedback, and a step event."""
    flow = Flow(Client()).start()
    flow.walk(unsure)
    flow.post("escalate", flow.form(name="Ada", email="ada@example.com", message="Help me"))
    flow.post("feedback", flow.form(helpful="no", comment="Nothing worked"))
    diagnosis = Diagnosis.objects.get(pk=flow.diagnosis)
    StepEvent.objects.create(
        diagnosis=diagnosis,
        guide_version_id=diagnosis.guide_version_id,
        action=StepEvent.Action.SHOWN,
        step="outcome:escalate",
        position=1,
    )
    when = timezone.now() - timedelta(days=days_ago)
    Diagnosis.objects.filter(pk=diagnosis.pk).update(created=when, updated=when)
    Ticket.objects.filter(diagnosis=diagnosis).update(created=when)
    Feedback.objects.filter(diagnosis=diagnosis).update(created=when)
    return diagnosis


def test_contact_details_and_comments_are_erased_after_the_retention_setting(
    guide: Guide, unsure: dict[str, str], settings: object
) -> None:
    settings.HELPDESK_CONTACT_RETENTION_DAYS = 30
    old = escalate_and_send(unsure, days_ago=31)
    recent = escalate_and_send(unsure, days_ago=29)
    Ticket.objects.filter(diagnosis=old).update(status=Ticket.Status.CLOSED, notes="Solved")

    out = purge()
    assert "Would change 1 tickets: contact details and message erased" in out
    assert "Would change 1 feedback answers: comment erased" in out
    assert Ticket.objects.get(diagnosis=old).email == "ada@example.com"  # a dry run

    out = purge("--yes")
    assert "Changed 1 tickets" in out
    erased = Ticket.objects.get(diagnosis=old)
    assert (erased.name, erased.email, erased.phone, erased.message) == ("", "", "", "")
    assert erased.erased is not None
    assert (erased.status, erased.notes) == (Ticket.Status.CLOSED, "Solved")  # staff's own
    feedback = Feedback.objects.get(diagnosis=old)
    assert (feedback.helpful, feedback.comment) == (False, "")
    kept = Ticket.objects.get(diagnosis=recent)
    assert (kept.email, kept.message) == ("ada@example.com", "Help me")
    assert Feedback.objects.get(diagnosis=recent).comment == "Nothing worked"
    assert Diagnosis.objects.count() == 2  # the diagnoses themselves stay
    assert "Changed 0 tickets" in purge("--yes")


def test_older_than_deletes_old_diagnoses_and_their_details_but_keeps_evidence(
    guide: Guide, unsure: dict[str, str]
) -> None:
    old = escalate_and_send(unsure, days_ago=100)
    open_ticket = escalate_and_send(unsure, days_ago=100)
    recent = escalate_and_send(unsure, days_ago=10)
    Ticket.objects.filter(diagnosis=old).update(status=Ticket.Status.CLOSED)
    evidence = list(Evidence.objects.order_by("pk").values_list("pk", "count", "weight"))
    assert evidence  # the escalations taught the ranking

    out = purge("--older-than", "90")
    assert "Would delete 1 diagnoses: last changed over 90 days ago" in out
    assert Diagnosis.objects.count() == 3

    out = purge("--older-than", "90", "--yes")
    assert "Deleted 1 diagnoses: last changed over 90 days ago" in out
    assert set(Diagnosis.objects.values_list("pk", flat=True)) == {open_ticket.pk, recent.pk}
    for model in (Answer, FixAttempt, StepEvent, Ticket, Feedback):
        assert not model.objects.filter(diagnosis_id=old.pk).exists(), model
    assert Answer.objects.filter(diagnosis=recent).exists()
    assert list(Evidence.objects.order_by("pk").values_list("pk", "count", "weight")) == evidence


def test_without_older_than_no_answered_diagnosis_is_deleted(
    guide: Guide, unsure: dict[str, str]
) -> None:
    escalate_and_send(unsure, days_ago=1000)
    assert "last changed over" not in purge("--yes")
    assert Diagnosis.objects.count() == 1


@pytest.mark.parametrize("days", ["0", "-3", "ninety"])
def test_older_than_takes_a_whole_number_of_days(guide: Guide, days: str) -> None:
    with pytest.raises(CommandError, match="--older-than"):
        purge("--older-than", days)
