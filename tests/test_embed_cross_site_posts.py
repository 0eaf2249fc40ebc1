"""Posts to /embed/ are taken only from the embed's own pages, never from other sites.

Embedded views are CSRF-exempt (no cookies in a cross-site iframe), so any page
on the internet could otherwise make its visitors' browsers open diagnoses,
for instance with ``fetch(url, {method: "POST", mode: "no-cors"})``.
"""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.test import Client

from diagnostics.flow import ownership
from diagnostics.models import Answer, Diagnosis, Guide

pytestmark = pytest.mark.django_db

EMBEDDER = "https://shop.example.com"
EVIL = "https://evil.example"
BASE = "/embed/guides/icloud-contacts/"
# What a browser sends with a no-cors fetch or a form posted from another site.
CROSS_SITE = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def embedding(settings: object, guide: Guide) -> Guide:
    settings.HELPDESK_EMBED_ORIGINS = [EMBEDDER]
    return guide


def start_page(client: Client) -> dict[str, str]:
    """The start form's fields, as the embed's start page hands them out."""
    html = client.get(BASE).content.decode()
    return dict(re.findall(r'name="(ticket)" value="([^"]*)"', html))


def step_fields(response: object) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'name="(diagnosis|step|d)" value="([^"]*)"', html))


def started(client: Client) -> dict[str, str]:
    """Start a diagnosis from the embed itself; the fields of its first step."""
    response = client.post(f"{BASE}start/", start_page(client), headers=SAME_ORIGIN, follow=True)
    return step_fields(response)


def test_a_cross_site_flood_opens_no_diagnosis(embedding: Guide) -> None:
    """The red team's page: 20 no-cors posts from an unlisted origin."""
    client = Client()
    statuses = {client.post(f"{BASE}start/", {}, headers=CROSS_SITE).status_code for _ in range(20)}
    assert statuses == {403}
    assert Diagnosis.objects.count() == 0


@pytest.mark.parametrize("action", ["start", "restart", "answer", "back"])
def test_a_cross_site_post_gets_a_403_in_the_frame_and_changes_nothing(
    embedding: Guide, action: str, django_assert_num_queries: object
) -> None:
    client = Client()
    fields = started(client)
    before = Diagnosis.objects.get()
    data = {**fields, "choice": "outage", "confirm": "on", **start_page(client)}
    with django_assert_num_queries(0):
        response = client.post(f"{BASE}{action}/", data, headers=CROSS_SITE)
    assert response.status_code == 403
    page = response.content.decode()
    assert "This came from another website" in page
    assert "nothing was changed" in page
    assert 'href="/embed/"' in page  # the way on stays inside the frame
    assert f"frame-ancestors {EMBEDDER}" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert not response.cookies
    after = Diagnosis.objects.get()  # still the only one
    assert (after.pk, after.revision, after.status) == (before.pk, before.revision, before.status)
    assert not Answer.objects.exists()


def test_a_cross_site_start_with_a_valid_ticket_opens_nothing(embedding: Guide) -> None:
    ticket = start_page(Client())  # fresh, unspent, genuinely issued
    response = Client().post(f"{BASE}start/", ticket, headers=CROSS_SITE)
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


def test_the_htmx_panel_says_so_too(embedding: Guide) -> None:
    headers = {**CROSS_SITE, "HX-Request": "true"}
    response = Client().post(f"{BASE}start/", {}, headers=headers)
    assert response.status_code == 403
    assert response.content.decode().lstrip().startswith("<section")
    assert "This came from another website" in response.content.decode()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another origin
        {"Sec-Fetch-Site": "none"},
        {"Origin": EVIL},
        {"Origin": EMBEDDER},  # the embedder's page is not the embed
        {"Origin": "null"},  # a sandboxed frame
        {"Origin": "https://testserver"},  # wrong scheme: the site is served over http here
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_posts_that_do_not_come_from_this_site_are_refused(
    embedding: Guide, headers: dict[str, str]
) -> None:
    response = Client().post(f"{BASE}start/", {}, headers=headers)
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},  # a browser without Fetch metadata
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_posts_from_the_embed_itself_are_taken(embedding: Guide, headers: dict[str, str]) -> None:
    response = Client().post(f"{BASE}start/", {}, headers=headers)
    assert response.status_code == 303
    assert Diagnosis.objects.count() == 1


def test_behind_a_tls_proxy_the_https_origin_is_this_site(
    embedding: Guide, settings: object
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = {"Host": "testserver", "X-Forwarded-Proto": "https"}  # what the proxy passes on
    headers = {**proxied, "Origin": "https://testserver"}
    assert Client().post(f"{BASE}start/", {}, headers=headers).status_code == 303
    # Not through the proxy: plain http, so an https page is another origin.
    plain = {"Host": "testserver", "Origin": "https://testserver"}
    assert Client().post(f"{BASE}start/", {}, headers=plain).status_code == 403
    assert Diagnosis.objects.count() == 1


@pytest.mark.parametrize(
    ("trusted", "origin"),
    [
        ("https://help.example.org", "https://help.example.org"),
        ("https://*.example.org", "https://help.example.org"),
    ],
)
def test_csrf_trusted_origins_count_as_this_site(
    embedding: Guide, settings: object, trusted: str, origin: str
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = [trusted]
    assert Client().post(f"{BASE}start/", {}, headers={"Origin": origin}).status_code == 303
    assert Client().post(f"{BASE}start/", {}, headers={"Origin": EVIL}).status_code == 403
    assert Diagnosis.objects.count() == 1


@pytest.mark.parametrize("action", ["start", "restart"])
def test_without_origin_headers_nothing_new_is_opened(embedding: Guide, action: str) -> None:
    """curl, or a browser too old to say where a post comes from: Start and Start over
    are refused, even with a genuine token."""
    client = Client()
    fields = started(client)
    response = client.post(f"{BASE}{action}/", {**fields, "confirm": "on", **start_page(client)})
    assert response.status_code == 403
    assert Diagnosis.objects.count() == 1


def test_without_origin_headers_a_token_holder_can_still_answer(embedding: Guide) -> None:
    """Answer and Back change nothing without the diagnosis's token, so they go on."""
    client = Client()
    fields = started(client)
    response = client.post(f"{BASE}answer/", {**fields, "choice": "outage"})
    assert response.status_code == 303
    assert list(Answer.objects.values_list("choice", flat=True)) == ["outage"]


def test_a_same_site_start_with_an_expired_ticket_starts_afresh(embedding: Guide) -> None:
    client = Client()
    ticket = start_page(client)
    later = time.time() + ownership.START_TICKET_AGE + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(f"{BASE}start/", ticket, headers=SAME_ORIGIN, follow=True)
    assert step_fields(response)["step"] == "question:apple_status"
    assert Diagnosis.objects.count() == 1


def test_the_site_itself_keeps_django_csrf_protection(guide: Guide) -> None:
    """Outside /embed/, a cross-site post is refused by Django's own CSRF check."""
    client = Client(enforce_csrf_checks=True)
    client.get("/guides/icloud-contacts/")
    response = client.post("/guides/icloud-contacts/start/", {}, headers=CROSS_SITE)
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()
