"""Every post that moves a diagnosis appends its step events, in its own transaction.

Start writes ``shown`` for the first step; an answer ``answered`` and the next
step's ``shown``; Back ``back`` and the step returned to; answering an earlier
step again ``answered`` at that step; Start over ``start_over`` on the one
left and ``shown`` on the new one. A GET writes nothing, and a post that
loses its compare-and-swap writes nothing either.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from diagnostics.flow import commands
from diagnostics.flow.errors import LostRace
from diagnostics.models import Answer, Diagnosis, Guide, StepEvent
from tests.conftest import Flow

pytestmark = pytest.mark.django_db


def events_of(diagnosis_id: str) -> list[tuple[str, str, str, int]]:
    rows = StepEvent.objects.filter(diagnosis_id=diagnosis_id).order_by("id")
    return list(rows.values_list("action", "step", "choice", "position"))


def test_a_path_with_back_answer_again_and_start_over_is_recorded_step_by_step(
    flow: Flow,
) -> None:
    flow.start()
    first = flow.diagnosis
    flow.answer("all_green")
    flow.answer("icloud")
    flow.back()
    flow.answer("icloud")
    flow.answer("not_fixed")  # the restart comes right after the gates
    assert flow.step == "question:contacts_sync"
    flow.get("/guides/icloud-contacts/step/2/")  # the browser's Back: nothing written
    flow.answer("on_my_iphone")  # the second step answered again
    after_again = flow.step
    flow.restart()
    second = flow.diagnosis
    assert second != first

    assert events_of(first) == [
        ("shown", "question:apple_status", "", 0),
        ("answered", "question:apple_status", "all_green", 0),
        ("shown", "question:account", "", 1),
        ("answered", "question:account", "icloud", 1),
        ("shown", "fix:restart", "", 2),
        ("back", "fix:restart", "", 2),
        ("shown", "question:account", "", 1),
        ("answered", "question:account", "icloud", 1),
        ("shown", "fix:restart", "", 2),
        ("answered", "fix:restart", "not_fixed", 2),
        ("shown", "question:contacts_sync", "", 3),
        ("answered", "question:account", "on_my_iphone", 1),
        ("shown", after_again, "", 2),
        ("start_over", after_again, "", 2),
    ]
    assert events_of(second) == [("shown", "question:apple_status", "", 0)]
    left = Diagnosis.objects.get(pk=first)
    assert str(left.replaced_by_id) == second
    assert set(StepEvent.objects.values_list("guide_version_id", flat=True)) == {
        left.guide_version_id
    }


def test_seconds_count_from_when_the_step_was_shown(flow: Flow) -> None:
    flow.start()
    diagnosis = Diagnosis.objects.get()
    Diagnosis.objects.update(step_shown_at=timezone.now() - timedelta(seconds=95))
    flow.answer("all_green")
    Diagnosis.objects.update(step_shown_at=timezone.now() - timedelta(seconds=40))
    flow.back()
    Diagnosis.objects.update(step_shown_at=timezone.now() - timedelta(minutes=3))
    flow.answer("all_green")
    flow.restart()
    timed = StepEvent.objects.filter(diagnosis=diagnosis).exclude(action="shown").order_by("id")
    assert [(event.action, event.seconds) for event in timed] == [
        ("answered", 95),
        ("back", 40),
        ("answered", 180),
        ("start_over", 0),
    ]
    # A step shown carries no duration of its own: the next event of the step has it.
    assert set(StepEvent.objects.filter(action="shown").values_list("seconds", flat=True)) == {None}


def test_showing_steps_writes_nothing(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("icloud")
    before = StepEvent.objects.count()
    flow.get()  # the guide's address, on to the current step
    flow.get("/guides/icloud-contacts/step/3/")
    flow.get("/guides/icloud-contacts/step/1/")  # an earlier step, as it was
    flow.get("/guides/icloud-contacts/step/9/")  # beyond: leads to the current one
    assert StepEvent.objects.count() == before == 5


def test_a_double_submitted_answer_writes_its_events_once(flow: Flow) -> None:
    flow.start()
    form = flow.form(choice="all_green")
    flow.client.post("/guides/icloud-contacts/answer/", form)
    response = flow.client.post("/guides/icloud-contacts/answer/", form)
    assert response.status_code in (200, 303)
    assert [action for action, *_ in events_of(flow.diagnosis)] == [
        "shown",
        "answered",
        "shown",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_lost_compare_and_swap_writes_no_event(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    diagnosis = Diagnosis.objects.get()
    state = commands.load_state(diagnosis=diagnosis)
    # Another post wins between this one's read and its write.
    Diagnosis.objects.update(revision=diagnosis.revision + 1)
    before = events_of(flow.diagnosis)
    with pytest.raises(LostRace):
        commands.answer_step(state=state, step_key="question:account", choice="icloud", network="n")
    with pytest.raises(LostRace):
        commands.go_back(state=state, step_key="question:account")
    with pytest.raises(LostRace):
        commands.start_over(
            session=flow.client.session,
            state=state,
            guide=Guide.objects.get(slug="icloud-contacts"),
            step_key="question:account",
            confirmed=True,
            network="n",
        )
    assert events_of(flow.diagnosis) == before
    assert Diagnosis.objects.count() == 1
    assert Diagnosis.objects.get().replaced_by_id is None


@pytest.mark.django_db(transaction=True)
def test_events_and_the_answer_they_mirror_land_together_or_not_at_all(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow.start()
    diagnosis = Diagnosis.objects.get()

    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(StepEvent.objects, "bulk_create", broken)
    with pytest.raises(DatabaseError):
        commands.answer_step(
            state=commands.load_state(diagnosis=diagnosis),
            step_key="question:apple_status",
            choice="all_green",
            network="n",
        )
    diagnosis.refresh_from_db()
    assert diagnosis.revision == 0
    assert diagnosis.journal == []
    assert not Answer.objects.exists()


def test_the_embedded_flow_writes_step_events(settings: object, guide: Guide) -> None:
    settings.HELPDESK_EMBED_ORIGINS = ["https://shop.example.com"]
    frame = Client(enforce_csrf_checks=True)
    headers = {"Sec-Fetch-Site": "same-origin"}
    response = frame.post("/embed/guides/icloud-contacts/start/", {}, headers=headers)
    page = frame.get(response["Location"], headers=headers).content.decode()

    hidden = dict(re.findall(r'name="(diagnosis|step|d)" value="([^"]*)"', page))
    frame.post(
        "/embed/guides/icloud-contacts/answer/", {**hidden, "choice": "outage"}, headers=headers
    )
    assert [(action, step) for action, step, _, _ in events_of(hidden["diagnosis"])] == [
        ("shown", "question:apple_status"),
        ("answered", "question:apple_status"),
        ("shown", "outcome:apple_outage"),
    ]


def test_preview_diagnoses_write_events_and_stay_previews_when_started_over(
    client: Client, guide: Guide
) -> None:
    session = client.session
    diagnosis = commands.start_diagnosis(
        session=session, guide=guide, network="n", kind=Diagnosis.Kind.PREVIEW
    )
    state = commands.answer_step(
        state=commands.load_state(diagnosis=diagnosis),
        step_key="question:apple_status",
        choice="all_green",
        network="n",
    )
    replacement = commands.start_over(
        session=session,
        state=state,
        guide=guide,
        step_key=state.step_key,
        confirmed=True,
        network="n",
    )
    assert replacement.kind == Diagnosis.Kind.PREVIEW
    assert [action for action, *_ in events_of(str(diagnosis.pk))] == [
        "shown",
        "answered",
        "shown",
        "start_over",
    ]
    assert [action for action, *_ in events_of(str(replacement.pk))] == ["shown"]
