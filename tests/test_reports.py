"""Staff see which fixes work and where people give up."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from diagnostics.flow import commands
from diagnostics.insight.reports import guide_report
from diagnostics.models import Diagnosis, Guide
from tests.conftest import Flow

pytestmark = pytest.mark.django_db


def finish_with_first_fix(guide: Guide, unsure: dict[str, str]) -> None:
    flow = Flow(Client()).start()
    flow.answer_questions(unsure)
    flow.answer("fixed")


def test_report_counts_fix_results_and_stops(guide: Guide, unsure: dict[str, str]) -> None:
    finish_with_first_fix(guide, unsure)  # the restart fixed it
    escalated = Flow(Client()).start()
    escalated.walk(unsure)  # every fix failed
    stuck = Flow(Client()).start()
    stuck.answer("all_green")  # gave up at the second question

    report = guide_report(guide=guide)
    assert report.statuses == {"In progress": 1, "Resolved": 1, "Escalated": 1, "Abandoned": 0}
    by_fix = {row.fix: row for row in report.fixes}
    assert by_fix["restart"].tried == 2
    assert by_fix["restart"].fixed == 1
    assert by_fix["restart"].success_rate == 50
    assert by_fix["toggle_contacts_sync"].not_fixed == 1
    assert by_fix["toggle_contacts_sync"].success_rate == 0
    assert [(row.step, row.count) for row in report.stops] == [("question:account", 1)]
    assert report.stops[0].label == "Which account are the missing contacts kept in?"
    outage = Flow(Client()).start()
    outage.answer("outage")  # resolved too, but by explaining, not by a fix
    endings = {row.label: row.count for row in guide_report(guide=guide).endings}
    assert endings == {
        "Your contacts are syncing again": 1,
        "It's a problem on Apple's side": 1,
        "Let's get you some help": 1,
    }


def test_report_page_in_the_admin(guide: Guide, unsure: dict[str, str]) -> None:
    finish_with_first_fix(guide, unsure)
    staff = Client()
    staff.force_login(User.objects.create_superuser("staff", "s@example.com", password=None))
    response = staff.get(f"/admin/diagnostics/guide/{guide.pk}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Which fixes work" in html
    assert "How finished diagnoses ended" in html
    assert "Your contacts are syncing again" in html
    assert "Restart your iPhone" in html
    assert "100%" in html
    assert Client().get(f"/admin/diagnostics/guide/{guide.pk}/report/").status_code == 302


def test_mark_abandoned_closes_only_idle_unfinished_diagnoses(
    guide: Guide, unsure: dict[str, str]
) -> None:
    idle = Flow(Client()).start()
    idle.answer("all_green")  # then left
    active = Flow(Client()).start()
    finish_with_first_fix(guide, unsure)
    long_ago = timezone.now() - timedelta(hours=30)
    Diagnosis.objects.exclude(pk=active.diagnosis).update(updated=long_ago)

    out = StringIO()
    call_command("mark_abandoned", "--idle-hours", "24", stdout=out)
    assert out.getvalue() == "1 diagnoses marked abandoned\n"
    statuses = dict(Diagnosis.objects.values_list("pk", "status"))
    assert statuses[Diagnosis.objects.get(pk=idle.diagnosis).pk] == "abandoned"
    assert statuses[Diagnosis.objects.get(pk=active.diagnosis).pk] == "in_progress"
    assert sorted(statuses.values()) == ["abandoned", "in_progress", "resolved"]

    # Someone coming back to an abandoned diagnosis simply carries on.
    idle.get()
    idle.answer(idle.choices[0])
    assert Diagnosis.objects.get(pk=idle.diagnosis).status == "in_progress"


def test_diagnoses_never_answered_are_counted_apart_not_as_people_who_gave_up(
    guide: Guide, unsure: dict[str, str]
) -> None:
    for _ in range(3):  # opened and left at the first question (or a page elsewhere posting Start)
        Flow(Client()).start()
    stuck = Flow(Client()).start()
    stuck.answer("all_green")  # a person who did give up, at the second question
    went_back = Flow(Client()).start()
    went_back.answer("all_green")
    went_back.back()  # answered, then undid it: not "never answered"
    Diagnosis.objects.update(updated=timezone.now() - timedelta(hours=30))
    call_command("mark_abandoned", "--idle-hours", "24", stdout=StringIO())

    report = guide_report(guide=guide)
    assert report.unanswered == 3
    assert report.statuses == {"In progress": 0, "Resolved": 0, "Escalated": 0, "Abandoned": 2}
    assert [(row.step, row.count) for row in report.stops] == [
        ("question:account", 1),
        ("question:apple_status", 1),
    ]


def test_the_report_page_shows_the_unanswered_apart(guide: Guide) -> None:
    Flow(Client()).start()
    staff = Client()
    staff.force_login(User.objects.create_superuser("staff", "s@example.com", password=None))
    html = staff.get(f"/admin/diagnostics/guide/{guide.pk}/report/").content.decode()
    assert "<tr><td>Opened but never answered</td><td>1</td></tr>" in html
    assert "<tr><td>In progress</td><td>0</td></tr>" in html


def test_mark_abandoned_leaves_diagnoses_never_answered_alone(guide: Guide) -> None:
    opened = Flow(Client()).start()
    Diagnosis.objects.update(updated=timezone.now() - timedelta(hours=30))
    assert commands.mark_abandoned(idle_for=timedelta(hours=24)) == 0
    assert Diagnosis.objects.get(pk=opened.diagnosis).status == Diagnosis.Status.IN_PROGRESS
