"""Each step has its own address; an earlier one is shown as it was and can be answered again.

The browser's Back and Forward move between these addresses. Opening an
earlier step changes nothing; answering it again replaces the answers after
it, guarded like the in-page Back: a page from an older revision changes
nothing.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from diagnostics.flow import commands
from diagnostics.flow.errors import StaleStep
from diagnostics.models import Answer, Diagnosis, FixAttempt, Guide
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

GUIDE = "/guides/icloud-contacts/"
EARLIER = "You're back at an earlier step."
STALE = "That page was out of date, so nothing was changed."
HTMX = {"HX-Request": "true"}


def step(position: int) -> str:
    return f"{GUIDE}step/{position}/"


def stored() -> list[list[str]]:
    """The Answer and FixAttempt rows, in order, as journal entries."""
    rows = [(a.position, ["question", a.question, a.choice]) for a in Answer.objects.all()] + [
        (f.position, ["fix", f.fix, f.result]) for f in FixAttempt.objects.all()
    ]
    positions = [position for position, _ in sorted(rows)]
    assert positions == list(range(1, len(rows) + 1)), "rows are numbered 1, 2, 3... in order"
    return [entry for _, entry in sorted(rows)]


def snapshot() -> tuple:
    return (
        list(Diagnosis.objects.values_list("pk", "status", "last_step", "revision", "journal")),
        stored(),
    )


def progress(html: str) -> str:
    match = re.search(r'class="progress__label">([^<]*)<', html)
    assert match
    return match.group(1)


@pytest.fixture
def four_in(flow: Flow) -> Flow:
    """Two questions answered and the restart failed (it comes before the other
    questions): contacts_sync is current, at step 4."""
    flow.start()
    for choice in ("all_green", "icloud", "not_fixed"):
        flow.answer(choice)
    assert flow.step == "question:contacts_sync"
    return flow


def test_every_step_the_person_reaches_has_its_own_address(flow: Flow) -> None:
    assert Client().get(GUIDE).status_code == 200  # no diagnosis: the start screen
    flow.start()
    assert flow.page == step(1)
    response = flow.answer("all_green")
    assert response["Location"] == step(2)  # post/redirect/get lands on the new step's address
    # The guide's own address leads on to the current step's.
    response = flow.client.get(GUIDE)
    assert (response.status_code, response["Location"]) == (302, step(2))
    assert "no-store" in response["Cache-Control"]
    current = flow.client.get(step(2))
    assert current.status_code == 200
    assert "no-store" in current["Cache-Control"]
    assert EARLIER not in current.content.decode()


def test_htmx_pushes_each_new_steps_address_and_replaces_the_spent_start_screen(
    htmx_flow: Flow,
) -> None:
    htmx_flow.get()
    started = htmx_flow.post("start", {"ticket": htmx_flow.field("ticket")})
    assert started["HX-Replace-Url"] == step(1)  # Back from step 1 leaves the guide
    assert "HX-Push-Url" not in started
    answered = htmx_flow.answer("all_green")
    assert answered["HX-Push-Url"] == step(2)
    went_back = htmx_flow.back()
    assert went_back["HX-Push-Url"] == step(1)
    # A stale post moves nothing, so it adds no history entry either.
    stale = htmx_flow.client.post(
        f"{GUIDE}answer/",
        {"diagnosis": htmx_flow.diagnosis, "step": "question:account", "choice": "icloud"},
        headers=HTMX,
    )
    assert STALE in stale.content.decode()
    assert stale["HX-Replace-Url"] == step(1)
    assert "HX-Push-Url" not in stale


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_earlier_step_is_shown_as_it_was_and_changes_nothing(four_in: Flow, htmx: bool) -> None:
    before = snapshot()
    html = four_in.client.get(step(2), headers=HTMX if htmx else {}).content.decode()
    assert (b"<html" in html.encode()) is not htmx
    assert "account" in re.search(r'name="step" value="([^"]*)"', html).group(1)
    assert EARLIER in html
    assert progress(html) == "Question 2 of 6"
    assert 'name="position" value="2"' in html
    assert f'name="revision" value="{Diagnosis.objects.get().revision}"' in html
    # Its own Back leads to the step before; another link to the latest step.
    assert f'href="{step(1)}"' in html
    assert f'href="{step(4)}">Latest step' in html
    assert 'action="/guides/icloud-contacts/restart/"' not in html  # from the latest step only
    assert snapshot() == before


def test_an_earlier_fix_shows_its_own_progress(flow: Flow, unsure: dict[str, str]) -> None:
    flow.start()
    flow.answer_questions(unsure)
    first_fix = flow.step
    for _ in range(2):  # questions come between the fixes
        flow.answer("not_fixed")
        flow.answer_questions(unsure)
    current = progress(flow.html)
    assert current.startswith("Fix 3 of up to ")
    flow.get(step(3))  # two questions (the gates), then the first fix
    assert flow.step == first_fix
    # Of up to as many fixes as applied then: fewer questions were answered by then.
    assert progress(flow.html) == "Fix 1 of up to 7"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_answering_an_earlier_step_again_replaces_the_answers_after_it(
    client: Client, guide: Guide, htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx).start()
    for choice in ("all_green", "icloud", "not_fixed"):
        flow.answer(choice)
    flow.get(step(2))
    assert flow.step == "question:account"

    response = flow.answer("on_my_iphone")

    assert stored() == [
        ["question", "apple_status", "all_green"],
        ["question", "account", "on_my_iphone"],
    ]
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.journal == stored()
    assert diagnosis.last_step == flow.step == "question:contacts_sync"
    assert EARLIER not in flow.html
    assert STALE not in flow.html
    if htmx:
        assert response["HX-Push-Url"] == step(3)  # a new history entry for the new step
    else:
        assert response["Location"] == step(3)
    # From here on it is the ordinary flow again.
    flow.answer("on")
    assert flow.step == "fix:move_on_my_iphone"
    assert len(stored()) == 3


def test_answering_a_question_again_from_the_fixes_drops_the_fix_results(
    flow: Flow, unsure: dict[str, str]
) -> None:
    flow.start()
    flow.answer_questions(unsure)  # the gates; then the restart comes first
    flow.answer("not_fixed")
    flow.answer_questions(unsure)  # contacts_sync
    flow.answer("cannot")
    assert FixAttempt.objects.count() == 2

    flow.get(step(2))  # account
    assert flow.step == "question:account"
    flow.answer("icloud")

    assert FixAttempt.objects.count() == 0
    assert [entry[1] for entry in stored()] == ["apple_status", "account"]
    assert Diagnosis.objects.get().journal == stored()
    assert flow.step == "fix:restart"


def test_answering_an_earlier_fix_again_keeps_the_questions(
    flow: Flow, unsure: dict[str, str]
) -> None:
    flow.start()
    flow.answer_questions(unsure)
    questions = Answer.objects.count()  # the gates, before the first fix
    for result in ("cannot", "not_fixed", "not_fixed"):  # questions come between them
        flow.answer(result)
        flow.answer_questions(unsure)

    flow.get(step(questions + 1))  # the first fix
    first_fix = flow.step
    flow.answer("fixed")

    assert Answer.objects.count() == questions
    assert list(FixAttempt.objects.values_list("fix", "result")) == [
        (first_fix.partition(":")[2], "fixed")
    ]
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.journal == stored()
    assert diagnosis.status == Diagnosis.Status.RESOLVED


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_earlier_step_from_an_older_revision_changes_nothing(
    client: Client, guide: Guide, htmx: bool
) -> None:
    """Shown before another tab moved on: the same step, but the answers after it differ."""
    flow = Flow(client, htmx=htmx).start()
    for choice in ("all_green", "icloud", "not_fixed"):
        flow.answer(choice)
    flow.get(step(2))
    earlier_page = flow.html
    other_tab = Flow(client, htmx=htmx)
    other_tab.get()
    other_tab.answer("on")  # contacts_sync, at step 4: the step at position 2 is unchanged
    before = snapshot()

    flow.html = earlier_page
    response = flow.answer("on_my_iphone")

    assert response.status_code in (200, 303)
    assert snapshot() == before
    assert STALE in flow.html
    assert flow.step == "fix:toggle_contacts_sync"  # the step the diagnosis is really on
    if htmx:
        assert response["HX-Replace-Url"] == step(5)


def test_an_earlier_step_from_before_an_in_page_back_changes_nothing(four_in: Flow) -> None:
    """The earlier step became the current one meanwhile; the page is still out of date."""
    four_in.get(step(3))
    earlier_page = four_in.html
    four_in.get()
    four_in.back()  # now at step 3, the restart, at a new revision
    before = snapshot()

    four_in.html = earlier_page
    four_in.answer("fixed")

    assert snapshot() == before
    assert STALE in four_in.html


def test_addresses_beyond_the_current_step_lead_to_it(four_in: Flow) -> None:
    before = snapshot()
    for position in (5, 6, 99, 0, 10**30):
        response = four_in.client.get(step(position))
        assert (response.status_code, response["Location"]) == (302, step(4)), position
    for address in (f"{GUIDE}step/-1/", f"{GUIDE}step/two/", f"{GUIDE}step/"):
        assert four_in.client.get(address).status_code == 404
    assert snapshot() == before


def test_a_step_address_without_a_diagnosis_leads_to_the_start_screen(guide: Guide) -> None:
    response = Client().get(step(3))
    assert (response.status_code, response["Location"]) == (302, GUIDE)
    assert Client().get("/guides/no-such-guide/step/1/").status_code == 404


def test_after_start_over_old_addresses_show_the_new_diagnosis(four_in: Flow) -> None:
    four_in.restart()
    assert four_in.page == step(1)
    response = four_in.client.get(step(3))  # an entry in history from before
    assert response["Location"] == step(1)
    assert Diagnosis.objects.filter(started_over=True).count() == 1


def test_earlier_steps_of_an_escalated_diagnosis_cannot_be_reopened(
    flow: Flow, unsure: dict[str, str]
) -> None:
    """A support code stays with the story it was given for, as with the in-page Back."""
    flow.start()
    flow.answer_questions(unsure)
    flow.get(step(2))
    earlier_page = flow.html
    flow.get()
    flow.walk(unsure)
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    current = len(diagnosis.journal) + 1
    before = snapshot()

    response = flow.client.get(step(2))
    assert response["Location"] == step(current)
    flow.html = earlier_page
    flow.answer("on_my_iphone")

    assert snapshot() == before


def test_a_history_restore_gets_the_whole_page(four_in: Flow) -> None:
    """htmx asks with HX-Request too when it restores an entry it has no copy of."""
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    response = four_in.client.get(step(2), headers=headers)
    assert b"<html" in response.content
    assert "HX-History-Restore-Request" in response["Vary"]


def test_two_tabs_racing_leave_a_journal_that_matches_the_rows(four_in: Flow) -> None:
    """One tab answers an earlier step again while the other answers the current one."""
    diagnosis = Diagnosis.objects.get()
    here = commands.load_state(diagnosis=Diagnosis.objects.get())
    there = commands.load_state(diagnosis=Diagnosis.objects.get())

    commands.answer_step(state=there, step_key="question:contacts_sync", choice="on", network="n")
    with pytest.raises(StaleStep):
        commands.answer_again(
            state=here,
            position=2,
            revision=diagnosis.revision,
            step_key="question:account",
            choice="on_my_iphone",
            network="n",
        )

    diagnosis.refresh_from_db()
    assert diagnosis.journal == stored()
    assert len(stored()) == 4


def test_the_rewind_loses_the_race_when_the_revision_moves_under_it(four_in: Flow) -> None:
    """The compare-and-swap itself: the revision moves between reading and writing."""
    diagnosis = Diagnosis.objects.get()
    here = commands.load_state(diagnosis=diagnosis)
    Diagnosis.objects.filter(pk=diagnosis.pk).update(revision=diagnosis.revision + 1)

    with pytest.raises(StaleStep):
        commands.answer_again(
            state=here,
            position=2,
            revision=diagnosis.revision,
            step_key="question:account",
            choice="on_my_iphone",
            network="n",
        )

    assert len(stored()) == 3
    assert Diagnosis.objects.get().journal == stored()
