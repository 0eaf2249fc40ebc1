"""When a request goes wrong, the person is told, and the page stays whole and usable."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from diagnostics import engine
from diagnostics.models import Answer

from .conftest import BrowserErrors
from .driver import Helpdesk

pytestmark = pytest.mark.django_db(transaction=True)

SERVER_ERROR_PAGE = "<!doctype html><html><head><title>Error</title></head><body>Oops</body></html>"
PROXY_ERROR_PAGE = (
    "<!doctype html><html><head><title>Too much at once</title></head>"
    "<body><main><h1>Too much at once</h1><p>Please try again.</p></main></body></html>"
)


def test_no_connection_says_so_and_the_step_can_be_tried_again(
    page: Page, guide_steps: engine.Guide, browser_errors: BrowserErrors
) -> None:
    browser_errors.allow("htmx:sendError")  # htmx logs the failed request twice
    browser_errors.allow("htmx:afterRequest")
    desk = Helpdesk(page).open().start()
    first = guide_steps.questions[0]
    page.route("**/answer/", lambda route: route.abort("internetdisconnected"))

    desk.button(first.choices[0].label).click()

    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("couldn't reach the help desk")
    expect(desk.heading).to_have_text(first.prompt)
    expect(desk.button(first.choices[0].label)).to_be_enabled()
    expect(page.locator(".loading")).to_be_hidden()
    assert Answer.objects.count() == 0

    page.unroute("**/answer/")
    desk.answer(first.choices[0].label)
    expect(desk.heading).to_have_text(guide_steps.questions[1].prompt)
    expect(problem).to_have_count(0)
    assert Answer.objects.count() == 1


def test_a_server_error_keeps_the_step_on_screen(
    page: Page, guide_steps: engine.Guide, browser_errors: BrowserErrors
) -> None:
    browser_errors.allow("Response Status Error Code 500")
    desk = Helpdesk(page).open().start()
    first = guide_steps.questions[0]

    def fail(route: Route) -> None:
        route.fulfill(status=500, content_type="text/html", body=SERVER_ERROR_PAGE)

    page.route("**/answer/", fail)
    desk.button(first.choices[1].label).click()

    expect(page.get_by_role("alert")).to_contain_text("Something went wrong on our side")
    expect(desk.heading).to_have_text(first.prompt)
    expect(page.locator("main")).to_have_count(1)
    expect(desk.button(first.choices[1].label)).to_be_enabled()


def test_a_stale_form_token_reloads_the_page_at_the_real_step(
    page: Page, guide_steps: engine.Guide
) -> None:
    desk = Helpdesk(page).open().start()
    first, second = guide_steps.questions[:2]
    page.context.clear_cookies(name="csrftoken")  # Django will refuse the post

    with page.expect_navigation():  # htmx is told to reload the page
        desk.button(first.choices[0].label).click()

    expect(desk.heading).to_have_text(first.prompt)  # nothing was recorded
    expect(page.locator("main")).to_have_count(1)
    assert Answer.objects.count() == 0
    desk.answer(first.choices[0].label)  # the fresh page has a fresh token
    expect(desk.heading).to_have_text(second.prompt)
    assert Answer.objects.count() == 1


def test_a_whole_error_page_replaces_the_page_instead_of_nesting_in_it(
    page: Page, guide_steps: engine.Guide
) -> None:
    """A 4xx page from in front of the app (a proxy, say) is shown as the page it is."""
    desk = Helpdesk(page).open().start()

    def proxy_says_no(route: Route) -> None:
        route.fulfill(status=413, content_type="text/html", body=PROXY_ERROR_PAGE)

    page.route("**/answer/", proxy_says_no)
    desk.button(guide_steps.questions[0].choices[0].label).click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Too much at once")
    expect(heading).to_be_focused()
    expect(page).to_have_title("Too much at once")
    expect(page.locator("main")).to_have_count(1)
    expect(page.locator("#panel")).to_have_count(0)
