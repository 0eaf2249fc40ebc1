"""The escalation screen's form reaches a human: a ticket in the admin, an optional email.

Without JavaScript, with htmx and inside the embed's iframe (no cookies). Bad
input gets a clear 4xx and stores nothing; contact details never come back to
the person's screen.
"""

from __future__ import annotations

import contextlib
import re
import threading

import pytest
from django.core import mail
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from diagnostics.models import Diagnosis, Feedback, Guide, Ticket, guide_for_version
from diagnostics.support import tickets
from tests.conftest import Flow
from tests.test_embed import EMBEDDER, Iframe

pytestmark = pytest.mark.django_db

ESCALATE = "/guides/icloud-contacts/escalate/"
CONTACT = {"name": "Ada", "email": "ada@example.com", "phone": "", "message": "Still broken."}


@pytest.fixture
def escalated(flow: Flow, unsure: dict[str, str]) -> Flow:
    flow.start()
    flow.walk(unsure)
    assert flow.step == "outcome:escalate"
    return flow


@pytest.fixture
def htmx_escalated(htmx_flow: Flow, unsure: dict[str, str]) -> Flow:
    htmx_flow.start()
    htmx_flow.walk(unsure)
    assert htmx_flow.step == "outcome:escalate"
    return htmx_flow


def send(flow: Flow, **fields: str) -> object:
    return flow.post("escalate", flow.form(**{**CONTACT, **fields}))


def test_the_escalation_screen_offers_the_form_above_the_rest(escalated: Flow) -> None:
    html = escalated.html
    code = Diagnosis.objects.get().support_code
    # Above the disclosure: the code, one line on what happens next, the form.
    above, _, below = html.partition('<details class="more">')
    assert below, "the rest of the screen is behind a disclosure"
    assert code in above
    assert "our support team will get back to you" in above
    assert f'action="{ESCALATE}"' in above
    for field in ("email", "phone", "name", "message"):
        assert f'name="{field}"' in above
    # The privacy notice says how long, from the setting.
    assert "We keep what you type here for 30 days" in above
    # The guide's long text and the summary are still there, one tap away.
    assert "Summary for support" in below
    assert "Data Recovery" in below


def test_the_privacy_notice_follows_the_retention_setting(
    escalated: Flow, settings: object
) -> None:
    settings.HELPDESK_CONTACT_RETENTION_DAYS = 7
    assert "We keep what you type here for 7 days" in escalated.get(escalated.page)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_sending_the_form_makes_a_ticket_linked_to_the_diagnosis(
    client: Client, guide: object, unsure: dict[str, str], htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.walk(unsure)
    response = send(flow, phone="+44 20 7946 0958")
    assert response.status_code == (200 if htmx else 303)
    ticket = Ticket.objects.get()
    diagnosis = Diagnosis.objects.get()
    assert ticket.diagnosis == diagnosis
    assert (ticket.name, ticket.email, ticket.phone, ticket.message) == (
        "Ada",
        "ada@example.com",
        "+44 20 7946 0958",
        "Still broken.",
    )
    assert ticket.status == Ticket.Status.NEW
    assert ticket.assignee is None
    # The person sees it went, and the form is gone.
    assert "Your message is with our support team" in flow.html
    assert f'action="{ESCALATE}"' not in flow.html
    assert diagnosis.support_code in flow.html


def test_contact_details_are_never_shown_again(escalated: Flow) -> None:
    send(escalated, name="Ada Lovelace", phone="020 7946 0958", message="Secret words")
    for html in (escalated.html, escalated.get(escalated.page), escalated.get()):
        for typed in ("Ada Lovelace", "ada@example.com", "020 7946 0958", "Secret words"):
            assert typed not in html


def test_a_second_send_is_friendly_and_stores_no_second_ticket(escalated: Flow) -> None:
    form = escalated.form(**CONTACT)
    escalated.post("escalate", form)
    response = escalated.client.post(ESCALATE, {**form, "message": "again"}, follow=True)
    assert response.status_code == 200
    assert "We already have your message" in response.content.decode()
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().message == "Still broken."


def test_no_email_and_no_phone_is_a_400_that_keeps_what_was_typed(escalated: Flow) -> None:
    response = send(escalated, email="", phone="", message="Please call me back")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give an email address or a phone number" in html
    assert "Please call me back" in html  # nothing typed is lost
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"email": "not an address"}, "Enter a valid email address"),
        ({"phone": "call me maybe"}, "Enter a phone number"),
        ({"message": "x" * 2001}, "at most 2000 characters"),
        ({"name": "n" * 101}, "at most 100 characters"),
    ],
    ids=["email", "phone", "long-message", "long-name"],
)
def test_bad_fields_are_a_400_with_the_reason_and_nothing_stored(
    htmx_escalated: Flow, fields: dict[str, str], said: str
) -> None:
    response = send(htmx_escalated, **fields)
    assert response.status_code == 400
    assert said in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert Ticket.objects.count() == 0


def test_the_honeypot_stores_nothing(escalated: Flow) -> None:
    response = send(escalated, website="http://spam.example")
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_html_is_never_kept(escalated: Flow) -> None:
    send(
        escalated,
        name="<b>Ada</b>",
        message='<script>alert("x")</script>Hi <img src=x onerror=alert(1)> there <a',
    )
    ticket = Ticket.objects.get()
    assert ticket.name == "Ada"
    assert "<" not in ticket.message
    assert ticket.message.startswith('alert("x")Hi')


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"diagnosis": "not-a-uuid", "step": "outcome:escalate", **CONTACT},
        {"step": "outcome:escalate", **CONTACT},
        {"diagnosis": "00000000-0000-0000-0000-000000000000", "step": "x", **CONTACT},
    ],
    ids=["empty", "bad-uuid", "no-diagnosis", "someone-elses"],
)
def test_tampered_posts_are_4xx_and_store_nothing(escalated: Flow, data: dict) -> None:
    response = escalated.client.post(ESCALATE, data)
    assert 400 <= response.status_code < 500
    assert Ticket.objects.count() == 0


def test_another_browser_cannot_send_a_ticket_for_my_diagnosis(
    escalated: Flow, guide: object
) -> None:
    stranger = Flow(Client()).start()
    response = stranger.client.post(ESCALATE, escalated.form(**CONTACT))
    assert response.status_code == 403
    assert Ticket.objects.count() == 0


def test_a_ticket_before_the_escalation_screen_is_refused(flow: Flow) -> None:
    flow.start()
    response = flow.post("escalate", flow.form(**CONTACT))
    assert response.status_code == 409
    assert Ticket.objects.count() == 0


def test_opening_the_address_is_a_405_page(escalated: Flow) -> None:
    response = escalated.client.get(ESCALATE)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_missing_csrf_token_is_refused(escalated: Flow) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = escalated.client.cookies
    response = strict.post(ESCALATE, escalated.form(**CONTACT))
    assert response.status_code == 403
    assert Ticket.objects.count() == 0


def test_tickets_from_one_network_are_capped_per_day(
    client: Client, guide: object, unsure: dict[str, str], settings: object
) -> None:
    settings.HELPDESK_TICKETS_PER_NETWORK = 2
    statuses = []
    for _ in range(3):
        flow = Flow(Client()).start()
        flow.walk(unsure)
        statuses.append(send(flow).status_code)
    assert statuses == [303, 303, 429]
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize("htmx", [False, True])
def test_over_the_cap_the_form_comes_back_with_what_was_typed(
    guide: object, unsure: dict[str, str], settings: object, htmx: bool
) -> None:
    settings.HELPDESK_TICKETS_PER_NETWORK = 1
    first = Flow(Client()).start()
    first.walk(unsure)
    assert send(first).status_code == 303
    flow = Flow(Client(), htmx=htmx).start()
    flow.walk(unsure)
    typed = {"name": "Grace", "email": "grace@example.com", "phone": "+44 20 7946 0000"}
    response = send(flow, **typed, message="Nothing syncs since Tuesday.")
    assert response.status_code == 429
    assert Ticket.objects.count() == 1
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "Several messages to support came from your network today" in html
    assert 'role="alert"' in html
    assert f'action="{ESCALATE}"' in html  # the form itself, ready to send again
    assert 'value="Grace"' in html
    assert 'value="grace@example.com"' in html
    assert 'value="+44 20 7946 0000"' in html
    assert ">Nothing syncs since Tuesday.</textarea>" in html


def test_with_tickets_off_the_screen_still_leads_somewhere(
    flow: Flow, unsure: dict[str, str], settings: object
) -> None:
    settings.HELPDESK_TICKETS = False
    settings.HELPDESK_SUPPORT_CONTACT = ""
    flow.start()
    flow.walk(unsure)
    assert f'action="{ESCALATE}"' not in flow.html
    assert "Keep your support code" in flow.html
    assert "Start over" in flow.html
    response = flow.post("escalate", flow.form(**CONTACT))
    assert response.status_code == 404
    assert Ticket.objects.count() == 0


def test_support_is_emailed_when_an_address_is_set(
    escalated: Flow, settings: object, django_capture_on_commit_callbacks
) -> None:
    settings.HELPDESK_SUPPORT_EMAIL = "support@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        send(escalated)
    code = Diagnosis.objects.get().support_code
    (sent,) = mail.outbox
    assert sent.to == ["support@example.com"]
    assert code in sent.subject
    assert "ada@example.com" in sent.body
    assert "Still broken." in sent.body
    assert f"/admin/diagnostics/ticket/{Ticket.objects.get().pk}/change/" in sent.body


def test_no_email_without_an_address(escalated: Flow, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send(escalated)
    assert mail.outbox == []
    assert Ticket.objects.count() == 1


def test_a_failing_mail_server_loses_no_ticket(
    escalated: Flow,
    settings: object,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    settings.HELPDESK_SUPPORT_EMAIL = "support@example.com"

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("diagnostics.support.tickets.send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(escalated)
    assert len(callbacks) == 1  # the email was tried
    assert response.status_code == 303
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_form_works_in_the_embed_without_cookies(
    settings: object, guide: object, unsure: dict[str, str], htmx: bool
) -> None:
    settings.HELPDESK_EMBED_ORIGINS = [EMBEDDER]
    frame = Iframe(htmx=htmx)
    frame.get("/embed/guides/icloud-contacts/")
    frame.post("/embed/guides/icloud-contacts/start/", {})
    while (step := frame.hidden()["step"]) != "outcome:escalate":
        kind, _, step_id = step.partition(":")
        frame.answer(unsure[step_id] if kind == "question" else "not_fixed")
    assert 'action="/embed/guides/icloud-contacts/escalate/"' in frame.html
    response = frame.post("/embed/guides/icloud-contacts/escalate/", {**frame.hidden(), **CONTACT})
    assert response.status_code == 200
    assert Ticket.objects.get().email == "ada@example.com"
    assert "Your message is with our support team" in frame.html
    assert re.search(r'name="d" value="[^"]+"', frame.html)  # still the same diagnosis


def test_the_escalation_screen_is_short_outside_its_disclosure(escalated: Flow) -> None:
    """Was 290 words: now the code, the form and one line, the rest one tap away."""
    start = escalated.html.index('<section id="panel"')
    panel = escalated.html[start : escalated.html.index('<p class="loading"', start)]
    outside = re.sub(r"<details.*?</details>", "", panel, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", outside)
    assert len(text.split()) <= 120


TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\x00", "<script>", "=1+1", "a@b.c", "+44 20 7946 0958"]),
)


@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            name: TEXT
            for name in ("name", "email", "phone", "message", "website", "helpful", "comment")
        },
    ),
    endpoint=st.sampled_from(["escalate", "feedback"]),
)
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,  # no example database written into the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_is_posted_never_a_5xx_and_a_4xx_stores_nothing(
    escalated: Flow, fields: dict[str, str], endpoint: str
) -> None:
    escalated.client.raise_request_exception = False
    before = (Ticket.objects.count(), Feedback.objects.count())
    response = escalated.client.post(
        f"/guides/icloud-contacts/{endpoint}/", {**escalated.form(), **fields}
    )
    assert response.status_code < 500
    if response.status_code >= 400:
        assert (Ticket.objects.count(), Feedback.objects.count()) == before
    for ticket in Ticket.objects.all():  # no tag survives in what is kept
        assert not re.search(r"<[A-Za-z!/?]", ticket.name + ticket.phone + ticket.message)


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_from_one_network_cannot_both_pass_the_cap(
    guide: Guide, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both count before either stores: only a lock per network keeps the cap (PostgreSQL;
    SQLite's transactions begin IMMEDIATE, one writer at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: PostgreSQL")
    settings.HELPDESK_TICKETS_PER_NETWORK = 1
    version = guide.current_version
    assert version is not None
    step = guide_for_version(version.pk).step("outcome:escalate")
    sends = [
        Diagnosis.objects.create(
            guide_version=version,
            status="escalated",
            last_step="outcome:escalate",
            network="one-network",
        )
        for _ in range(2)
    ]
    both_counted = threading.Barrier(2, timeout=2)
    count = QuerySet.count

    def count_then_wait(queryset: QuerySet) -> int:
        n = count(queryset)
        if queryset.model is Ticket:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_counted.wait()  # the other send counts now too, unless it must wait
        return n

    monkeypatch.setattr(QuerySet, "count", count_then_wait)
    results: list[str] = []

    def send_one(diagnosis: Diagnosis) -> None:
        try:
            tickets.open_ticket(
                diagnosis=diagnosis,
                step=step,
                contact=tickets.Contact(email="a@example.com"),
                network="one-network",
            )
            results.append("sent")
        except tickets.TooManyTickets:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send_one, args=(d,)) for d in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["refused", "sent"]
    assert Ticket.objects.count() == 1
