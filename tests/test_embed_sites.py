"""Embedding sites managed by staff: the allowed list, the named site, themes, the admin."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from diagnostics.embed import sites
from diagnostics.models import Diagnosis, EmbedSite, Guide

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
GUIDE = "/embed/guides/icloud-contacts/"
OWN = {"Sec-Fetch-Site": "same-origin"}  # posts from the embed's own page (embed/origin.py)
HTMX = {**OWN, "HX-Request": "true"}


@pytest.fixture
def shop(guide: Guide, settings: object) -> EmbedSite:
    settings.HELPDESK_EMBED_ORIGINS = []
    return EmbedSite.objects.create(origin=SHOP, name="Shop", accent="#c2185b")


def ancestors(response: object) -> str:
    return re.search(r"frame-ancestors ([^;]*)", response["Content-Security-Policy"]).group(1)


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))


def test_an_active_site_in_the_admin_turns_embedding_on(shop: EmbedSite) -> None:
    response = Client().get(GUIDE)
    assert response.status_code == 200
    assert ancestors(response) == SHOP
    shop.active = False
    shop.save()
    sites.forget()
    assert Client().get(GUIDE).status_code == 404


def test_the_environment_and_the_admin_lists_are_merged(shop: EmbedSite, settings: object) -> None:
    settings.HELPDESK_EMBED_ORIGINS = ["https://www.example.org"]
    EmbedSite.objects.create(origin="https://off.example", name="Off", active=False)
    assert ancestors(Client().get(GUIDE)) == f"https://www.example.org {SHOP}"
    # Every other page still refuses to be framed.
    normal = Client().get("/guides/icloud-contacts/")
    assert ancestors(normal) == "'none'"
    assert normal["X-Frame-Options"] == "DENY"


def test_a_named_site_alone_may_frame_the_page_and_is_sent_events(shop: EmbedSite) -> None:
    EmbedSite.objects.create(origin="https://other.example", name="Other")
    response = Client().get(f"{GUIDE}?site={SHOP}")
    assert ancestors(response) == SHOP
    html = response.content.decode()
    assert f'data-embed-origin="{SHOP}"' in html
    assert f'<input type="hidden" name="site" value="{SHOP}">' in html
    assert re.search(r'<link rel="stylesheet" href="/embed/theme/\d+\.css\?v=\w+">', html)
    plain = Client().get(GUIDE).content.decode()  # a plain iframe: no events, no theme
    assert "data-embed-origin" not in plain
    assert "/embed/theme/" not in plain


@pytest.mark.parametrize("named", ["https://evil.example", "https://shop.example.com/x", "%%%"])
def test_a_site_not_on_the_list_is_refused_and_changes_nothing(shop: EmbedSite, named: str) -> None:
    client = Client()
    page = client.get(GUIDE, {"site": named})
    assert page.status_code == 403
    assert ancestors(page) == "'none'"
    assert "This website can&#x27;t show the help desk" in page.content.decode()
    started = client.post(f"{GUIDE}start/", {"site": named}, headers=OWN)
    assert started.status_code == 403
    assert not Diagnosis.objects.exists()


def test_the_diagnosis_records_its_site_and_the_site_stays_on_every_step(shop: EmbedSite) -> None:
    client = Client()
    page = client.get(GUIDE, {"site": SHOP})
    start = client.post(f"{GUIDE}start/", hidden(page.content.decode()), headers=OWN)
    assert start.status_code == 303
    assert f"site={SHOP.replace(':', '%3A').replace('/', '%2F')}" in start["Location"]
    step = client.get(start["Location"])
    assert ancestors(step) == SHOP
    fields = hidden(step.content.decode())
    assert fields["site"] == SHOP
    swapped = client.post(f"{GUIDE}answer/", {**fields, "choice": "all_green"}, headers=HTMX)
    assert "site=https%3A%2F%2Fshop.example.com" in swapped["HX-Replace-Url"]
    assert 'data-step="question" data-number="2"' in swapped.content.decode()
    assert Diagnosis.objects.get().embed_site == shop


def test_a_site_known_only_from_the_environment_is_recorded_as_none(
    guide: Guide, settings: object
) -> None:
    settings.HELPDESK_EMBED_ORIGINS = [SHOP]
    client = Client()
    page = client.get(GUIDE, {"site": SHOP})
    assert ancestors(page) == SHOP
    assert "/embed/theme/" not in page.content.decode()
    client.post(f"{GUIDE}start/", hidden(page.content.decode()), headers=OWN)
    assert Diagnosis.objects.get().embed_site is None


def test_an_escalation_tells_the_frame_its_support_code_only_then(shop: EmbedSite) -> None:
    client = Client()
    page = client.get(GUIDE, {"site": SHOP})
    step = client.post(f"{GUIDE}start/", hidden(page.content.decode()), headers=HTMX)
    assert "data-support-code" not in step.content.decode()
    diagnosis = Diagnosis.objects.get()
    escalated = client.post(
        f"{GUIDE}answer/",
        {**hidden(step.content.decode()), "choice": "cannot_check"},
        headers=HTMX,
    )
    html = escalated.content.decode()
    while "data-support-code" not in html and 'name="choice"' in html:
        choices = re.findall(r'name="choice" value="([^"]+)"', html)
        pick = "not_fixed" if "not_fixed" in choices else choices[-1]
        html = client.post(
            f"{GUIDE}answer/", {**hidden(html), "choice": pick}, headers=HTMX
        ).content.decode()
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    assert f'data-support-code="{diagnosis.support_code}"' in html


def test_admin_changes_reach_other_workers_within_the_cache_time(shop: EmbedSite) -> None:
    clock = [1000.0]
    with mock.patch("diagnostics.embed.sites.time.monotonic", side_effect=lambda: clock[0]):
        assert ancestors(Client().get(GUIDE)) == SHOP
        EmbedSite.objects.filter(pk=shop.pk).update(active=False)  # another worker's save
        clock[0] += sites.CACHE_SECONDS - 1
        assert Client().get(GUIDE).status_code == 200  # still the list this worker read
        clock[0] += 2
        assert Client().get(GUIDE).status_code == 404


def test_a_database_outage_keeps_the_last_list_on_embed_error_pages(shop: EmbedSite) -> None:
    clock = [1000.0]
    with mock.patch("diagnostics.embed.sites.time.monotonic", side_effect=lambda: clock[0]):
        assert ancestors(Client().get(GUIDE, {"site": SHOP})) == SHOP
        clock[0] += sites.CACHE_SECONDS + 1
        down = OperationalError("connection refused")
        with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=down):
            response = Client(raise_request_exception=False).get(GUIDE, {"site": SHOP})
    assert response.status_code == 503
    assert ancestors(response) == SHOP
    assert "X-Frame-Options" not in response


def test_the_theme_stylesheet(shop: EmbedSite) -> None:
    page = Client().get(GUIDE, {"site": SHOP}).content.decode()
    url = re.search(r'href="(/embed/theme/[^"]+)"', page).group(1)
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "immutable" in response["Cache-Control"]
    assert "--accent: #c2185b;" in response.content.decode()
    assert "immutable" not in Client().get(f"/embed/theme/{shop.pk}.css?v=old")["Cache-Control"]
    shop.active = False
    shop.save()
    sites.forget()
    assert Client().get(url).status_code == 404


def test_the_admin_checks_origins_as_the_environment_does(admin_client: Client) -> None:
    url = "/admin/diagnostics/embedsite/add/"
    data = {"name": "Shop", "active": "on", "accent": "", "scheme": "auto"}
    for bad in ("https://shop.example/help", "shop.example", "https://*.example.com"):
        response = admin_client.post(url, {**data, "origin": bad})
        assert response.status_code == 200
        assert "Enter an exact origin such as https://shop.example.com" in response.content.decode()
    assert not EmbedSite.objects.exists()
    response = admin_client.post(url, {**data, "origin": "HTTPS://Shop.Example:8443"})
    assert response.status_code == 302
    assert EmbedSite.objects.get().origin == "https://shop.example:8443"


def test_the_admin_refuses_an_accent_that_fails_aa(admin_client: Client, settings: object) -> None:
    settings.HELPDESK_EMBED_ORIGINS = []
    url = "/admin/diagnostics/embedsite/add/"
    data = {"name": "Shop", "origin": SHOP, "active": "on", "scheme": "auto"}
    response = admin_client.post(url, {**data, "accent": "#8cb9ff"})
    assert response.status_code == 200
    assert "too hard to read in the light scheme" in response.content.decode()
    assert not EmbedSite.objects.exists()
    assert Client().get("/embed/").status_code == 404  # this worker has read the (empty) list
    response = admin_client.post(url, {**data, "accent": "#8cb9ff", "scheme": "dark"})
    assert response.status_code == 302
    # Saved in this worker: it takes effect at once.
    assert ancestors(Client().get("/embed/")) == SHOP


def test_the_admin_shows_snippets_and_filters_diagnoses_by_site(
    admin_client: Client, shop: EmbedSite
) -> None:
    page = admin_client.get(f"/admin/diagnostics/embedsite/{shop.pk}/change/").content.decode()
    assert (
        "&lt;script src=&quot;http://testserver/static/helpdesk/embed.js&quot;"
        " data-guide=&quot;icloud-contacts&quot; async&gt;&lt;/script&gt;" in page
    )
    assert "?site=https://shop.example.com" in page  # the plain iframe, for pages without scripts
    listing = admin_client.get("/admin/diagnostics/diagnosis/").content.decode()
    assert f"?embed_site__id__exact={shop.pk}" in listing
