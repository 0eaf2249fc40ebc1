"""Fuzzing the step endpoints with Hypothesis: whatever is posted, never a 5xx.

The posts mix valid values (this browser's diagnosis, real step keys and
choices) with arbitrary text, bytes and content types, so the fuzz reaches
deep into the flow as well as its input parsing. The diagnosis moves on as
valid answers land, so later examples start from different steps.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics.models import Guide
from tests.conftest import SLUG, Flow

pytestmark = pytest.mark.django_db

ENDPOINTS = ["answer", "back", "restart", "start"]
STEP_KEYS = [
    "question:apple_status",
    "question:account",
    "question:storage",
    "fix:date_time",
    "fix:sign_out_in",
    "outcome:fixed",
    "outcome:escalate",
]
CHOICES = ["all_green", "outage", "icloud", "not_sure", "fixed", "not_fixed", "cannot"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=bogus",
    "multipart/form-data",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data; boundary=",
    "application/json",
    "text/plain",
    "",
]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example database written into the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def started(guide: Guide) -> Flow:
    """A browser part-way into a diagnosis; its client never raises, it answers."""
    flow = Flow(Client(raise_request_exception=False))
    flow.start()
    flow.answer(flow.choices[0])
    return flow


def current(flow: Flow) -> dict[str, str]:
    """This browser's diagnosis and step now (they move as the fuzz answers)."""
    page = flow.client.get(flow.url).content.decode()
    flow.html = page
    if 'name="diagnosis"' not in page:
        return {"diagnosis": str(uuid.uuid4()), "step": "question:apple_status"}
    return {"diagnosis": flow.diagnosis, "step": flow.step}


def value(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        valid,
        st.text(max_size=200),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
        st.sampled_from(["", " ", "\x00", "%", "%FF", "&", "=", "\ufffd", "null", "[]", "0"]),
    )


field_names = st.sampled_from(
    ["diagnosis", "step", "choice", "csrfmiddlewaretoken", "d"]
) | st.text(max_size=20)


@FUZZ
@given(data=st.data())
def test_form_posts_never_get_a_5xx(started: Flow, data: st.DataObject) -> None:
    live = current(started)
    form = {
        "diagnosis": data.draw(value(st.sampled_from([live["diagnosis"], str(uuid.uuid4())]))),
        "step": data.draw(value(st.sampled_from([live["step"], *STEP_KEYS]))),
        "choice": data.draw(value(st.sampled_from(CHOICES))),
    }
    for name in data.draw(st.lists(st.sampled_from(list(form)), max_size=3, unique=True)):
        del form[name]
    form.update(data.draw(st.dictionaries(field_names, st.text(max_size=50), max_size=3)))
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    htmx = data.draw(st.booleans())
    response = started.client.post(
        f"/guides/{SLUG}/{endpoint}/", form, headers={"HX-Request": "true"} if htmx else {}
    )
    assert response.status_code < 500, (endpoint, form, response.content[:500])


@FUZZ
@given(data=st.data())
def test_raw_bodies_never_get_a_5xx(started: Flow, data: st.DataObject) -> None:
    live = current(started)
    body = data.draw(
        st.one_of(
            st.binary(max_size=300),
            st.builds(
                lambda extra, choice: (urlencode({**live, "choice": choice}) + extra).encode(),
                st.text(max_size=40),
                st.text(max_size=20),
            ),
            st.builds(
                lambda raw: urlencode(live).encode() + b"&choice=" + raw,
                st.binary(max_size=20),
            ),
        )
    )
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    response = started.client.generic(
        "POST", f"/guides/{SLUG}/{endpoint}/", body, content_type=content_type
    )
    assert response.status_code < 500, (endpoint, content_type, body[:200])


@pytest.fixture
def csrf_client(guide: Guide) -> Client:
    """A browser with CSRF checks on, as a real one meets them, holding a CSRF cookie."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(f"/guides/{SLUG}/")
    return client


@FUZZ
@given(data=st.data())
def test_with_csrf_checks_on_still_no_5xx(csrf_client: Client, data: st.DataObject) -> None:
    """CSRF checks run before the views and read the body too."""
    body = data.draw(st.binary(max_size=300))
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    url = f"/guides/{SLUG}/{endpoint}/"
    response = csrf_client.generic("POST", url, body, content_type=content_type)
    assert response.status_code < 500, (endpoint, content_type, body[:200])
