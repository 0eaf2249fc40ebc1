"""The Content Security Policy: only our own files run, and every page still works under it.

A browser enforcing the policy would block inline scripts, inline event
handlers, ``style`` attributes, ``javascript:`` links and anything from other
origins. So each page is checked for all of those, including the Django admin.
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client

from diagnostics.models import Diagnosis
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
ASSET = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="([^"]+)\"""")


def policy(response: HttpResponse) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_runs_under_the_policy(response: HttpResponse) -> None:
    assert response.status_code < 500
    html = response.content.decode()
    assert "Content-Security-Policy" in response
    assert not INLINE_SCRIPT.findall(html), "inline <script> would be blocked"
    assert not EVENT_HANDLER.findall(html), "inline event handler would be blocked"
    assert not STYLE_ATTRIBUTE.findall(html), "style attribute would be blocked"
    assert "javascript:" not in html
    for url in ASSET.findall(html):
        assert not re.match(r"^(https?:)?//", url), f"{url} is not from our own origin"


def test_the_policy_allows_only_our_own_origin(client: Client) -> None:
    found = policy(client.get("/"))
    assert found["default-src"] == ["'self'"]
    assert found["script-src"] == ["'self'"]
    assert found["style-src"] == ["'self'"]
    assert found["frame-ancestors"] == ["'none'"]
    assert found["object-src"] == ["'none'"]
    assert found["base-uri"] == ["'none'"]
    everything = " ".join(v for values in found.values() for v in values)
    assert "'unsafe-inline'" not in everything
    assert "'unsafe-eval'" not in everything
    assert "*" not in everything


def test_every_step_of_a_diagnosis_runs_under_the_policy(
    flow: Flow, unsure: dict[str, str]
) -> None:
    assert_runs_under_the_policy(flow.client.get("/"))
    flow.start()
    assert_runs_under_the_policy(flow.client.get(flow.url))
    flow.walk(unsure)  # through every question and every fix, to the outcome
    assert_runs_under_the_policy(flow.client.get(flow.url))
    assert 'name="choice"' not in flow.html


def test_htmx_panels_carry_the_policy(htmx_flow: Flow) -> None:
    htmx_flow.start()
    response = htmx_flow.answer(htmx_flow.choices[0])
    assert response.status_code == 200
    assert_runs_under_the_policy(response)


def test_error_pages_run_under_the_policy(client: Client) -> None:
    assert_runs_under_the_policy(client.get("/no-such-page/"))
    response = client.post("/guides/icloud-contacts/answer/", {"diagnosis": "x"})
    assert response.status_code in (400, 404)
    assert_runs_under_the_policy(response)


def test_the_admin_works_under_the_policy(admin_client: Client, flow: Flow) -> None:
    flow.start()
    flow.answer(flow.choices[0])
    diagnosis = Diagnosis.objects.get()
    pages = [
        "/admin/",
        "/admin/diagnostics/",
        "/admin/diagnostics/diagnosis/",
        f"/admin/diagnostics/diagnosis/{diagnosis.pk}/change/",
        "/admin/diagnostics/guide/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert_runs_under_the_policy(response)


def test_the_admin_login_page_runs_under_the_policy(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_runs_under_the_policy(response)
