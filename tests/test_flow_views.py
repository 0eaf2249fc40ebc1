"""The flow through the views, as plain forms (post/redirect/get) and with htmx."""

from __future__ import annotations

import re
import time
from http.cookies import SimpleCookie
from unittest import mock

import pytest
from django.db import DatabaseError
from django.db.models import F
from django.test import Client

from diagnostics.flow import commands, errors, ownership
from diagnostics.flow.views import STALE_NOTICE
from diagnostics.models import Answer, Diagnosis, FixAttempt, Guide, guide_for_version
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

FIRST_QUESTION = "Is iCloud Contacts working on Apple's side right now?"


def test_home_lists_the_guides(client: Client, guide: Guide) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"iPhone contacts not backing up to iCloud" in response.content
    assert b'href="/guides/icloud-contacts/"' in response.content


def test_home_with_no_guides_loaded_says_so(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"No guides are published yet" in response.content


def test_guide_page_shows_a_start_screen_and_creates_nothing(client: Client, guide: Guide) -> None:
    response = client.get("/guides/icloud-contacts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html
    assert 'action="/guides/icloud-contacts/start/"' in html
    assert not Diagnosis.objects.exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_start_opens_a_diagnosis_at_the_first_question(
    client: Client, guide: Guide, htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx)
    flow.get()
    response = flow.post("start")
    assert response.status_code == (200 if htmx else 303)
    assert flow.heading.replace("&#x27;", "'") == FIRST_QUESTION
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.IN_PROGRESS
    assert diagnosis.last_step == "question:apple_status"
    assert client.session["diagnoses"] == {"icloud-contacts": str(diagnosis.pk)}


def test_starting_twice_resumes_instead_of_opening_another(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    flow.post("start")
    assert Diagnosis.objects.count() == 1
    assert flow.step == "question:account"


@pytest.mark.parametrize("htmx", [False, True])
def test_the_same_start_posted_twice_opens_one_diagnosis(
    client: Client, guide: Guide, htmx: bool
) -> None:
    first = Flow(client, htmx=htmx)
    first.get()
    ticket = first.field("ticket")
    cookies_of_the_start_page = SimpleCookie(client.cookies)
    first.post("start", {"ticket": ticket})
    # The second post of a double click left before the first's answer (and its
    # session cookie) arrived: same browser, same cookies as on the start page.
    second = Flow(Client(), htmx=htmx)
    second.client.cookies = cookies_of_the_start_page
    second.post("start", {"ticket": ticket})
    assert Diagnosis.objects.count() == 1
    assert second.diagnosis == first.diagnosis
    assert second.step == "question:apple_status"


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("ticket", ["tampered:ticket", "another-guide"])
def test_a_start_ticket_not_issued_for_this_guide_is_refused(
    client: Client, guide: Guide, htmx: bool, ticket: str
) -> None:
    if ticket == "another-guide":
        ticket = ownership.start_ticket(slug="another-guide")
    flow = Flow(client, htmx=htmx)
    flow.get()
    response = flow.post("start", {"ticket": ticket})
    assert response.status_code == 400
    assert "That didn" in response.content.decode()
    assert not Diagnosis.objects.exists()


def test_a_ticket_whose_diagnosis_moved_on_opens_a_fresh_one(client: Client, guide: Guide) -> None:
    """A spent ticket (an old start page, a copied page) never hands over a diagnosis."""
    first = Flow(client)
    first.get()
    ticket = first.field("ticket")
    first.post("start", {"ticket": ticket})
    first.answer("all_green")
    stranger = Flow(Client())
    stranger.post("start", {"ticket": ticket})
    assert stranger.diagnosis != first.diagnosis
    assert stranger.step == "question:apple_status"
    assert Diagnosis.objects.count() == 2


def test_an_expired_ticket_just_starts_afresh(flow: Flow) -> None:
    flow.get()
    ticket = flow.field("ticket")
    later = time.time() + ownership.START_TICKET_AGE + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = flow.post("start", {"ticket": ticket})
    assert response.status_code == 303
    assert flow.step == "question:apple_status"
    assert Diagnosis.objects.count() == 1


def test_a_start_page_from_before_tickets_still_starts(flow: Flow) -> None:
    flow.get()
    flow.post("start")  # no ticket field at all
    assert Diagnosis.objects.count() == 1
    assert flow.step == "question:apple_status"


def test_plain_post_redirects_and_htmx_post_returns_only_the_panel(
    client: Client, guide: Guide
) -> None:
    plain = Flow(client).start()
    response = plain.answer("all_green")
    assert response.status_code == 303
    assert response["Location"] == "/guides/icloud-contacts/step/2/"  # the next step's address

    htmx = Flow(client, htmx=True)
    htmx.get()
    response = htmx.answer("icloud")
    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/guides/icloud-contacts/step/3/"
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="panel"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    assert htmx.step == "fix:restart"  # first whatever the other answers, so before them


@pytest.mark.parametrize("htmx", [False, True])
def test_guide_page_varies_on_hx_request(client: Client, guide: Guide, htmx: bool) -> None:
    response = client.get(
        "/guides/icloud-contacts/", headers={"HX-Request": "true"} if htmx else {}
    )
    assert "HX-Request" in response["Vary"]
    assert (b"<html" in response.content) is not htmx
    assert b'id="panel"' in response.content


@pytest.mark.parametrize("htmx", [False, True])
def test_resolved_by_the_first_fix(
    client: Client, guide: Guide, unsure: dict[str, str], htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    for question in ["apple_status", "account"]:  # the gates
        assert flow.step == f"question:{question}"
        flow.answer(unsure[question])
    # The likeliest fix per minute whatever the other answers: tried before asking them.
    assert flow.step == "fix:restart"
    assert "Did this fix it?" in flow.html
    assert "<ol" in flow.html
    flow.answer("fixed")
    assert flow.heading  # the success screen
    assert 'class="outcome outcome--resolved"' in flow.html
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    assert diagnosis.last_step == "outcome:fixed"
    assert list(FixAttempt.objects.values_list("fix", "result")) == [("restart", "fixed")]


@pytest.mark.parametrize(
    ("contact", "link"),
    [
        ("help.example.com/contact", 'href="https://help.example.com/contact" rel="nofollow'),
        ("help@example.com", 'href="mailto:help@example.com"'),
    ],
)
def test_the_escalation_screen_links_to_support(
    flow: Flow, unsure: dict[str, str], settings: object, contact: str, link: str
) -> None:
    settings.HELPDESK_SUPPORT_CONTACT = contact
    flow.start()
    flow.walk(unsure)
    (shown,) = re.findall(r'<p class="contact">Contact support: (.*?)</p>', flow.html)
    assert link in shown
    assert ('target="_blank"' in shown) is contact.startswith("help.")  # web pages open apart


@pytest.mark.parametrize("htmx", [False, True])
def test_nothing_works_ends_in_escalation_with_the_story(
    client: Client, guide: Guide, unsure: dict[str, str], htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.walk(unsure, fixes="not_fixed")
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    assert diagnosis.support_code in flow.html
    assert "Summary for support" in flow.html
    # A printed copy says when, as well as what.
    assert f"<dt>Date</dt><dd>{diagnosis.updated:%-d %B %Y}</dd>" in flow.html
    tried = FixAttempt.objects.filter(diagnosis=diagnosis)
    assert tried.count() >= 8
    for attempt in tried:
        title = guide_for_version(guide.current_version_id).fix(attempt.fix).title
        assert title.replace("'", "&#x27;") in flow.html


def test_cannot_do_a_step_moves_on_and_is_reported(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    flow.walk(unsure, fixes="cannot")
    assert "couldn't do this step" in flow.html
    assert set(FixAttempt.objects.values_list("result", flat=True)) == {"cannot"}


def test_not_applicable_outcome(flow: Flow) -> None:
    flow.start()
    flow.answer("outage")
    assert 'class="outcome outcome--not_applicable"' in flow.html
    assert Diagnosis.objects.get().status == Diagnosis.Status.RESOLVED
    assert "Did this fix it?" not in flow.html


@pytest.mark.parametrize("htmx", [False, True])
def test_back_undoes_the_last_answer(client: Client, guide: Guide, htmx: bool) -> None:
    flow = Flow(client, htmx=htmx).start()
    assert "Back</button>" not in flow.html  # nothing to undo yet
    flow.answer("all_green")
    flow.answer("icloud")
    assert flow.step == "fix:restart"
    flow.back()
    assert flow.step == "question:account"
    assert list(Answer.objects.values_list("question", flat=True)) == ["apple_status"]
    flow.answer("not_sure")
    assert list(Answer.objects.values_list("question", "choice")) == [
        ("apple_status", "all_green"),
        ("account", "not_sure"),
    ]


def _rows(diagnosis: Diagnosis) -> list[list[str]]:
    """The Answer and FixAttempt rows of ``diagnosis`` as journal entries, in order."""
    rows = [(a.position, ["question", a.question, a.choice]) for a in diagnosis.answers.all()]
    rows += [(f.position, ["fix", f.fix, f.result]) for f in diagnosis.attempts.all()]
    return [entry for _, entry in sorted(rows)]


def test_the_journal_always_matches_the_rows(flow: Flow, unsure: dict[str, str]) -> None:
    """The step is worked out from Diagnosis.journal; the transcript and reports read
    the rows. Through answers, fix results and going back, they never disagree."""
    flow.start()
    flow.answer_questions(unsure)
    flow.answer("not_fixed")
    flow.answer_questions(unsure)  # a question between the fixes
    flow.answer("cannot")
    flow.back()
    flow.answer("not_fixed")
    flow.back()
    flow.back()
    flow.back()
    flow.back()  # back into the questions
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.journal == _rows(diagnosis)
    assert diagnosis.journal[-1][0] == "question"
    assert flow.step.startswith("question:")
    flow.walk(unsure)
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    assert diagnosis.journal == _rows(diagnosis)
    assert [kind for kind, _, _ in diagnosis.journal].count("fix") == FixAttempt.objects.count()


def test_back_from_fixed_reopens_the_diagnosis(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    flow.answer_questions(unsure)
    fix = flow.step
    flow.answer("fixed")  # tapped by mistake
    assert Diagnosis.objects.get().status == Diagnosis.Status.RESOLVED
    flow.back()
    assert flow.step == fix
    assert Diagnosis.objects.get().status == Diagnosis.Status.IN_PROGRESS


@pytest.mark.parametrize("htmx", [False, True])
def test_an_escalation_keeps_its_story_once_the_code_is_shown(
    client: Client, guide: Guide, unsure: dict[str, str], htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.walk(unsure)  # every fix fails: escalated, support code shown
    before = Diagnosis.objects.get()
    assert before.status == Diagnosis.Status.ESCALATED
    assert 'action="/guides/icloud-contacts/back/"' not in flow.html  # no Back button

    response = flow.back()  # posted anyway: an old tab, or a crafted form

    assert response.status_code == (200 if htmx else 303)
    after = Diagnosis.objects.get()
    assert (after.status, after.journal, after.revision) == (
        Diagnosis.Status.ESCALATED,
        before.journal,
        before.revision,
    )
    assert Answer.objects.count() + FixAttempt.objects.count() == len(before.journal)


@pytest.mark.parametrize("htmx", [False, True])
def test_start_over_abandons_and_begins_again(client: Client, guide: Guide, htmx: bool) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.answer("all_green")
    old = flow.diagnosis
    flow.restart()
    assert flow.step == "question:apple_status"
    assert flow.diagnosis != old
    assert Diagnosis.objects.get(pk=old).status == Diagnosis.Status.ABANDONED
    assert Answer.objects.filter(diagnosis_id=old).count() == 1  # the old story is kept


@pytest.mark.parametrize("htmx", [False, True])
def test_start_over_half_way_asks_first_and_changes_nothing(
    client: Client, guide: Guide, htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.answer("all_green")
    flow.answer("icloud")

    response = flow.restart(confirm=False)

    assert response.status_code == 200
    assert "Start over from the first question?" in flow.html
    assert ("<html" in flow.html) is not htmx  # htmx gets the panel alone
    assert Diagnosis.objects.get().status == Diagnosis.Status.IN_PROGRESS
    assert Answer.objects.count() == 2
    # "No, keep my answers" goes back to the same step.
    (keep,) = re.findall(r'href="([^"]*)"[^>]*>No, keep my answers', flow.html)
    assert keep == "/guides/icloud-contacts/step/3/"  # the step's own address
    flow.get(keep)
    assert flow.step == "fix:restart"
    # "Yes, start over" posts the same form with confirm.
    assert (
        'name="confirm" value="on"'
        in client.post(
            "/guides/icloud-contacts/restart/", flow.form(), headers=flow.headers
        ).content.decode()
    )
    flow.restart()
    assert flow.step == "question:apple_status"
    assert Diagnosis.objects.filter(status=Diagnosis.Status.ABANDONED).count() == 1


def test_start_over_at_the_first_question_keeps_the_diagnosis(flow: Flow) -> None:
    flow.start()
    first = Diagnosis.objects.get()
    flow.restart(confirm=False)  # nothing answered, nothing to lose, nothing to ask
    assert flow.step == "question:apple_status"
    assert flow.diagnosis == str(first.pk)
    # Not left behind as one more "gave up at the first question".
    assert list(Diagnosis.objects.values_list("status", flat=True)) == ["in_progress"]


def test_the_first_question_offers_no_start_over_until_something_is_answered(
    flow: Flow,
) -> None:
    # Start over there would change nothing: a button that does nothing only worries.
    flow.start()
    assert "Start over" not in flow.html
    assert 'aria-label="Diagnosis"' not in flow.html  # no empty bar of buttons either
    flow.answer("all_green")
    assert "Start over" in flow.html
    flow.back()
    assert flow.step == "question:apple_status"
    assert "Start over" not in flow.html


def test_start_over_after_finishing_keeps_the_outcome(flow: Flow) -> None:
    flow.start()
    flow.answer("outage")
    old = flow.diagnosis
    flow.restart(confirm=False)  # after an outcome nothing is lost: no question asked
    assert flow.step == "question:apple_status"
    assert Diagnosis.objects.get(pk=old).status == Diagnosis.Status.RESOLVED


def test_reload_and_coming_back_resume_at_the_same_step(client: Client, guide: Guide) -> None:
    flow = Flow(client).start()
    flow.answer("all_green")
    flow.answer("icloud")
    again = Flow(client)  # a new page load in the same browser
    again.get()
    assert again.step == "fix:restart"
    assert again.diagnosis == flow.diagnosis


def test_the_same_answer_posted_twice_is_recorded_once(flow: Flow) -> None:
    flow.start()
    form = flow.form(choice="all_green")
    first = flow.client.post("/guides/icloud-contacts/answer/", form)
    second = flow.client.post("/guides/icloud-contacts/answer/", form)
    assert first.status_code == second.status_code == 303
    assert Answer.objects.count() == 1
    flow.get()
    assert flow.step == "question:account"
    assert "out of date" in flow.html  # the stale post is explained


def test_an_old_tab_cannot_skip_a_step(client: Client, guide: Guide) -> None:
    flow = Flow(client).start()
    old_tab = flow.form(choice="cannot_check")
    flow.answer("all_green")
    flow.answer("icloud")
    response = client.post(
        "/guides/icloud-contacts/answer/", old_tab, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"out of date" in response.content
    assert b'value="fix:restart"' in response.content
    assert list(Answer.objects.values_list("choice", flat=True)) == ["all_green", "icloud"]


def test_a_double_click_on_a_fix_result_counts_once(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    flow.answer_questions(unsure)
    form = flow.form(choice="not_fixed")
    flow.client.post("/guides/icloud-contacts/answer/", form)
    flow.client.post("/guides/icloud-contacts/answer/", form)
    assert list(FixAttempt.objects.values_list("fix", flat=True)) == ["restart"]


def test_a_form_from_an_earlier_diagnosis_shows_the_current_one(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    old_form = flow.form(choice="icloud")
    flow.restart()
    response = flow.client.post("/guides/icloud-contacts/answer/", old_form)
    assert response.status_code == 303
    assert Answer.objects.count() == 1  # the first diagnosis's answer, nothing added


def test_rows_written_without_the_journal_are_repaired_not_stuck(flow: Flow) -> None:
    """During an upgrade a worker of the older release stores rows but no journal.

    The next post clashes with that row: it stores nothing, the journal is
    rebuilt from the rows, and the person is shown where they really are.
    """
    flow.start()
    diagnosis = Diagnosis.objects.get()
    Answer.objects.create(
        diagnosis=diagnosis, position=1, question="apple_status", choice="all_green"
    )
    Diagnosis.objects.filter(pk=diagnosis.pk).update(revision=F("revision") + 1)  # no journal

    response = flow.answer("outage")  # the page still showed the first question

    assert response.status_code in (200, 303)
    assert "out of date" in flow.html  # the stale-step notice
    assert flow.step == "question:account"  # the step after the stored answer
    diagnosis.refresh_from_db()
    assert diagnosis.journal == [["question", "apple_status", "all_green"]]
    assert diagnosis.last_step == "question:account"
    flow.answer("icloud")  # and the flow carries on from there
    diagnosis.refresh_from_db()
    assert diagnosis.journal == _rows(diagnosis)
    assert list(Answer.objects.values_list("choice", flat=True)) == ["all_green", "icloud"]


def test_going_back_over_a_missing_row_repairs_the_journal(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    flow.answer("icloud")
    diagnosis = Diagnosis.objects.get()
    Answer.objects.filter(position=2).delete()  # the journal now names a row that is gone

    flow.back()

    diagnosis.refresh_from_db()
    assert diagnosis.journal == [["question", "apple_status", "all_green"]]
    assert diagnosis.journal == _rows(diagnosis)
    assert flow.step == "question:account"
    assert Answer.objects.count() == 1


def test_a_failed_write_leaves_the_diagnosis_as_it_was(flow: Flow) -> None:
    """The move and its row are one transaction: if the row cannot be stored, nothing moves."""
    flow.start()
    before = Diagnosis.objects.get()
    state = commands.load_state(diagnosis=before)
    with (
        mock.patch.object(Answer, "save", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        commands.answer_step(
            state=state, step_key="question:apple_status", choice="all_green", network="n"
        )
    after = Diagnosis.objects.get()
    assert (after.revision, after.journal, after.last_step) == (
        before.revision,
        before.journal,
        before.last_step,
    )
    assert state.diagnosis.revision == before.revision  # nor in memory
    assert state.diagnosis.journal == []
    assert not Answer.objects.exists()


def test_start_over_posted_twice_starts_over_once(flow: Flow) -> None:
    flow.start()
    flow.answer("all_green")
    form = {**flow.form(), "confirm": "on"}  # "Yes, start over", double-clicked
    first = flow.client.post("/guides/icloud-contacts/restart/", form)
    second = flow.client.post("/guides/icloud-contacts/restart/", form)
    assert first.status_code == second.status_code == 303
    assert sorted(Diagnosis.objects.values_list("status", flat=True)) == [
        "abandoned",
        "in_progress",
    ]


def test_two_start_overs_racing_open_one_new_diagnosis(flow: Flow, guide: Guide) -> None:
    flow.start()
    flow.answer("all_green")
    session = flow.client.session
    # Both requests read the diagnosis before either wrote.
    winner, loser = (commands.load_state(diagnosis=Diagnosis.objects.get()) for _ in range(2))
    commands.start_over(
        session=session,
        state=winner,
        guide=guide,
        step_key=winner.step_key,
        confirmed=True,
        network="n",
    )
    with pytest.raises(errors.StaleStep):
        commands.start_over(
            session=session,
            state=loser,
            guide=guide,
            step_key=loser.step_key,
            confirmed=True,
            network="n",
        )
    assert sorted(Diagnosis.objects.values_list("status", flat=True)) == [
        "abandoned",
        "in_progress",
    ]


@pytest.mark.parametrize("htmx", [False, True])
def test_start_over_from_an_old_tab_changes_nothing(
    client: Client, guide: Guide, htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    flow.answer("all_green")
    old_tab = {**flow.form(), "confirm": "on"}  # "Yes, start over" at question 2
    flow.answer("icloud")  # meanwhile, another tab moved on

    response = client.post("/guides/icloud-contacts/restart/", old_tab, headers=flow.headers)

    assert response.status_code == (200 if htmx else 303)
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.IN_PROGRESS
    assert diagnosis.last_step == "fix:restart"
    assert Answer.objects.count() == 2
    shown = response.content.decode() if htmx else flow.get()  # the redirect's page
    assert STALE_NOTICE in shown.replace("&#x27;", "'")


def test_web_addresses_in_the_guide_are_links(flow: Flow, unsure: dict[str, str]) -> None:
    """On a phone, "apple.com/support/systemstatus" is tapped, not typed."""
    flow.start()
    assert 'href="https://apple.com/support/systemstatus"' in flow.html
    flow.answer("all_green")
    flow.answer("icloud")
    assert 'href="https://icloud.com"' in flow.html


@pytest.mark.parametrize("url", ["/", "/guides/icloud-contacts/"])
def test_pages_answer_head_requests(client: Client, guide: Guide, url: str) -> None:
    """Uptime monitors and link checkers ask with HEAD."""
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""
