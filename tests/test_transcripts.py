"""A transcript tells what the person saw and did, Back and Start over included.

It is read from the step events, since Back and answering again delete answer
rows: each step shown, what happened there, how long it took, and, for a
diagnosis started over, a link to the one that replaced it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from diagnostics.insight.transcript import duration, transcript
from diagnostics.models import Diagnosis, StepEvent, guide_for_version
from tests.conftest import Flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None) -> Client:
    user = User.objects.create_superuser("support", "support@example.com", password=None)
    browser = Client()
    browser.force_login(user)
    return browser


def shown_ago(seconds: int) -> None:
    """Pretend the step on screen was shown ``seconds`` ago."""
    Diagnosis.objects.filter(started_over=False).update(
        step_shown_at=timezone.now() - timedelta(seconds=seconds)
    )


@pytest.fixture
def started_over(flow: Flow) -> tuple[Diagnosis, Diagnosis]:
    """Answers, Back, an earlier step answered again, then Start over."""
    flow.start()
    shown_ago(20)
    flow.answer("all_green")
    shown_ago(35)
    flow.answer("on_my_iphone")  # then contacts_sync, before any fix
    shown_ago(50)
    flow.back()
    shown_ago(10)
    flow.answer("on_my_iphone")
    shown_ago(75)
    flow.answer("on")
    flow.get("/guides/icloud-contacts/step/2/")  # the browser's Back, to the account question
    shown_ago(130)
    flow.answer("icloud")
    assert flow.step == "fix:restart"  # first after the gates whatever the other answers
    shown_ago(3700)
    old = flow.diagnosis
    flow.restart()
    return Diagnosis.objects.get(pk=old), Diagnosis.objects.get(pk=flow.diagnosis)


def test_back_answer_again_and_start_over_show_in_order_with_their_times(
    started_over: tuple[Diagnosis, Diagnosis],
) -> None:
    left, _ = started_over
    guide = guide_for_version(left.guide_version_id)
    apple, account = guide.question("apple_status"), guide.question("account")
    sync = guide.question("contacts_sync")
    move, restart = guide.label("fix:move_on_my_iphone"), guide.label("fix:restart")
    rows = [
        (e.number, e.kind, e.step, e.action, e.answer, e.seconds)
        for e in transcript(diagnosis=left)
    ]
    assert rows == [
        (1, "Question", apple.prompt, "Answered", apple.choice("all_green").label, 20),
        (2, "Question", account.prompt, "Answered", account.choice("on_my_iphone").label, 35),
        (3, "Question", sync.prompt, "Went back", "", 50),
        (2, "Question", account.prompt, "Answered", account.choice("on_my_iphone").label, 10),
        (3, "Question", sync.prompt, "Answered", sync.choice("on").label, 75),
        (4, "Fix", move, "Left for step 2", "", None),
        (
            2,
            "Question",
            account.prompt,
            "Answered again, replacing the answers after it",
            account.choice("icloud").label,
            130,
        ),
        (3, "Fix", restart, "Started over", "", 3700),
    ]
    # Back and answering again deleted rows; the events still hold every step.
    assert left.answers.count() == 2
    assert StepEvent.objects.filter(diagnosis=left).count() == 14


def test_the_admin_transcript_links_a_started_over_diagnosis_to_its_replacement(
    staff: Client, started_over: tuple[Diagnosis, Diagnosis]
) -> None:
    left, replacement = started_over
    page = staff.get(f"/admin/diagnostics/diagnosis/{left.pk}/change/").content.decode()
    link = f'<a href="/admin/diagnostics/diagnosis/{replacement.pk}/change/">'
    assert f"Started over: opened {link}{replacement.support_code}</a>" in page
    assert "Went back" in page
    assert "Answered again, replacing the answers after it" in page
    assert '<td data-label="Time spent">1 h 1 min</td>' in page  # hours show no seconds
    assert '<td data-label="Time spent">50 s</td>' in page
    # The total adds up every timed step: 20 + 35 + 50 + 10 + 75 + 130 + 3700 seconds.
    assert "Time on the steps, added up: 1 h 7 min" in page
    guide = guide_for_version(left.guide_version_id)
    assert escape(guide.question("contacts_sync").prompt) in page

    newer = staff.get(f"/admin/diagnostics/diagnosis/{replacement.pk}/change/").content.decode()
    back_link = f'<a href="/admin/diagnostics/diagnosis/{left.pk}/change/">{left.support_code}</a>'
    assert back_link in newer  # "Started over from"
    assert "Not answered yet" in newer


def test_a_diagnosis_from_before_step_events_keeps_its_transcript_from_its_rows(
    flow: Flow,
) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("icloud")
    StepEvent.objects.all().delete()  # as recorded before the events existed
    diagnosis = Diagnosis.objects.get()
    guide = guide_for_version(diagnosis.guide_version_id)
    rows = [(e.number, e.step, e.action, e.seconds) for e in transcript(diagnosis=diagnosis)]
    assert rows == [
        (1, guide.question("apple_status").prompt, "Answered", None),
        (2, guide.question("account").prompt, "Answered", None),
    ]


def test_an_ending_shows_as_the_last_step_reached(flow: Flow) -> None:
    flow.start()
    flow.answer("outage")
    diagnosis = Diagnosis.objects.get()
    last = transcript(diagnosis=diagnosis)[-1]
    assert (last.number, last.kind, last.action) == (2, "Outcome", "Ended here")
    assert last.step == guide_for_version(diagnosis.guide_version_id).label(diagnosis.last_step)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (185, "3 min 5 s"),
        (3600, "1 h"),
        (3700, "1 h 1 min"),
        (86400, "1 day"),
        (3 * 86400 + 4 * 3600 + 59, "3 days 4 h"),
        (None, ""),
    ],
)
def test_durations_read_as_people_say_them(seconds: int | None, said: str) -> None:
    assert duration(seconds) == said
