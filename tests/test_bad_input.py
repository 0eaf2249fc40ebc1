"""Bad input gets a clear 4xx page, never a 500, and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from diagnostics.models import Answer, Diagnosis, FixAttempt, Guide
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def snapshot() -> tuple:
    return (
        list(Diagnosis.objects.values_list("pk", "status", "last_step", "revision")),
        list(Answer.objects.values_list("pk", "question", "choice")),
        list(FixAttempt.objects.values_list("pk", "fix", "result")),
    )


@pytest.fixture
def midway(flow: Flow) -> Flow:
    flow.start()
    flow.answer("all_green")
    return flow


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    "url", ["/guides/no-such-guide/", "/guides/no-such-guide/answer/", "/nothing/here/"]
)
def test_unknown_guide_is_a_404_page(client: Client, guide: Guide, url: str, headers: dict) -> None:
    if url.endswith("answer/"):
        response = client.post(url, headers=headers)
    else:
        response = client.get(url, headers=headers)
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert (b"<html" in response.content) is not bool(headers)  # htmx gets a panel


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_choice_not_offered_is_a_400_and_changes_nothing(midway: Flow, headers: dict) -> None:
    before = snapshot()
    response = midway.client.post(
        "/guides/icloud-contacts/answer/", midway.form(choice="fixed"), headers=headers
    )
    assert response.status_code == 400
    assert b"isn&#x27;t one of the choices" in response.content
    assert (b"<html" in response.content) is not bool(headers)  # htmx gets the panel only
    assert snapshot() == before


def test_a_question_answer_posted_to_a_fix_is_rejected(midway: Flow, unsure: dict) -> None:
    midway.answer_questions(unsure)
    assert midway.step.startswith("fix:")
    before = snapshot()
    response = midway.client.post(
        "/guides/icloud-contacts/answer/", midway.form(choice="all_green")
    )
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"diagnosis": "not-a-uuid", "step": "question:account", "choice": "icloud"},
        {"diagnosis": "' OR 1=1 --", "step": "x", "choice": "y"},
        {"step": "question:account", "choice": "icloud"},
        {"diagnosis": str(uuid.uuid4()), "step": "q" * 500, "choice": "icloud"},
    ],
    ids=["empty", "bad-uuid", "injection", "no-diagnosis", "huge-step"],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_garbage_forms_are_a_400(midway: Flow, data: dict, headers: dict) -> None:
    before = snapshot()
    for action in ("answer", "back", "restart"):
        response = midway.client.post(f"/guides/icloud-contacts/{action}/", data, headers=headers)
        assert response.status_code == 400, action
    assert snapshot() == before


def test_a_tampered_step_id_is_treated_as_stale(midway: Flow) -> None:
    before = snapshot()
    response = midway.client.post(
        "/guides/icloud-contacts/answer/",
        midway.form(step="fix:reset_all_settings", choice="fixed"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert b"out of date" in response.content
    assert b'value="question:account"' in response.content
    assert snapshot() == before


@pytest.fixture
def at_an_earlier_step(midway: Flow) -> Flow:
    """Two more steps in (the account, then the restart, which comes before the other
    questions), then the browser's Back to step 2 (the account question)."""
    midway.answer("icloud")
    midway.answer("not_fixed")
    midway.get("/guides/icloud-contacts/step/2/")
    assert midway.step == "question:account"
    return midway


@pytest.mark.parametrize(
    "fields",
    [
        {"position": "0"},
        {"position": "-1"},
        {"position": "two"},
        {"position": "99999999"},
        {"position": ""},  # a revision without its position
        {"revision": ""},  # a position without its revision
        {"revision": "-3"},
        {"revision": "1e9"},
    ],
    ids=["zero", "negative", "word", "huge", "no-position", "no-revision", "neg-rev", "float"],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_garbled_earlier_step_form_is_a_400(
    at_an_earlier_step: Flow, fields: dict, headers: dict
) -> None:
    before = snapshot()
    response = at_an_earlier_step.client.post(
        "/guides/icloud-contacts/answer/",
        at_an_earlier_step.form(choice="on_my_iphone", **fields),
        headers=headers,
    )
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"position": "3"},  # another step's position for this step key
        {"position": "40"},  # beyond the current step
        {"step": "question:apple_status"},  # a step key that is not the one at position 2
        {"step": "fix:reset_all_settings", "choice": "fixed"},
    ],
    ids=["other-position", "beyond", "other-step", "made-up-step"],
)
def test_a_tampered_earlier_step_form_is_stale_and_changes_nothing(
    at_an_earlier_step: Flow, fields: dict
) -> None:
    before = snapshot()
    response = at_an_earlier_step.client.post(
        "/guides/icloud-contacts/answer/",
        at_an_earlier_step.form(**{"choice": "on_my_iphone", **fields}),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert b"out of date" in response.content
    assert b'value="question:contacts_sync"' in response.content  # the current step
    assert snapshot() == before


def test_an_earlier_step_form_with_a_choice_not_offered_is_a_400(at_an_earlier_step: Flow) -> None:
    before = snapshot()
    response = at_an_earlier_step.client.post(
        "/guides/icloud-contacts/answer/", at_an_earlier_step.form(choice="fixed")
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_an_earlier_step_form_for_another_browsers_diagnosis_is_a_403(
    at_an_earlier_step: Flow, guide: Guide
) -> None:
    other = Flow(Client()).start()
    other.answer("all_green")
    other.answer("icloud")
    before = snapshot()
    response = other.client.post(
        "/guides/icloud-contacts/answer/", at_an_earlier_step.form(choice="on_my_iphone")
    )
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("action", ["answer", "back", "restart"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_another_browsers_diagnosis_is_a_403(
    midway: Flow, guide: Guide, action: str, headers: dict
) -> None:
    other = Flow(Client()).start()
    before = snapshot()
    response = other.client.post(
        f"/guides/icloud-contacts/{action}/", midway.form(choice="icloud"), headers=headers
    )
    assert response.status_code == 403
    assert b"another browser" in response.content
    assert snapshot() == before


@pytest.mark.parametrize("action", ["answer", "back"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_expired_session_asks_to_start_again(midway: Flow, action: str, headers: dict) -> None:
    form = midway.form(choice="icloud")
    midway.client.cookies.clear()  # the session cookie is gone
    before = snapshot()
    response = midway.client.post(f"/guides/icloud-contacts/{action}/", form, headers=headers)
    assert response.status_code == 410
    assert b"Start again" in response.content
    assert snapshot() == before
    # Starting again works and the earlier diagnosis is still on record.
    fresh = Flow(midway.client).start()
    assert fresh.step == "question:apple_status"
    assert Diagnosis.objects.count() == 2


def test_a_missing_csrf_token_is_a_403_and_changes_nothing(guide: Guide) -> None:
    browser = Client(enforce_csrf_checks=True)
    flow = Flow(browser)
    flow.get()
    response = browser.post("/guides/icloud-contacts/start/")
    assert response.status_code == 403
    assert b"This page has expired" in response.content
    # "Reload and continue" leads back to the guide the form was for.
    assert b'href="/guides/icloud-contacts/">Reload and continue' in response.content
    assert not Diagnosis.objects.exists()


def test_a_stale_csrf_token_under_htmx_reloads_the_page(guide: Guide) -> None:
    browser = Client(enforce_csrf_checks=True)
    Flow(browser).get()
    response = browser.post("/guides/icloud-contacts/start/", headers=HTMX)
    assert response.status_code == 403
    assert response["HX-Refresh"] == "true"
    assert not Diagnosis.objects.exists()


def test_cookies_cleared_mid_flow_under_htmx_says_so(guide: Guide) -> None:
    """Reloading would quietly show the start screen; the panel says why instead."""
    browser = Client(enforce_csrf_checks=True)
    flow = Flow(browser, htmx=True)
    html = flow.get()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    flow.post("start", {"csrfmiddlewaretoken": token})
    form = {
        **flow.form(choice="all_green"),
        "csrfmiddlewaretoken": flow.field("csrfmiddlewaretoken"),
    }
    browser.cookies.clear()  # the person cleared their cookies

    response = browser.post("/guides/icloud-contacts/answer/", form, headers=HTMX)

    assert response.status_code == 403
    assert "HX-Refresh" not in response
    page = response.content.decode()
    assert "couldn&#x27;t find your progress" in page or "couldn't find your progress" in page
    assert 'href="/guides/icloud-contacts/">Start again' in page
    assert not Answer.objects.exists()


def test_an_invalid_csrf_token_is_a_403(guide: Guide) -> None:
    browser = Client(enforce_csrf_checks=True)
    Flow(browser).get()
    response = browser.post("/guides/icloud-contacts/start/", {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


def test_with_a_valid_csrf_token_the_flow_works(guide: Guide) -> None:
    browser = Client(enforce_csrf_checks=True)
    flow = Flow(browser)
    html = flow.get()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post("/guides/icloud-contacts/start/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert Diagnosis.objects.count() == 1


@pytest.mark.parametrize("action", ["start", "answer", "back", "restart"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_get_on_a_post_endpoint_is_a_405_page(
    client: Client, guide: Guide, action: str, htmx: bool
) -> None:
    """Opening a form's address (a pasted link, say) explains and points back."""
    response = client.get(f"/guides/icloud-contacts/{action}/", headers=HTMX if htmx else {})
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "only takes answers from the form" in page
    assert 'href="/guides/icloud-contacts/"' in page
    assert ("<html" in page) is not htmx  # htmx gets the panel alone
    assert not Diagnosis.objects.exists()


def test_get_on_a_post_endpoint_of_an_unknown_guide_is_a_404(client: Client, guide: Guide) -> None:
    assert client.get("/guides/no-such-guide/answer/").status_code == 404


def test_back_with_nothing_to_undo_changes_nothing(flow: Flow) -> None:
    flow.start()
    before = snapshot()
    response = flow.back()
    assert response.status_code == 303
    assert flow.step == "question:apple_status"
    assert snapshot() == before
