"""Support staff read transcripts and browse guides in the admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from diagnostics.models import Diagnosis, Guide, guide_for_version
from tests.conftest import Flow

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
    assert "icloud-contacts v1" in html
    assert "outcome:escalate" in html
    fixes_tried = escalated.attempts.count()
    assert f'<td class="field-fixes_tried">{fixes_tried}</td>' in html
    for column in ("Status", "Guide", "Created", "Last step", "Fixes tried"):
        assert column in html


@pytest.mark.parametrize(
    "query",
    [
        "?status__exact=escalated",
        "?guide_version__guide__id__exact=1",
        "?created__gte=2000-01-01T00:00:00%2B00:00",
    ],
)
def test_diagnosis_list_filters(staff: Client, escalated: Diagnosis, query: str) -> None:
    if "guide__id" in query:
        query = f"?guide_version__guide__id__exact={escalated.guide_version.guide_id}"
    response = staff.get(f"/admin/diagnostics/diagnosis/{query}")
    assert response.status_code == 200
    assert escalated.support_code in response.content.decode()


def test_filtering_on_another_status_hides_it(staff: Client, escalated: Diagnosis) -> None:
    response = staff.get("/admin/diagnostics/diagnosis/?status__exact=resolved")
    assert escalated.support_code not in response.content.decode()


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
    expected = [guide.question(a.question).prompt for a in escalated.answers.all()]
    expected += [guide.fix(a.fix).title for a in escalated.attempts.all()]
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
    assert b"Nothing answered yet." in response.content


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
