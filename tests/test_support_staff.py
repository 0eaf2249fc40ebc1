"""The "Support staff" group: view diagnoses, export them, work tickets; nothing else.

Each permission is proved with a real staff user of the group, going through
the admin as they would.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from diagnostics.models import Diagnosis, Feedback, Guide, Ticket
from tests import support_staff
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

ADMIN = "/admin/diagnostics"


@pytest.fixture
def member(db: None) -> User:
    return support_staff.member()


@pytest.fixture
def support(member: User) -> Client:
    return support_staff.logged_in(member)


@pytest.fixture
def ticket(guide: Guide, unsure: dict[str, str]) -> Ticket:
    flow = Flow(Client()).start()
    flow.walk(unsure)
    flow.post("escalate", flow.form(email="ada@example.com", message="Help"))
    flow.post("feedback", flow.form(helpful="no", comment="Nothing worked"))
    return Ticket.objects.get()


def test_the_group_has_exactly_its_permissions() -> None:
    group = support_staff.support_staff()
    assert set(group.permissions.values_list("codename", flat=True)) == {
        "view_diagnosis",
        "export_diagnosis",
        "view_fixattempt",
        "view_guide",
        "view_guideversion",
        "view_ticket",
        "change_ticket",
        "view_feedback",
    }
    assert not group.permissions.filter(codename__startswith="delete_").exists()
    assert not group.permissions.filter(codename__startswith="add_").exists()


def test_members_can_view_diagnoses_and_their_transcripts(support: Client, ticket: Ticket) -> None:
    diagnosis = ticket.diagnosis
    listing = support.get(f"{ADMIN}/diagnosis/")
    assert listing.status_code == 200
    assert diagnosis.support_code in listing.content.decode()
    page = support.get(f"{ADMIN}/diagnosis/{diagnosis.pk}/change/")
    assert page.status_code == 200
    assert 'class="transcript"' in page.content.decode()


def test_members_can_export(support: Client, ticket: Ticket) -> None:
    response = support.get(f"{ADMIN}/diagnosis/export/")
    assert response.status_code == 200
    assert ticket.diagnosis.support_code in b"".join(response.streaming_content).decode()


def test_members_see_new_tickets_with_the_story(support: Client, ticket: Ticket) -> None:
    listing = support.get(f"{ADMIN}/ticket/", {"status__exact": "new"})
    assert listing.status_code == 200
    assert ticket.diagnosis.support_code in listing.content.decode()
    assert (
        support.get(f"{ADMIN}/ticket/", {"status__exact": "closed"}).context["cl"].result_count == 0
    )
    page = support.get(f"{ADMIN}/ticket/{ticket.pk}/change/").content.decode()
    assert "ada@example.com" in page
    assert ticket.diagnosis.support_code in page
    assert 'class="transcript"' in page  # everything they tried


def test_members_work_tickets_status_assignee_and_notes(
    support: Client, member: User, ticket: Ticket
) -> None:
    response = support.post(
        f"{ADMIN}/ticket/{ticket.pk}/change/",
        {"status": "in_progress", "assignee": member.pk, "notes": "Called back on Monday."},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.notes) == (
        Ticket.Status.IN_PROGRESS,
        member,
        "Called back on Monday.",
    )
    # What the person typed stays as they sent it.
    assert ticket.email == "ada@example.com"
    assert ticket.message == "Help"


def test_what_the_person_typed_cannot_be_changed(support: Client, ticket: Ticket) -> None:
    support.post(
        f"{ADMIN}/ticket/{ticket.pk}/change/",
        {"status": "closed", "email": "someone@else.example", "message": "changed"},
    )
    ticket.refresh_from_db()
    assert (ticket.email, ticket.message) == ("ada@example.com", "Help")


def test_only_active_staff_can_be_assigned(support: Client, ticket: Ticket) -> None:
    outsider = User.objects.create_user("visitor", password=None, is_staff=False)
    response = support.post(
        f"{ADMIN}/ticket/{ticket.pk}/change/", {"status": "new", "assignee": outsider.pk}
    )
    assert response.status_code == 200  # the form again, with the error
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_members_can_read_feedback_but_not_change_it(support: Client, ticket: Ticket) -> None:
    feedback = Feedback.objects.get()
    assert b"Nothing worked" in support.get(f"{ADMIN}/feedback/").content
    support.post(f"{ADMIN}/feedback/{feedback.pk}/change/", {"helpful": "on", "comment": "x"})
    feedback.refresh_from_db()
    assert (feedback.helpful, feedback.comment) == (False, "Nothing worked")


@pytest.mark.parametrize(
    "what", ["ticket", "diagnosis", "feedback", "guide"], ids=lambda what: f"delete-{what}"
)
def test_members_cannot_delete_anything(support: Client, ticket: Ticket, what: str) -> None:
    pk = {
        "ticket": ticket.pk,
        "diagnosis": ticket.diagnosis.pk,
        "feedback": Feedback.objects.get().pk,
        "guide": ticket.diagnosis.guide_version.guide_id,
    }[what]
    assert support.get(f"{ADMIN}/{what}/{pk}/delete/").status_code == 403
    assert support.post(f"{ADMIN}/{what}/{pk}/delete/", {"post": "yes"}).status_code == 403
    assert Ticket.objects.count() == Feedback.objects.count() == Diagnosis.objects.count() == 1


def test_members_cannot_delete_in_bulk(support: Client, ticket: Ticket) -> None:
    response = support.post(
        f"{ADMIN}/ticket/",
        {"action": "delete_selected", "_selected_action": [ticket.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Ticket.objects.count() == 1


def test_members_cannot_edit_guides(support: Client, guide: Guide) -> None:
    page = support.get(f"{ADMIN}/guide/{guide.pk}/change/")
    assert page.status_code == 200  # they may read it
    assert b'name="pin_author_order"' not in page.content
    response = support.post(f"{ADMIN}/guide/{guide.pk}/change/", {"pin_author_order": "on"})
    assert response.status_code == 403
    guide.refresh_from_db()
    assert guide.pin_author_order is False


def test_members_cannot_add_tickets(support: Client, guide: Guide) -> None:
    assert support.get(f"{ADMIN}/ticket/add/").status_code == 403


def test_staff_outside_the_group_see_nothing(guide: Guide, ticket: Ticket) -> None:
    user = User.objects.create_user("newcomer", password=None, is_staff=True)
    browser = Client()
    browser.force_login(user)
    for url in (f"{ADMIN}/diagnosis/", f"{ADMIN}/ticket/", f"{ADMIN}/diagnosis/export/"):
        assert browser.get(url).status_code == 403
