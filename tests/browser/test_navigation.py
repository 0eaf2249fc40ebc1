"""Moving around: Back, Start over, reloading, and the browser's own Back button."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from diagnostics import engine
from diagnostics.models import Answer, Diagnosis, FixAttempt

from .driver import ALL_FINE, GUIDE_URL, NOT_FIXED, Helpdesk
from .expected import FIXES_WHEN_ALL_FINE, fix_titles, label, prompt

pytestmark = pytest.mark.django_db(transaction=True)

LIST_HEADING = "What do you need help with?"


def test_back_undoes_the_last_answer(page: Page, guide_steps: engine.Guide) -> None:
    desk = Helpdesk(page).open().start()
    expect(desk.button("Back")).to_have_count(0)  # nothing to undo yet
    desk.answer(label(guide_steps, "apple_status", "all_green"))
    # (With "iCloud" the restart would come next; with "On My iPhone", a question.)
    desk.answer(label(guide_steps, "account", "on_my_iphone"))
    expect(desk.heading).to_have_text(prompt(guide_steps, "contacts_sync"))
    assert desk.progress_text == "Question 3 of 6"

    desk.back()

    expect(desk.heading).to_have_text(prompt(guide_steps, "account"))
    assert desk.progress_text == "Question 2 of 6"
    assert list(Answer.objects.values_list("question", flat=True)) == ["apple_status"]
    # A different answer now takes a different road.
    desk.answer(label(guide_steps, "account", "other_provider"))
    expect(desk.heading).to_have_text("These contacts are backed up by another provider")

    desk.back()
    desk.back()
    expect(desk.heading).to_have_text(prompt(guide_steps, "apple_status"))
    expect(desk.button("Back")).to_have_count(0)
    assert Answer.objects.count() == 0


def test_back_from_a_fix_offers_the_previous_fix_again(
    page: Page, guide_steps: engine.Guide
) -> None:
    offered = fix_titles(guide_steps, FIXES_WHEN_ALL_FINE)
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, ALL_FINE)
    desk.answer(NOT_FIXED)
    desk.answer_questions(guide_steps, ALL_FINE)  # contacts_sync, between the fixes
    expect(desk.heading).to_have_text(offered[1])

    desk.back()
    expect(desk.heading).to_have_text(prompt(guide_steps, "contacts_sync"))
    desk.back()

    expect(desk.heading).to_have_text(offered[0])
    assert FixAttempt.objects.count() == 0
    desk.back()  # and from the first fix, back to the last question (a gate)
    expect(desk.heading).to_have_text(prompt(guide_steps, "account"))


def test_start_over_begins_a_fresh_diagnosis(page: Page, guide_steps: engine.Guide) -> None:
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, ALL_FINE)
    desk.answer(NOT_FIXED)
    first = Diagnosis.objects.get()

    desk.start_over()

    expect(desk.heading).to_have_text(prompt(guide_steps, "apple_status"))
    assert desk.progress_text == "Question 1 of 6"
    expect(desk.button("Back")).to_have_count(0)
    first.refresh_from_db()
    assert first.status == Diagnosis.Status.ABANDONED
    fresh = Diagnosis.objects.exclude(pk=first.pk).get()
    assert fresh.status == Diagnosis.Status.IN_PROGRESS
    assert fresh.answers.count() == 0
    assert fresh.support_code != first.support_code


def test_reload_resumes_at_the_same_step(page: Page, guide_steps: engine.Guide) -> None:
    desk = Helpdesk(page).open().start()
    desk.answer(label(guide_steps, "apple_status", "all_green"))
    desk.answer(label(guide_steps, "account", "on_my_iphone"))
    heading, progress = desk.heading_text, desk.progress_text

    desk.reload()

    expect(desk.heading).to_have_text(heading)
    assert desk.progress_text == progress
    # Closing the tab and coming back later resumes too.
    page.close()
    later = Helpdesk(page.context.new_page()).open()
    expect(later.heading).to_have_text(heading)
    later.answer(label(guide_steps, "contacts_sync", "on"))
    expect(later.heading).to_have_text(guide_steps.fix("move_on_my_iphone").title)
    assert Answer.objects.count() == 3


def test_step_pages_are_never_served_from_cache(page: Page) -> None:
    response = page.goto(GUIDE_URL)
    assert response is not None
    assert "no-store" in response.headers.get("cache-control", "")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_coming_back_through_history_shows_that_step_as_it_stands_now(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide, javascript: bool
) -> None:
    """The page restored by Back is not a stale copy, even if another tab moved on.

    Its step is now an earlier one, and the page says so; the latest step is a tap away.
    (More on Back and Forward in test_browser_history.py.)
    """
    context = new_context(java_script_enabled=javascript)
    desk = Helpdesk(context.new_page(), javascript=javascript).open().start()
    desk.answer(label(guide_steps, "apple_status", "all_green"))
    expect(desk.heading).to_have_text(prompt(guide_steps, "account"))
    with desk.page.expect_navigation():
        desk.page.get_by_role("link", name="Help desk").click()
    expect(desk.page.get_by_role("heading", level=1)).to_have_text(LIST_HEADING)

    other_tab = Helpdesk(context.new_page(), javascript=javascript).open()
    other_tab.answer(label(guide_steps, "account", "on_my_iphone"))
    expect(other_tab.heading).to_have_text(prompt(guide_steps, "contacts_sync"))

    desk.page.go_back(wait_until="commit")

    expect(desk.heading).to_have_text(prompt(guide_steps, "account"))
    expect(desk.page.locator(".notice--earlier")).to_be_visible()
    with desk.page.expect_navigation():
        desk.page.get_by_role("link", name="Latest step").click()
    expect(desk.heading).to_have_text(prompt(guide_steps, "contacts_sync"))
    desk.answer(label(guide_steps, "contacts_sync", "on"))
    expect(desk.heading).to_have_text(guide_steps.fix("move_on_my_iphone").title)
    assert Answer.objects.count() == 3


def test_a_page_restored_from_the_back_forward_cache_asks_the_server_again(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide
) -> None:
    """Browsers may keep even a no-store page in the back/forward cache; app.js refreshes it.

    The restored step has become an earlier one meanwhile: only the server knows.

    The step page's Cache-Control header is dropped on its way to this tab, so
    Chromium keeps it in the cache, as a browser may do for any page.
    """
    context = new_context()
    page = context.new_page()

    def without_cache_control(route: Route) -> None:
        if route.request.headers.get("hx-request"):
            route.continue_()
            return
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items() if k.lower() != "cache-control"}
        route.fulfill(response=response, headers=headers)

    page.route(f"**{GUIDE_URL}**", without_cache_control)  # and each step's address
    page.add_init_script(
        "addEventListener('pageshow', e => { if (e.persisted) window.__restored = true; })"
    )
    desk = Helpdesk(page).open().start()
    desk.answer(label(guide_steps, "apple_status", "all_green"))
    with page.expect_navigation():
        page.get_by_role("link", name="Help desk").click()
    other_tab = Helpdesk(context.new_page()).open()
    other_tab.answer(label(guide_steps, "account", "icloud"))

    page.go_back(wait_until="commit")

    expect(desk.heading).to_have_text(prompt(guide_steps, "account"))
    expect(page.locator(".notice--earlier")).to_be_visible()
    assert page.evaluate("window.__restored === true"), "expected a back/forward cache restore"
