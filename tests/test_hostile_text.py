"""A guide full of attacks, published the normal way, is shown as text on every page.

The hostile guide (tests/hostile_guide.py) puts 44 payloads into every text
staff can edit. It is published by ``catalog.publishing`` and walked through
every kind of screen, with and without htmx, on the site and inside another
site's iframe, and read by staff in the admin.
No page may carry markup a payload made, and every page keeps its strict CSP.
(The same guide in a real browser: tests/browser/test_hostile_guide.py.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from diagnostics.catalog.files import read_guide_file
from diagnostics.catalog.publishing import publish_guide
from diagnostics.models import Diagnosis, Guide
from tests.conftest import Flow
from tests.hostile_guide import (
    MARKER,
    PAYLOADS,
    SLUG,
    problems_in,
    write_hostile_guides,
)
from tests.test_csp import policy
from tests.test_embed import EMBEDDER, Iframe

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
}


@pytest.fixture
def hostile(db: None, tmp_path: Path) -> Guide:
    for path in write_hostile_guides(tmp_path):
        publish_guide(guide_file=read_guide_file(path))
    Guide.objects.filter(slug=SLUG).update(pin_author_order=True)
    return Guide.objects.get(slug=SLUG)


def assert_harmless(response: HttpResponse) -> str:
    assert response.status_code == 200
    found = policy(response)
    assert {name: found.get(name) for name in STRICT} == STRICT
    html = response.content.decode()
    assert problems_in(html) == []
    return html


def walk(flow: Flow, *, gate: str, fixes: str, shown: set[str] | None = None) -> list[str]:
    """Every screen from the start to the end, answering ``gate`` first, then the
    first choice of any other question, and ``fixes`` to every fix. The steps
    shown are added to ``shown``."""
    flow.start()
    screens = [flow.html]
    while flow.choices:
        kind, _, step_id = flow.step.partition(":")
        if shown is not None:
            shown.add(flow.step)
        if kind == "question":
            flow.answer(gate if step_id == "gate" else flow.choices[0])
        else:
            flow.answer(fixes)
        screens.append(flow.html)
    screens.append(flow.get())  # the last screen as a page of its own, not a partial
    return screens


def test_the_hostile_guide_holds_every_payload_and_passes_the_validator(hostile: Guide) -> None:
    assert len(PAYLOADS) >= 30
    guide = hostile.current_version.data
    texts = [guide["guide"]["summary"]]
    for question in guide["question"]:
        texts += [question["prompt"], question["help"]]
        texts += [choice["label"] for choice in question["choice"]]
    for step in guide["fix"] + guide["outcome"]:
        texts += [step["title"], step.get("why", ""), step.get("note", ""), step.get("body", "")]
        texts.append("\n".join(step["steps"]))
    for text in filter(None, texts):
        assert all(payload in text for payload in PAYLOADS)
    titles = set(Guide.objects.values_list("title", flat=True))
    assert set(PAYLOADS) <= titles


@pytest.mark.parametrize("htmx", [False, True], ids=["forms", "htmx"])
@pytest.mark.parametrize(
    ("gate", "fixes", "ends_on"),
    [
        ("go", "not_fixed", "escalate"),
        ("go", "fixed", "resolved"),
        ("stop", "not_fixed", "not_applicable"),
    ],
)
def test_every_screen_of_the_hostile_guide_is_harmless(
    client: Client, hostile: Guide, htmx: bool, gate: str, fixes: str, ends_on: str
) -> None:
    flow = Flow(client, slug=SLUG, htmx=htmx)
    shown: set[str] = set()
    screens = walk(flow, gate=gate, fixes=fixes, shown=shown)
    if gate == "go":
        assert "question:gate" in shown
        assert any(step.startswith("fix:") for step in shown)
    for html in screens:
        assert problems_in(html) == []
    assert f"outcome--{ends_on}" in screens[-1]
    assert assert_harmless(client.get(flow.page))


def test_the_home_page_and_every_start_screen_are_harmless(client: Client, hostile: Guide) -> None:
    home = assert_harmless(client.get("/"))
    assert home.count(MARKER) >= len(PAYLOADS)  # every title is shown, as text
    for guide in Guide.objects.all():
        assert_harmless(client.get(f"/guides/{guide.slug}/"))


def test_staff_read_the_hostile_guide_and_its_diagnosis_safely(
    client: Client, hostile: Guide
) -> None:
    walk(Flow(client, slug=SLUG), gate="go", fixes="not_fixed")
    diagnosis = Diagnosis.objects.get(guide_version__guide=hostile)
    staff = Client()
    staff.force_login(User.objects.create_superuser("staff", "staff@example.com", password=None))
    pages = [
        "/admin/diagnostics/diagnosis/",
        f"/admin/diagnostics/diagnosis/{diagnosis.pk}/change/",
        "/admin/diagnostics/guide/",
        f"/admin/diagnostics/guide/{hostile.pk}/change/",
        f"/admin/diagnostics/guide/{hostile.pk}/report/",
        f"/admin/diagnostics/guideversion/{hostile.current_version_id}/change/",
        "/admin/diagnostics/fixattempt/",
    ]
    for address in pages:
        assert_harmless(staff.get(address))


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_hostile_guide_inside_another_sites_iframe_is_harmless(
    settings: Any, hostile: Guide, htmx: bool
) -> None:
    settings.HELPDESK_EMBED_ORIGINS = [EMBEDDER]
    frame = Iframe(htmx=htmx)
    address = f"/embed/guides/{SLUG}/"
    assert_harmless(frame.get(address))
    response = frame.post(f"{address}start/", {})
    kinds = set()
    while 'name="choice"' in frame.html:
        assert_harmless(response)
        kinds.add(frame.hidden()["step"].partition(":")[0])
        choice = re.findall(r'name="choice" value="([^"]*)"', frame.html)[0]
        choice = "not_fixed" if "not_fixed" in frame.html else choice
        response = frame.post(f"{address}answer/", {**frame.hidden(), "choice": choice})
    assert_harmless(response)
    assert "outcome--escalate" in frame.html
    assert kinds == {"question", "fix"}
