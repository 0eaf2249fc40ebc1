"""A start ticket counts only for the browser it was handed to.

Posted by any other browser (a copied page, a crafted link, an auto-submitted
form), it opens a new diagnosis for that browser and never joins the first
one, so nobody can answer in, or read, someone else's diagnosis through it.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from diagnostics.models import Answer, Diagnosis, Guide
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

EMBED = "/embed/guides/icloud-contacts/"
FROM_THE_EMBED = {"Sec-Fetch-Site": "same-origin"}


@pytest.mark.parametrize("htmx", [False, True])
def test_another_browser_with_my_unspent_ticket_gets_its_own_diagnosis(
    guide: Guide, htmx: bool
) -> None:
    mine = Flow(Client(), htmx=htmx)
    mine.get()
    ticket = mine.field("ticket")
    mine.post("start", {"ticket": ticket})

    theirs = Flow(Client(), htmx=htmx)
    theirs.get()  # a browser of their own, with its own cookies
    theirs.post("start", {"ticket": ticket})

    assert theirs.diagnosis != mine.diagnosis
    assert theirs.step == "question:apple_status"
    assert Diagnosis.objects.count() == 2
    # Nor can they answer in mine, or ever see its support code.
    response = theirs.post("answer", {**mine.form(), "choice": "outage"})
    assert response.status_code == 403
    assert not Answer.objects.filter(diagnosis=mine.diagnosis).exists()
    mine_code = Diagnosis.objects.get(pk=mine.diagnosis).support_code
    theirs.answer("outage")
    assert mine_code not in theirs.html


def test_a_stranger_posting_first_does_not_pull_me_into_their_diagnosis(guide: Guide) -> None:
    """The ticket on my page, posted first by someone else: my Start still opens my own."""
    mine = Flow(Client())
    mine.get()
    ticket = mine.field("ticket")
    stranger = Flow(Client())
    stranger.get()
    stranger.post("start", {"ticket": ticket})  # untouched: the ticket's diagnosis, unspent

    mine.post("start", {"ticket": ticket})
    assert mine.diagnosis != stranger.diagnosis
    assert mine.step == "question:apple_status"


def test_without_the_csrf_cookie_a_ticket_binds_to_nothing_and_starts_afresh(
    guide: Guide,
) -> None:
    """A browser that sends no cookie has nothing to bind to: each Start is its own."""
    page = Flow(Client())
    page.get()
    ticket = page.field("ticket")
    for _ in range(2):
        cookieless = Flow(Client())
        cookieless.post("start", {"ticket": ticket})
    assert Diagnosis.objects.count() == 2


class Frame:
    """The embed in a browser with JavaScript: its start form carries the page's own
    random value, as static/diagnostics/app.js adds it."""

    def __init__(self, page_value: str = "") -> None:
        self.client = Client()
        self.page_value = page_value

    def start_page(self) -> dict[str, str]:
        html = self.client.get(EMBED).content.decode()
        (ticket,) = re.findall(r'name="ticket" value="([^"]*)"', html)
        return {"ticket": ticket}

    def start(self, form: dict[str, str]) -> str:
        data = {**form, "browser": self.page_value} if self.page_value else form
        response = self.client.post(f"{EMBED}start/", data, headers=FROM_THE_EMBED, follow=True)
        match = re.search(r'name="diagnosis" value="([^"]*)"', response.content.decode())
        assert match, "no step after Start"
        return match.group(1)


@pytest.fixture
def embedding(settings: object, guide: Guide) -> Guide:
    settings.HELPDESK_EMBED_ORIGINS = ["https://shop.example.com"]
    return guide


def test_in_the_embed_the_same_start_posted_twice_opens_one_diagnosis(embedding: Guide) -> None:
    frame = Frame("a1" * 16)
    form = frame.start_page()
    assert frame.start(form) == frame.start(form)
    assert Diagnosis.objects.count() == 1


def test_in_the_embed_another_browsers_ticket_opens_a_new_diagnosis(embedding: Guide) -> None:
    attacker = Frame("a1" * 16)
    form = attacker.start_page()
    theirs = attacker.start(form)
    victim = Frame("b2" * 16)
    assert victim.start(form) != theirs
    assert Diagnosis.objects.count() == 2


def test_in_the_embed_without_javascript_a_ticket_never_joins(embedding: Guide) -> None:
    """No page value to bind to: each Start opens its own diagnosis. A double click
    without JavaScript leaves one unanswered behind (purged later, never counted)."""
    frame = Frame()
    form = frame.start_page()
    first, second = frame.start(form), Frame().start(form)
    assert first != second
    assert Diagnosis.objects.count() == 2


def test_the_csrf_cookie_is_what_a_site_ticket_binds_to(guide: Guide) -> None:
    """The start page sets it, so even a first visit's double click is bound."""
    client = Client()
    response = client.get("/guides/icloud-contacts/")
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # no session saved for a look
