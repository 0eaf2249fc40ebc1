"""CSV export of diagnoses from the changelist: its filters, every entry, no formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client

from diagnostics.insight.export import safe_cell
from diagnostics.models import Answer, Diagnosis, FixAttempt
from tests import support_staff
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

EXPORT = "/admin/diagnostics/diagnosis/export/"


@pytest.fixture
def support(db: None) -> Client:
    return support_staff.logged_in(support_staff.member())


@pytest.fixture
def two_diagnoses(guide: object, unsure: dict[str, str]) -> tuple[Diagnosis, Diagnosis]:
    """One escalated after every fix, one ended by an Apple outage at once."""
    escalated = Flow(Client()).start()
    escalated.walk(unsure)
    outage = Flow(Client()).start()
    outage.answer("outage")
    return (
        Diagnosis.objects.get(pk=escalated.diagnosis),
        Diagnosis.objects.get(pk=outage.diagnosis),
    )


def read(response: object) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_every_answer_and_attempt_is_a_row_in_order(support: Client, two_diagnoses) -> None:
    escalated, outage = two_diagnoses
    rows = read(support.get(EXPORT))
    mine = [row for row in rows if row["support_code"] == escalated.support_code]
    entries = (
        Answer.objects.filter(diagnosis=escalated).count()
        + FixAttempt.objects.filter(diagnosis=escalated).count()
    )
    assert len(mine) == entries
    assert [int(row["entry"]) for row in mine] == list(range(1, entries + 1))
    first_fix = next(row for row in mine if row["entry_kind"] == "fix")
    assert first_fix["answer"] == "not_fixed"
    assert first_fix["answer_text"] == "Did not fix it"
    assert first_fix["step_text"]  # the fix's title, in the guide's words
    assert {row["status"] for row in mine} == {"escalated"}
    assert mine[0]["guide"] == "icloud-contacts"
    (outage_row,) = [row for row in rows if row["support_code"] == outage.support_code]
    assert outage_row["answer"] == "outage"
    assert outage_row["step_text"] == "Is iCloud Contacts working on Apple's side right now?"


def test_a_diagnosis_with_nothing_answered_still_has_its_row(support: Client, guide) -> None:
    Flow(Client()).start()
    (row,) = read(support.get(EXPORT))
    assert row["status"] == "in_progress"
    assert row["entry"] == ""


def test_the_changelist_filters_apply(support: Client, two_diagnoses) -> None:
    escalated, outage = two_diagnoses
    rows = read(support.get(EXPORT, {"status__exact": "resolved"}))
    assert {row["support_code"] for row in rows} == {outage.support_code}
    rows = read(support.get(EXPORT, {"q": escalated.support_code.lower().replace("-", "")}))
    assert {row["support_code"] for row in rows} == {escalated.support_code}


def test_the_changelist_links_to_the_export_with_its_filters(
    support: Client, two_diagnoses
) -> None:
    html = support.get("/admin/diagnostics/diagnosis/", {"status__exact": "resolved"}).content
    assert b'href="/admin/diagnostics/diagnosis/export/?status__exact=resolved"' in html


def test_staff_without_the_permission_get_a_403_and_no_link(guide, two_diagnoses) -> None:
    user = User.objects.create_user("viewer", password=None, is_staff=True)
    user.user_permissions.add(
        *support_staff.support_staff().permissions.exclude(codename="export_diagnosis")
    )
    browser = Client()
    browser.force_login(user)
    assert browser.get(EXPORT).status_code == 403
    assert b"Export these as CSV" not in browser.get("/admin/diagnostics/diagnosis/").content


def test_anonymous_people_are_sent_to_log_in(client: Client, guide) -> None:
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain", "plain"),
        (7, 7),
    ],
)
def test_formula_cells_are_escaped(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_stored_text_that_looks_like_a_formula_is_escaped_in_the_file(
    support: Client, two_diagnoses
) -> None:
    escalated, _ = two_diagnoses
    Diagnosis.objects.filter(pk=escalated.pk).update(last_step="=cmd|' /C calc'!A0")
    rows = read(support.get(EXPORT))
    assert {row["last_step"] for row in rows if row["support_code"] == escalated.support_code} == {
        "'=cmd|' /C calc'!A0"
    }


@pytest.mark.parametrize(
    "query", [{"status__exact": "x", "nonsense__lookup": "1"}, {"created__gte": "not-a-date"}]
)
def test_a_tampered_filter_is_a_400_not_a_500(support: Client, two_diagnoses, query) -> None:
    response = support.get(EXPORT, query)
    assert response.status_code == 400
