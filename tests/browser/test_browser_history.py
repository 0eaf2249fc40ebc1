"""The browser's own Back and Forward buttons, with and without JavaScript.

Each step has its own address and history entry. Back shows the step before,
as it was, and changes nothing until it is answered again; answering it again
replaces the answers after it. Forward and old entries never change anything.
Inside another site's iframe: see test_embedding.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from diagnostics import engine
from diagnostics.models import Answer, Diagnosis

from .driver import GUIDE_URL, Helpdesk
from .expected import label, prompt
from .test_accessibility import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

LIST_HEADING = "What do you need help with?"
EARLIER = "You're back at an earlier step."
STALE = "That page was out of date, so nothing was changed."
JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def answers() -> list[tuple[str, str]]:
    return list(Answer.objects.order_by("position").values_list("question", "choice"))


# Every Back or Forward between steps loads a page afresh: without JavaScript by
# nature, with htmx by a reload (it keeps no copies). Wait for the new document.
_MARK_DOCUMENT = "() => { window.__left = true; }"
_NEW_DOCUMENT = "() => !window.__left && document.readyState === 'complete'"


def _through_history(desk: Helpdesk, go: Callable[..., object]) -> None:
    if not desk.javascript:  # a plain navigation to another document, loaded
        # (Going on from a document that has only committed can find the page
        # detached mid-swap: "Not attached to an active page".)
        go(wait_until="load")
        return
    # With htmx the address changes first (popstate), then htmx reloads the page.
    desk.page.evaluate(_MARK_DOCUMENT)
    go(wait_until="commit")
    desk.page.wait_for_function(_NEW_DOCUMENT, polling=50)


def back(desk: Helpdesk) -> None:
    """The browser's Back button; returns once the page it leads to is there."""
    _through_history(desk, desk.page.go_back)


def forward(desk: Helpdesk) -> None:
    """The browser's Forward button; returns once the page it leads to is there."""
    _through_history(desk, desk.page.go_forward)


def shows(desk: Helpdesk, heading: str, *, position: int, earlier: bool) -> None:
    """The page shows ``heading`` at its own address, marked as earlier or not."""
    expect(desk.page).to_have_url(
        f"{desk.page.url.split('/guides/')[0]}{GUIDE_URL}step/{position}/"
    )
    expect(desk.heading).to_have_text(heading)
    expect(desk.page.get_by_text(EARLIER)).to_have_count(1 if earlier else 0)


def back_at_the_second_question(desk: Helpdesk, guide: engine.Guide) -> None:
    """Start, answer two questions, then the browser's Back: at step 2, shown as earlier.

    (The account "On My iPhone", so that step 3 is a question, contacts_sync: with
    "iCloud" the restart comes before the other questions.)"""
    desk.open().start()
    desk.answer(label(guide, "apple_status", "all_green"))
    desk.answer(label(guide, "account", "on_my_iphone"))
    back(desk)


def phone(new_context: Callable[..., BrowserContext], *, javascript: bool) -> Helpdesk:
    context = new_context(
        java_script_enabled=javascript,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    return Helpdesk(context.new_page(), javascript=javascript)


@JAVASCRIPT
def test_back_shows_the_previous_steps_and_forward_returns_changing_nothing(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide, javascript: bool
) -> None:
    desk = phone(new_context, javascript=javascript)
    desk.page.goto("/")
    with desk.page.expect_navigation():
        desk.page.get_by_role("link", name=guide_steps.title).click()
    desk.start()
    desk.answer(label(guide_steps, "apple_status", "all_green"))
    desk.answer(label(guide_steps, "account", "on_my_iphone"))
    shows(desk, prompt(guide_steps, "contacts_sync"), position=3, earlier=False)
    given = answers()

    back(desk)
    shows(desk, prompt(guide_steps, "account"), position=2, earlier=True)
    assert desk.progress_text == "Question 2 of 6"
    back(desk)
    shows(desk, prompt(guide_steps, "apple_status"), position=1, earlier=True)
    assert desk.progress_text == "Question 1 of 6"
    assert answers() == given

    back(desk)
    if javascript:  # the start screen was replaced by the first step: Back leaves the guide
        expect(desk.page.get_by_role("heading", level=1)).to_have_text(LIST_HEADING)
    else:  # the guide's address, where the start screen was, leads to the current step
        shows(desk, prompt(guide_steps, "contacts_sync"), position=3, earlier=False)
        forward(desk)  # back on the first step's entry
        shows(desk, prompt(guide_steps, "apple_status"), position=1, earlier=True)
        back(desk)  # and once more to the guide's address
        shows(desk, prompt(guide_steps, "contacts_sync"), position=3, earlier=False)
        forward(desk)
    if javascript:
        forward(desk)
    shows(desk, prompt(guide_steps, "apple_status"), position=1, earlier=True)
    forward(desk)
    shows(desk, prompt(guide_steps, "account"), position=2, earlier=True)
    forward(desk)
    shows(desk, prompt(guide_steps, "contacts_sync"), position=3, earlier=False)
    assert answers() == given

    desk.answer(label(guide_steps, "contacts_sync", "on"))
    shows(desk, guide_steps.fix("move_on_my_iphone").title, position=4, earlier=False)
    expect(desk.page.locator(".notice")).to_have_count(0)
    assert len(answers()) == 3


@JAVASCRIPT
def test_answering_an_earlier_step_again_replaces_the_answers_after_it(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide, javascript: bool
) -> None:
    desk = phone(new_context, javascript=javascript)
    desk.open().start()
    for question, choice in [("apple_status", "all_green"), ("account", "on_my_iphone")]:
        desk.answer(label(guide_steps, question, choice))
    desk.answer(label(guide_steps, "contacts_sync", "on"))
    back(desk)
    back(desk)
    shows(desk, prompt(guide_steps, "account"), position=2, earlier=True)

    desk.answer(label(guide_steps, "account", "other_provider"))

    expect(desk.heading).to_have_text("These contacts are backed up by another provider")
    assert answers() == [("apple_status", "all_green"), ("account", "other_provider")]
    assert Diagnosis.objects.get().status == Diagnosis.Status.RESOLVED
    # Back shows the step just answered again, as an earlier step; Forward the outcome.
    back(desk)
    shows(desk, prompt(guide_steps, "account"), position=2, earlier=True)
    forward(desk)
    expect(desk.heading).to_have_text("These contacts are backed up by another provider")
    assert answers() == [("apple_status", "all_green"), ("account", "other_provider")]


@JAVASCRIPT
def test_an_earlier_step_left_open_while_another_tab_moved_on_changes_nothing(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide, javascript: bool
) -> None:
    desk = phone(new_context, javascript=javascript)
    back_at_the_second_question(desk, guide_steps)
    shows(desk, prompt(guide_steps, "account"), position=2, earlier=True)
    other_tab = Helpdesk(desk.page.context.new_page(), javascript=javascript).open()
    other_tab.answer(label(guide_steps, "contacts_sync", "on"))
    given = answers()

    desk.answer(label(guide_steps, "account", "icloud"))

    expect(desk.page.get_by_text(STALE)).to_be_visible()
    shows(desk, guide_steps.fix("move_on_my_iphone").title, position=4, earlier=False)
    assert answers() == given


@JAVASCRIPT
def test_forward_to_a_step_undone_since_shows_the_current_step(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide, javascript: bool
) -> None:
    desk = phone(new_context, javascript=javascript)
    back_at_the_second_question(desk, guide_steps)
    other_tab = Helpdesk(desk.page.context.new_page(), javascript=javascript).open()
    other_tab.back()  # the in-page Back, twice: only the first answer is left
    other_tab.back()
    given = answers()
    assert len(given) == 0

    forward(desk)  # to step 3, which no longer exists

    shows(desk, prompt(guide_steps, "apple_status"), position=1, earlier=False)
    assert answers() == given


@JAVASCRIPT
def test_in_page_links_of_an_earlier_step(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide, javascript: bool
) -> None:
    desk = phone(new_context, javascript=javascript)
    back_at_the_second_question(desk, guide_steps)
    shows(desk, prompt(guide_steps, "account"), position=2, earlier=True)
    if javascript:
        assert axe_violations(desk.page) == []  # the earlier step's notice and links
    with desk.page.expect_navigation():
        desk.page.get_by_role("link", name="Back", exact=True).click()
    shows(desk, prompt(guide_steps, "apple_status"), position=1, earlier=True)
    with desk.page.expect_navigation():
        desk.page.get_by_role("link", name="Latest step").click()
    shows(desk, prompt(guide_steps, "contacts_sync"), position=3, earlier=False)
    assert len(answers()) == 2
