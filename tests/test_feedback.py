"""Every end screen asks "Was this helpful?": one answer per diagnosis, comment optional."""

from __future__ import annotations

import pytest
from django.test import Client

from diagnostics.models import Feedback
from tests.conftest import Flow
from tests.test_embed import EMBEDDER, Iframe

pytestmark = pytest.mark.django_db

FEEDBACK = "/guides/icloud-contacts/feedback/"


@pytest.fixture
def ended(flow: Flow) -> Flow:
    """An end screen reached in one answer: Apple reports an outage."""
    flow.start()
    flow.answer("outage")
    assert flow.step.startswith("outcome:")
    return flow


def test_every_kind_of_end_screen_asks(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    flow.answer("outage")  # an explaining outcome
    assert "Was this helpful?" in flow.html
    flow.restart()
    flow.answer_questions(unsure)
    flow.answer("fixed")  # a fix worked
    assert flow.step == "outcome:fixed"
    assert "Was this helpful?" in flow.html
    flow.restart()
    flow.walk(unsure)  # nothing worked
    assert flow.step == "outcome:escalate"
    assert "Was this helpful?" in flow.html


def test_questions_and_fixes_do_not_ask(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    assert "Was this helpful?" not in flow.html
    flow.answer_questions(unsure)
    assert "Was this helpful?" not in flow.html


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("choice", "helpful"), [("yes", True), ("no", False)])
def test_an_answer_is_stored_with_its_comment(
    client: Client, guide: object, htmx: bool, choice: str, helpful: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.answer("outage")
    response = flow.post("feedback", flow.form(helpful=choice, comment="  Quick, thanks  "))
    assert response.status_code == (200 if htmx else 303)
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.comment) == (helpful, "Quick, thanks")
    assert "Thanks for your feedback" in flow.html
    assert "Was this helpful?" not in flow.html


def test_the_comment_is_optional(ended: Flow) -> None:
    ended.post("feedback", ended.form(helpful="yes"))
    assert Feedback.objects.get().comment == ""


def test_a_second_answer_is_friendly_and_stores_no_second_row(ended: Flow) -> None:
    form = ended.form(helpful="yes")
    ended.post("feedback", form)
    response = ended.client.post(FEEDBACK, {**form, "helpful": "no"}, follow=True)
    assert response.status_code == 200
    assert "We already have your answer to this" in response.content.decode()
    assert list(Feedback.objects.values_list("helpful", flat=True)) == [True]


def test_a_long_comment_is_a_400_that_keeps_it(ended: Flow) -> None:
    response = ended.post("feedback", ended.form(helpful="no", comment="z" * 1001))
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 1000 characters" in html
    assert "z" * 1001 in html
    assert Feedback.objects.count() == 0


def test_html_in_a_comment_is_not_kept(ended: Flow) -> None:
    ended.post("feedback", ended.form(helpful="no", comment="<b>bad</b><script>x()</script>"))
    assert Feedback.objects.get().comment == "badx()"


@pytest.mark.parametrize(
    "overrides",
    [{"helpful": "maybe"}, {"helpful": ""}, {"diagnosis": "nope"}, {"step": ""}],
    ids=["unknown-answer", "no-answer", "bad-uuid", "no-step"],
)
def test_tampered_posts_are_a_400_and_store_nothing(ended: Flow, overrides: dict) -> None:
    response = ended.client.post(FEEDBACK, {**ended.form(helpful="yes"), **overrides})
    assert response.status_code == 400
    assert Feedback.objects.count() == 0


def test_feedback_before_the_end_is_refused(flow: Flow) -> None:
    flow.start()
    response = flow.post("feedback", flow.form(helpful="yes"))
    assert response.status_code == 409
    assert Feedback.objects.count() == 0


def test_another_browser_cannot_answer_for_my_diagnosis(ended: Flow, guide: object) -> None:
    stranger = Flow(Client()).start()
    response = stranger.client.post(FEEDBACK, ended.form(helpful="no"))
    assert response.status_code == 403
    assert Feedback.objects.count() == 0


def test_feedback_works_in_the_embed_without_cookies(settings: object, guide: object) -> None:
    settings.HELPDESK_EMBED_ORIGINS = [EMBEDDER]
    frame = Iframe()
    frame.get("/embed/guides/icloud-contacts/")
    frame.post("/embed/guides/icloud-contacts/start/", {})
    frame.answer("outage")
    assert 'action="/embed/guides/icloud-contacts/feedback/"' in frame.html
    frame.post("/embed/guides/icloud-contacts/feedback/", {**frame.hidden(), "helpful": "yes"})
    assert Feedback.objects.get().helpful is True
    assert "Thanks for your feedback" in frame.html
