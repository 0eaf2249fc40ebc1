"""Step forms post to the right address, wherever the page is served.

The flow's addresses are worked out once per process
(:func:`diagnostics.flow.links.address`), so an address drawn for one page
must never leak into another: the site's forms post to the site's
addresses, the embed's to ``/embed/``, and a site served under a path prefix
(``SCRIPT_NAME`` behind a proxy) keeps its prefix, whichever was drawn first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import get_script_prefix, set_script_prefix

from diagnostics.models import Guide

pytestmark = pytest.mark.django_db

GUIDE = "/guides/icloud-contacts/"


def actions(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]*)"', html)


@pytest.fixture
def prefixed() -> Iterator[None]:
    """Requests as a WSGI server under ``/help`` sees them (it sets the prefix per request)."""
    before = get_script_prefix()
    set_script_prefix("/help/")
    try:
        yield
    finally:
        set_script_prefix(before)


def test_forms_on_the_site_and_in_the_embed_post_to_their_own_addresses(
    guide: Guide, settings: object
) -> None:
    settings.HELPDESK_EMBED_ORIGINS = ["https://shop.example.com"]
    site = Client().get(GUIDE).content.decode()
    embedded = Client().get(f"/embed{GUIDE}?site=https://shop.example.com").content.decode()
    assert actions(site) == [f"{GUIDE}start/"]
    assert actions(embedded) == [f"/embed{GUIDE}start/"]
    # And the other way round, now that both were drawn once.
    assert actions(Client().get(GUIDE).content.decode()) == [f"{GUIDE}start/"]


def test_a_site_served_under_a_prefix_keeps_it_in_every_form(guide: Guide, prefixed: None) -> None:
    set_script_prefix("/")
    Client().get(GUIDE)  # the addresses without a prefix are drawn first
    set_script_prefix("/help/")
    client = Client()
    page = client.get(GUIDE).content.decode()
    assert actions(page) == [f"/help{GUIDE}start/"]

    ticket = re.search(r'name="ticket" value="([^"]*)"', page)
    assert ticket
    response = client.post(f"{GUIDE}start/", {"ticket": ticket[1]}, headers={"HX-Request": "true"})
    panel = response.content.decode()
    assert response["HX-Replace-Url"] == f"/help{GUIDE}step/1/"
    assert actions(panel) == [f"/help{GUIDE}answer/"]

    fields = dict(re.findall(r'name="([a-z]+)" value="([^"]*)"', panel))
    assert fields["step"] == "question:apple_status"
    answer = {"diagnosis": fields["diagnosis"], "step": fields["step"], "choice": "all_green"}
    response = client.post(f"{GUIDE}answer/", answer, headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == f"/help{GUIDE}step/2/"
    forms = actions(response.content.decode())
    assert forms == [f"/help{GUIDE}{action}/" for action in ("answer", "back", "restart")]

    set_script_prefix("/")
    assert actions(Client().get(GUIDE).content.decode()) == [f"{GUIDE}start/"]
