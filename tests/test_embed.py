"""The flow inside another site's iframe: no cookies, a signed token instead."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from diagnostics.embed.tokens import session_from_token
from diagnostics.flow import commands
from diagnostics.models import Answer, Diagnosis, Guide

pytestmark = pytest.mark.django_db

EMBEDDER = "https://shop.example.com"


@pytest.fixture
def embedding(settings: object, guide: Guide) -> Guide:
    settings.HELPDESK_EMBED_ORIGINS = [EMBEDDER]
    return guide


class Iframe:
    """A browser that drops every cookie, like a cross-site iframe today.

    Its posts say where they come from, as browsers do: from the embed's own page.
    """

    def __init__(self, *, htmx: bool = False) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Sec-Fetch-Site": "same-origin"}
        if htmx:
            self.headers["HX-Request"] = "true"
        self.html = ""

    def get(self, url: str) -> object:
        response = self.client.get(url, headers=self.headers)
        self.client.cookies.clear()
        if response.status_code == 302:  # the guide's address leads on to the current step's
            return self.get(response["Location"])
        self.html = response.content.decode()
        return response

    def post(self, url: str, data: dict[str, str]) -> object:
        response = self.client.post(url, data, headers=self.headers)
        self.client.cookies.clear()
        if response.status_code == 303:
            return self.get(response["Location"])
        self.html = response.content.decode()
        return response

    def hidden(self) -> dict[str, str]:
        return dict(re.findall(r'name="(diagnosis|step|d)" value="([^"]*)"', self.html))

    def answer(self, choice: str) -> object:
        return self.post(
            "/embed/guides/icloud-contacts/answer/", {**self.hidden(), "choice": choice}
        )


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_whole_diagnosis_works_without_cookies(embedding: Guide, htmx: bool) -> None:
    frame = Iframe(htmx=htmx)
    response = frame.get("/embed/guides/icloud-contacts/")
    assert response.status_code == 200
    frame.post("/embed/guides/icloud-contacts/start/", {})
    assert frame.hidden()["step"] == "question:apple_status"
    assert 'action="/embed/guides/icloud-contacts/answer/"' in frame.html
    frame.answer("outage")
    assert "outcome--not_applicable" in frame.html
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    assert list(Answer.objects.values_list("choice", flat=True)) == ["outage"]


def test_embedded_pages_may_be_framed_only_by_configured_origins(embedding: Guide) -> None:
    response = Client().get("/embed/guides/icloud-contacts/")
    assert "X-Frame-Options" not in response
    assert f"frame-ancestors {EMBEDDER}" in response["Content-Security-Policy"]
    # The normal site still refuses to be framed.
    normal = Client().get("/guides/icloud-contacts/")
    assert normal["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in normal["Content-Security-Policy"]


def test_embedding_is_off_unless_origins_are_configured(guide: Guide) -> None:
    assert Client().get("/embed/guides/icloud-contacts/").status_code == 404


def test_embedded_pages_set_no_cookies_at_all(embedding: Guide) -> None:
    client = Client()
    page = client.get("/embed/guides/icloud-contacts/")
    assert not page.cookies  # no CSRF cookie either
    assert b"csrfmiddlewaretoken" not in page.content
    response = client.post(
        "/embed/guides/icloud-contacts/start/", headers={"Origin": "http://testserver"}
    )
    assert response.status_code == 303
    assert not response.cookies
    assert "?d=" in response["Location"]
    step = client.get(response["Location"])
    assert not step.cookies


def test_embed_tokens_expire_with_the_session_age(embedding: Guide, settings: object) -> None:
    frame = Iframe()
    frame.post("/embed/guides/icloud-contacts/start/", {})
    fields = frame.hidden()
    settings.SESSION_COOKIE_AGE = 60
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 120):
        response = frame.client.post(
            "/embed/guides/icloud-contacts/answer/", {**fields, "choice": "outage"}
        )
    assert response.status_code == 410
    assert not Answer.objects.exists()


def test_a_forged_token_cannot_touch_a_diagnosis(embedding: Guide) -> None:
    frame = Iframe()
    frame.post("/embed/guides/icloud-contacts/start/", {})
    fields = frame.hidden()
    before = Diagnosis.objects.get().revision
    for token in ["", "forged", fields["d"][:-3] + "abc"]:
        response = frame.client.post(
            "/embed/guides/icloud-contacts/answer/", {**fields, "d": token, "choice": "outage"}
        )
        assert response.status_code == 410
    assert Diagnosis.objects.get().revision == before
    assert not Answer.objects.exists()


def test_a_token_for_one_diagnosis_cannot_answer_another(embedding: Guide) -> None:
    mine, theirs = Iframe(), Iframe()
    mine.post("/embed/guides/icloud-contacts/start/", {})
    theirs.post("/embed/guides/icloud-contacts/start/", {})
    response = mine.client.post(
        "/embed/guides/icloud-contacts/answer/",
        {**theirs.hidden(), "d": mine.hidden()["d"], "choice": "outage"},
    )
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_start_over_in_the_iframe_moves_the_token_on(embedding: Guide) -> None:
    frame = Iframe()
    frame.post("/embed/guides/icloud-contacts/start/", {})
    first = frame.hidden()
    frame.answer("all_green")
    frame.post("/embed/guides/icloud-contacts/restart/", frame.hidden())
    assert "Start over from the first question?" in frame.html  # asked first
    assert Diagnosis.objects.count() == 1
    frame.post("/embed/guides/icloud-contacts/restart/", {**frame.hidden(), "confirm": "on"})
    second = frame.hidden()
    assert second["diagnosis"] != first["diagnosis"]
    assert second["step"] == "question:apple_status"
    assert Diagnosis.objects.get(pk=first["diagnosis"]).status == Diagnosis.Status.ABANDONED


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_old_iframe_address_cannot_bring_back_a_diagnosis_started_over(
    embedding: Guide, htmx: bool
) -> None:
    frame = Iframe(htmx=htmx)
    frame.post("/embed/guides/icloud-contacts/start/", {})
    frame.answer("all_green")
    old_form = {**frame.hidden(), "choice": "icloud"}  # kept in the iframe's history
    frame.post("/embed/guides/icloud-contacts/restart/", {**frame.hidden(), "confirm": "on"})

    response = frame.post("/embed/guides/icloud-contacts/answer/", old_form)

    assert response.status_code == 410
    assert "Your session has ended" in frame.html
    left = Diagnosis.objects.get(pk=old_form["diagnosis"])
    assert left.status == Diagnosis.Status.ABANDONED
    assert left.journal == [["question", "apple_status", "all_green"]]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_old_start_form_in_the_iframe_opens_a_fresh_diagnosis(
    embedding: Guide, htmx: bool
) -> None:
    frame = Iframe(htmx=htmx)
    frame.get("/embed/guides/icloud-contacts/")
    (ticket,) = re.findall(r'name="ticket" value="([^"]*)"', frame.html)
    frame.post("/embed/guides/icloud-contacts/start/", {"ticket": ticket})
    frame.answer("all_green")
    left = frame.hidden()["diagnosis"]
    frame.post("/embed/guides/icloud-contacts/restart/", {**frame.hidden(), "confirm": "on"})

    old_start = Iframe(htmx=htmx)  # the first start page, from the iframe's history
    old_start.post("/embed/guides/icloud-contacts/start/", {"ticket": ticket})

    assert old_start.hidden()["diagnosis"] not in (left, frame.hidden()["diagnosis"])
    assert old_start.hidden()["step"] == "question:apple_status"
    assert Diagnosis.objects.get(pk=left).status == Diagnosis.Status.ABANDONED


def test_an_idle_embedded_diagnosis_carries_on_when_its_person_returns(embedding: Guide) -> None:
    frame = Iframe()
    frame.post("/embed/guides/icloud-contacts/start/", {})
    frame.answer("all_green")
    Diagnosis.objects.update(updated=timezone.now() - timedelta(hours=25))
    assert commands.mark_abandoned(idle_for=timedelta(hours=24)) == 1

    frame.answer("icloud")

    assert frame.hidden()["step"] == "fix:restart"  # first after the gates
    assert Diagnosis.objects.get().status == Diagnosis.Status.IN_PROGRESS


def framable_by_the_embedder(response: HttpResponse) -> bool:
    return "X-Frame-Options" not in response and (
        f"frame-ancestors {EMBEDDER}" in response["Content-Security-Policy"]
    )


@pytest.mark.parametrize(
    "url", ["/embed/guides/no-such-guide/", "/embed/no/such/page/"], ids=["guide", "page"]
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_not_found_inside_the_iframe_shows_in_the_iframe(
    embedding: Guide, url: str, htmx: bool
) -> None:
    """Not a blank frame: the 404 may be framed, and its links stay embedded."""
    frame = Iframe(htmx=htmx)
    response = frame.get(url)
    assert response.status_code == 404
    assert framable_by_the_embedder(response)
    assert "not found" in frame.html.lower()
    links = re.findall(r'href="(/[^"]*)"', frame.html)
    page_links = [link for link in links if not link.startswith("/static/")]
    assert page_links
    assert all(link.startswith("/embed/") for link in page_links)


def test_too_many_posts_inside_the_iframe_keep_the_diagnosis(
    embedding: Guide, settings: object
) -> None:
    """The 429 page may be framed, and "Try again" carries the token back to the step."""
    frame = Iframe()
    frame.get("/embed/guides/icloud-contacts/")
    frame.post("/embed/guides/icloud-contacts/start/", {})
    frame.answer("all_green")
    settings.HELPDESK_RATE_LIMIT_POSTS = 1
    settings.HELPDESK_RATE_LIMIT_BACKEND = "database"
    response = frame.answer("icloud")
    response = frame.answer("icloud")  # one over the allowance
    assert response.status_code == 429
    assert framable_by_the_embedder(response)
    assert Answer.objects.count() == 2  # the refused post changed nothing
    (retry,) = re.findall(r'href="([^"]*)">Try again', frame.html)
    assert retry.startswith("/embed/guides/icloud-contacts/?d=")
    frame.get(retry.replace("&amp;", "&"))
    assert frame.hidden()["step"] == "fix:restart"  # after the answer that got through
    # A made-up token is not echoed back into the link.
    forged = frame.post("/embed/guides/icloud-contacts/answer/", {"d": "forged", "choice": "x"})
    assert forged.status_code == 429
    assert 'href="/embed/guides/icloud-contacts/">Try again' in frame.html


def test_the_normal_site_404_still_refuses_framing(embedding: Guide) -> None:
    response = Client().get("/guides/no-such-guide/")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_htmx_steps_put_the_token_in_the_frames_address(embedding: Guide) -> None:
    """Reloading the iframe after htmx swaps comes back to the same step."""
    frame = Iframe(htmx=True)
    frame.get("/embed/guides/icloud-contacts/")
    started = frame.post("/embed/guides/icloud-contacts/start/", {})
    answered = frame.answer("all_green")
    # Each step's own address, replaced: an iframe never adds to the host page's history.
    for response, position in ((started, 1), (answered, 2)):
        address = f"/embed/guides/icloud-contacts/step/{position}/?d="
        assert response["HX-Replace-Url"].startswith(address)
        assert "HX-Push-Url" not in response
    where = frame.hidden()["step"]
    reloaded = Iframe()  # a plain page load of that address, still without cookies
    reloaded.get(answered["HX-Replace-Url"])
    assert reloaded.hidden()["step"] == where == "question:account"


def test_links_inside_the_iframe_keep_the_token(embedding: Guide) -> None:
    frame = Iframe()
    frame.get("/embed/guides/icloud-contacts/")
    frame.post("/embed/guides/icloud-contacts/start/", {})
    token = frame.hidden()["d"]
    (home,) = re.findall(r'class="brand" href="([^"]*)"', frame.html)
    assert home.startswith("/embed/?d=")
    frame.get(home.replace("&amp;", "&"))
    cards = re.findall(r'class="guide-card" href="([^"]*)"', frame.html)
    (card,) = [c for c in cards if c.startswith("/embed/guides/icloud-contacts/")]
    assert all("?d=" in c for c in cards)  # every guide's card carries the token
    frame.get(card.replace("&amp;", "&"))
    # The same diagnosis (the token itself is signed afresh, with the time, on every page).
    assert dict(session_from_token(frame.hidden()["d"])) == dict(session_from_token(token))
    assert frame.hidden()["step"] == "question:apple_status"  # back where they were


def test_htmx_steps_keep_the_header_link_on_the_newest_token(embedding: Guide) -> None:
    """The header is not part of the swapped panel, so each step swaps its link too."""
    frame = Iframe(htmx=True)
    frame.get("/embed/guides/icloud-contacts/")
    frame.post("/embed/guides/icloud-contacts/start/", {})
    frame.answer("all_green")
    (brand,) = re.findall(
        r'<a id="brand" class="brand" hx-swap-oob="true" href="([^"]*)"', frame.html
    )
    assert brand == "/embed/?d=" + frame.hidden()["d"].replace(":", "%3A")
