"""On a slow connection: a loading indicator shows, and tapping again sends nothing more."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from diagnostics import engine
from diagnostics.models import Answer, FixAttempt

from .driver import NOT_FIXED, Helpdesk
from .screens import ALL_FINE

pytestmark = pytest.mark.django_db(transaction=True)


class SlowNetwork:
    """Holds back every request to ``pattern`` until ``release``; counts them all.

    ``seen`` counts the requests that reached the network, held or (after
    ``release``) let straight through.
    """

    def __init__(self, page: Page, pattern: str) -> None:
        self.page = page
        self.held: list[Route] = []
        self.seen = 0
        self.released = False
        page.route(pattern, self.hold)

    def hold(self, route: Route) -> None:
        self.seen += 1
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def wait_for_requests(self, count: int = 1) -> None:
        """Until ``count`` requests are held (polling lets Playwright run the route handler)."""
        for _ in range(250):
            if len(self.held) >= count:
                return
            self.page.wait_for_timeout(20)
        raise AssertionError(f"expected {count} request(s), saw {len(self.held)}")

    def release(self) -> None:
        self.released = True
        for route in self.held:
            route.continue_()


# What htmx did, counted in the page as it happens: a request is counted the
# moment htmx sends it (inside the click that caused it), and once it is over.
_COUNT_HTMX = """() => {
  window.sent = 0; window.done = 0; window.releases = 0;
  document.addEventListener('htmx:beforeSend', () => { window.sent += 1; });
  document.addEventListener('htmx:afterRequest', () => { window.done += 1; });
  window.addEventListener('pointerup', () => { window.releases += 1; }, true);
}"""


def count_htmx(page: Page) -> None:
    page.evaluate(_COUNT_HTMX)


def sent(page: Page) -> int:
    return page.evaluate("window.sent")


def wait_until_requests_finish(page: Page) -> None:
    """Until every request htmx sent has had its answer."""
    page.wait_for_function("() => window.done === window.sent")


def wait_for_presses(page: Page, count: int) -> None:
    """Until the page has handled ``count`` presses of a finger or mouse button.

    A press ends in a pointerup, then (on an enabled button) the click, in the
    same task; htmx sends within that click or not at all. A disabled button
    gets the pointerup but no click.
    """
    page.wait_for_function(f"() => window.releases >= {count}")


def test_loading_shows_and_a_second_tap_does_not_submit_twice(
    phone_page: Page, guide_steps: engine.Guide, screenshots: Path
) -> None:
    page = phone_page
    desk = Helpdesk(page).open().start()
    first = guide_steps.questions[0]
    loading = page.locator(".loading")
    expect(loading).to_be_hidden()
    slow = SlowNetwork(page, "**/answer/")
    count_htmx(page)

    chosen = desk.button(first.choices[0].label)
    chosen.click()
    slow.wait_for_requests(1)

    expect(loading).to_be_visible()
    expect(loading).to_be_in_viewport()
    page.screenshot(path=screenshots / "loading-light-phone.png")
    for choice in first.choices:  # every answer is greyed out while waiting
        expect(desk.button(choice.label)).to_be_disabled()
    # Impatient taps, on the same answer and on another. force=True skips
    # Playwright's own wait for the button to be enabled; the browser decides.
    # Each returns once the page has handled it, and htmx sends within that.
    chosen.click(force=True)
    desk.button(first.choices[1].label).click(force=True)
    page.keyboard.press("Enter")
    assert sent(page) == 1

    desk.act(slow.release)
    wait_until_requests_finish(page)
    assert (sent(page), slow.seen) == (1, 1)  # one post sent, and one reached the server
    expect(desk.heading).to_have_text(guide_steps.questions[1].prompt)
    expect(loading).to_be_hidden()
    assert list(Answer.objects.values_list("question", "choice")) == [
        (first.id, first.choices[0].id)
    ]


# Two clicks from a script, one straight after the other: both are first
# clicks (no double-click count), so only htmx's own guards stop the second.
_CLICK_TWICE = "button => { button.click(); button.click(); }"


@pytest.mark.parametrize("tap", ["double click", "two scripted clicks"])
def test_a_double_tap_on_a_fix_answer_is_recorded_once(
    page: Page, guide_steps: engine.Guide, tap: str
) -> None:
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, ALL_FINE)
    slow = SlowNetwork(page, "**/answer/")
    count_htmx(page)

    button = desk.button(NOT_FIXED)
    if tap == "double click":
        button.dblclick()
        wait_for_presses(page, 2)  # both presses reached the page
    else:
        button.evaluate(_CLICK_TWICE)  # returns once both clicks were handled
    assert sent(page) == 1
    slow.wait_for_requests(1)
    desk.act(slow.release)
    wait_until_requests_finish(page)

    assert (sent(page), slow.seen) == (1, 1)
    # After the restart, the Contacts switch question (it comes between fixes).
    expect(desk.heading).to_have_text(guide_steps.question("contacts_sync").prompt)
    assert FixAttempt.objects.count() == 1


def test_without_javascript_an_answer_that_reaches_the_server_twice_counts_once(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide
) -> None:
    """No script guards the button, so whatever the browser sends reaches the server.

    Chromium sends one post for a double click here, so the network sends this
    one twice (as a retrying proxy would): the server records one answer, and
    the person lands on the next question.
    """
    page = new_context(java_script_enabled=False).new_page()
    desk = Helpdesk(page, javascript=False).open().start()
    first = guide_steps.questions[0]
    answered: list[int] = []

    def twice(route: Route) -> None:
        responses = [route.fetch(max_redirects=0) for _ in range(2)]
        answered.extend(response.status for response in responses)
        route.fulfill(response=responses[-1])  # the browser sees the second answer

    page.route("**/answer/", twice)
    desk.answer(first.choices[0].label)

    assert answered == [303, 303]  # both reached the server and were answered
    expect(desk.heading).to_have_text(guide_steps.questions[1].prompt)
    assert list(Answer.objects.values_list("question", "choice")) == [
        (first.id, first.choices[0].id)
    ]


_UNDER_FINGER_VS_OTHERS = """([x, y]) => {
  const look = b => { const s = getComputedStyle(b); return [s.backgroundColor, s.borderColor]; };
  const under = document.elementFromPoint(x, y).closest('button');
  const other = [...document.querySelectorAll('#panel .button--choice')].find(b => b !== under);
  return {under: look(under), other: look(other)};
}"""


def test_a_quick_double_tap_answers_only_the_step_that_was_seen(
    phone_page: Page, guide_steps: engine.Guide
) -> None:
    """On a fast connection the first tap's answer is back before the second tap.

    The second tap of the double tap then lands on the next question, under the
    same finger; it must not answer a question the person never saw.
    """
    page = phone_page
    desk = Helpdesk(page).open().start()
    first, second = guide_steps.questions[:2]
    # An answer low on the screen, where the next question has answers too.
    choice = first.choice("cannot_check")
    assert choice is not None
    box = desk.button(choice.label).bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    desk.act(lambda: page.touchscreen.tap(x, y))  # first tap: the next question arrives
    expect(desk.heading).to_have_text(second.prompt)
    under_finger = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('button')?.textContent", [x, y]
    )
    assert under_finger, "the test needs an answer under the finger on the next question"
    # Nor does that answer look chosen: hover looks are for real pointers only.
    page.mouse.move(x, y)  # the touch point stays there, as a phone keeps it
    looks = page.evaluate(_UNDER_FINGER_VS_OTHERS, [x, y])
    assert looks["under"] == looks["other"]
    count_htmx(page)
    page.mouse.down(click_count=2)  # the second tap of the same double tap
    page.mouse.up(click_count=2)
    wait_for_presses(page, 1)  # it reached the page, and htmx sent nothing for it

    assert sent(page) == 0
    expect(desk.heading).to_have_text(second.prompt)
    assert Answer.objects.count() == 1
    # A deliberate tap afterwards (a new click, not part of the double tap) answers.
    desk.act(lambda: page.mouse.click(x, y))
    assert Answer.objects.count() == 2
