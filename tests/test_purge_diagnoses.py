"""``manage.py purge_diagnoses`` deletes diagnoses opened and never answered, once old enough."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from diagnostics.models import Answer, Diagnosis, Guide
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


@pytest.mark.parametrize("flag", ["--yes", "--apply"])
def test_with_yes_it_deletes_only_old_diagnoses_never_answered(
    diagnoses: dict[str, Flow], flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("diagnostics.flow.retention.BATCH", 1)  # one row per transaction
    assert purge(flag) == "Deleted 2 diagnoses: opened but never answered, for over 24 hours.\n"
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
