"""Support staff read transcripts and browse guides in the admin."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from diagnostics.models import Diagnosis, Guide, guide_for_version
from tests.conftest import Flow
from tests.guides import SMALL_GUIDE

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None) -> Client:
    user = User.objects.create_superuser("support", "support@example.com", password=None)
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def escalated(flow: Flow, unsure: dict[str, str]) -> Diagnosis:
    flow.start()
    flow.walk(unsure)
    return Diagnosis.objects.get(pk=flow.diagnosis)


def test_admin_needs_a_login(client: Client, guide: Guide) -> None:
    response = client.get("/admin/diagnostics/diagnosis/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_diagnosis_list_shows_status_guide_time_last_step_and_fixes(
    staff: Client, escalated: Diagnosis
) -> None:
    response = staff.get("/admin/diagnostics/diagnosis/")
    assert response.status_code == 200
    html = response.content.decode()
    assert escalated.support_code in html
    assert "Escalated" in html
    assert "iPhone contacts not backing up to iCloud (v1)" in html
    # The ending in the guide's words, never its raw id.
    ending = guide_for_version(escalated.guide_version_id).label("outcome:escalate")
    assert f'<td class="field-last_step_words">Outcome: {escape(ending)}</td>' in html
    assert "outcome:escalate" not in html
    fixes_tried = escalated.attempts.count()
    assert fixes_tried > 0
    assert f'<td class="field-fixes_tried">{fixes_tried}</td>' in html
    for column in ("Status", "Kind", "Guide", "Embedded on", "Started", "Last step", "Fixes tried"):
        assert column in html
    assert "Live" in html


# Two diagnoses that differ in everything the list filters on: guide, status
# and day. Created at fixed middays (UTC), so no filter depends on when the
# tests run; "Today" is worked out with the clock stopped on the first's day.
ESCALATED_AT = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
OTHER_AT = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def other(tmp_path: Path, escalated: Diagnosis) -> Diagnosis:
    """A diagnosis of another guide, still in progress, from four days earlier."""
    (tmp_path / "printer.toml").write_text(SMALL_GUIDE.format(slug="printer"), "utf-8")
    call_command("load_guides", "--dir", str(tmp_path), stdout=io.StringIO())
    printer = Flow(Client(), slug="printer").start()
    printer.answer("yes")
    Diagnosis.objects.filter(pk=escalated.pk).update(created=ESCALATED_AT)
    Diagnosis.objects.filter(pk=printer.diagnosis).update(created=OTHER_AT)
    return Diagnosis.objects.get(pk=printer.diagnosis)


def listed(staff: Client, query: str) -> set[str]:
    """The support codes the diagnosis list shows for ``query``."""
    response = staff.get(f"/admin/diagnostics/diagnosis/{query}")
    assert response.status_code == 200
    codes = re.findall(r"\b[2-9A-Z]{3}-[2-9A-Z]{3}\b", response.content.decode())
    return set(codes) & set(Diagnosis.objects.values_list("support_code", flat=True))


def test_the_unfiltered_list_shows_both(
    staff: Client, escalated: Diagnosis, other: Diagnosis
) -> None:
    assert listed(staff, "") == {escalated.support_code, other.support_code}


@pytest.mark.parametrize(
    ("status", "shown"), [("escalated", "escalated"), ("in_progress", "other")]
)
def test_filtering_by_status_shows_only_that_status(
    staff: Client, escalated: Diagnosis, other: Diagnosis, status: str, shown: str
) -> None:
    expected = {"escalated": escalated, "other": other}[shown]
    assert listed(staff, f"?status__exact={status}") == {expected.support_code}


def test_filtering_by_guide_shows_only_that_guides_diagnoses(
    staff: Client, escalated: Diagnosis, other: Diagnosis
) -> None:
    for diagnosis in (escalated, other):
        guide_id = diagnosis.guide_version.guide_id
        query = f"?guide={guide_id}"
        assert listed(staff, query) == {diagnosis.support_code}


def test_filtering_by_date_shows_only_that_period(
    staff: Client, escalated: Diagnosis, other: Diagnosis
) -> None:
    since = "?created__gte=2024-05-12T00:00:00%2B00:00"
    assert listed(staff, since) == {escalated.support_code}
    day = "?created__year=2024&created__month=5&created__day=10"  # the date hierarchy
    assert listed(staff, day) == {other.support_code}


def test_the_today_filter_shows_only_todays_diagnoses(
    staff: Client, escalated: Diagnosis, other: Diagnosis
) -> None:
    # Late in the day, so "Today" only works if it starts at midnight, not 24 hours ago.
    with mock.patch("django.utils.timezone.now", return_value=ESCALATED_AT + timedelta(hours=11)):
        page = staff.get("/admin/diagnostics/diagnosis/").content.decode()
        link = re.search(r'<a href="(\?created__gte=[^"]*)"[^>]*>Today</a>', page)
        assert link, "no Today filter"
        assert listed(staff, html.unescape(link.group(1))) == {escalated.support_code}


@pytest.mark.parametrize("spoken", ["{code}", "{lower}", "{nodash}"])
def test_search_by_support_code(
    staff: Client, escalated: Diagnosis, flow: Flow, spoken: str
) -> None:
    other = Flow(Client()).start()  # a second diagnosis that must not match
    code = escalated.support_code
    term = spoken.format(code=code, lower=code.lower(), nodash=code.replace("-", ""))
    response = staff.get("/admin/diagnostics/diagnosis/", {"q": term})
    html = response.content.decode()
    assert code in html
    other_code = Diagnosis.objects.get(pk=other.diagnosis).support_code
    assert other_code not in html


def test_transcript_lists_answers_and_attempts_in_order(
    staff: Client, escalated: Diagnosis
) -> None:
    response = staff.get(f"/admin/diagnostics/diagnosis/{escalated.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    guide = guide_for_version(escalated.guide_version_id)
    # In the order they were shown (questions may come between fixes).
    steps = [(a.position, guide.question(a.question).prompt) for a in escalated.answers.all()]
    steps += [(a.position, guide.fix(a.fix).title) for a in escalated.attempts.all()]
    expected = [text for _, text in sorted(steps)]
    positions = [html.find(text.replace("'", "&#x27;")) for text in expected]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert "Did not fix it" in html
    # Read-only: no save buttons, and posting changes nothing.
    assert 'name="_save"' not in html
    staff.post(f"/admin/diagnostics/diagnosis/{escalated.pk}/change/", {"status": "resolved"})
    escalated.refresh_from_db()
    assert escalated.status == Diagnosis.Status.ESCALATED


def test_transcript_of_a_fresh_diagnosis(staff: Client, flow: Flow) -> None:
    flow.start()
    response = staff.get(f"/admin/diagnostics/diagnosis/{flow.diagnosis}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    first = html.find("Question: Is iCloud Contacts working on Apple")
    assert first != -1
    assert html.find("Not answered yet", first) != -1


def test_guides_and_versions_are_viewable(staff: Client, guide: Guide) -> None:
    response = staff.get("/admin/diagnostics/guide/")
    assert response.status_code == 200
    assert b"iPhone contacts not backing up to iCloud" in response.content
    response = staff.get(f"/admin/diagnostics/guide/{guide.pk}/change/")
    assert response.status_code == 200
    assert b"icloud-contacts v1" in response.content
    version = guide.current_version
    response = staff.get(f"/admin/diagnostics/guideversion/{version.pk}/change/")
    assert response.status_code == 200
    assert b"[guide]" in response.content  # the source file, as loaded


def test_fix_results_are_listed_newest_first_by_title(staff: Client, escalated: Diagnosis) -> None:
    response = staff.get("/admin/diagnostics/fixattempt/?result__exact=not_fixed")
    assert response.status_code == 200
    shown = re.findall(r'class="field-fix_title"><a [^>]*>([^<]*)</a>', response.content.decode())
    guide = guide_for_version(escalated.guide_version_id)
    tried = escalated.attempts.order_by("position").values_list("fix", flat=True)
    newest_first = [guide.fix(fix).title.replace("'", "&#x27;") for fix in reversed(tried)]
    assert shown == newest_first  # the guide's titles, not ids


def test_the_outcome_shows_in_the_guides_words(staff: Client, escalated: Diagnosis) -> None:
    response = staff.get(f"/admin/diagnostics/diagnosis/{escalated.pk}/change/")
    assert "Let&#x27;s get you some help" in response.content.decode()


def test_admin_index_renders(staff: Client, guide: Guide) -> None:
    response = staff.get("/admin/")
    assert response.status_code == 200
    assert b"Diagnoses" in response.content


def test_transcripts_cannot_be_deleted(staff: Client, escalated: Diagnosis) -> None:
    response = staff.get(f"/admin/diagnostics/diagnosis/{escalated.pk}/delete/")
    assert response.status_code == 403
    attempt = escalated.attempts.first()
    response = staff.post(f"/admin/diagnostics/fixattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert escalated.attempts.filter(pk=attempt.pk).exists()


def test_the_report_needs_permission_to_view_guides(guide: Guide) -> None:
    clerk = User.objects.create_user("clerk", password=None, is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    response = browser.get(f"/admin/diagnostics/guide/{guide.pk}/report/")
    assert response.status_code == 403
