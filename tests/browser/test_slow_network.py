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
    """Holds back every request to ``pattern`` until ``release`` (as long as a test likes)."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.page = page
        self.held: list[Route] = []
        page.route(pattern, self.hold)

    def hold(self, route: Route) -> None:
        self.held.append(route)

    def wait_for_requests(self, count: int = 1) -> None:
        for _ in range(100):
            if len(self.held) >= count:
                return
            self.page.wait_for_timeout(20)
        raise AssertionError(f"expected {count} request(s), saw {len(self.held)}")

    def release(self) -> None:
        for route in self.held:
            route.continue_()


def test_loading_shows_and_a_second_tap_does_not_submit_twice(
    phone_page: Page, guide_steps: engine.Guide, screenshots: Path
) -> None:
    page = phone_page
    desk = Helpdesk(page).open().start()
    first = guide_steps.questions[0]
    loading = page.locator(".loading")
    expect(loading).to_be_hidden()
    slow = SlowNetwork(page, "**/answer/")

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
    chosen.click(force=True)
    desk.button(first.choices[1].label).click(force=True)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert len(slow.held) == 1

    desk.act(slow.release)
    expect(desk.heading).to_have_text(guide_steps.questions[1].prompt)
    expect(loading).to_be_hidden()
    assert list(Answer.objects.values_list("question", "choice")) == [
        (first.id, first.choices[0].id)
    ]


def test_a_double_tap_on_a_fix_answer_is_recorded_once(
    page: Page, guide_steps: engine.Guide
) -> None:
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, ALL_FINE)
    slow = SlowNetwork(page, "**/answer/")

    desk.button(NOT_FIXED).dblclick()
    slow.wait_for_requests(1)
    page.wait_for_timeout(300)
    assert len(slow.held) == 1
    desk.act(slow.release)

    offered = [fix.title for fix in engine.applicable_fixes(guide_steps, ALL_FINE)]
    expect(desk.heading).to_have_text(offered[1])
    assert FixAttempt.objects.count() == 1


def test_without_javascript_a_double_submit_still_records_one_answer(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide
) -> None:
    """No script guards the button; whatever the browser sends, one answer is recorded.

    (Chromium itself sends one post here; a second one, from an old tab say, is
    refused by the server's step check, which tests/test_*.py cover over HTTP.)
    """
    page = new_context(java_script_enabled=False).new_page()
    desk = Helpdesk(page, javascript=False).open().start()
    first = guide_steps.questions[0]
    slow = SlowNetwork(page, "**/answer/")

    box = desk.button(first.choices[0].label).bounding_box()
    assert box is not None
    # A real double click, straight from the mouse: nothing waits between the two.
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    slow.wait_for_requests(1)
    page.wait_for_timeout(300)
    with page.expect_navigation():
        slow.release()  # however many posts the browser sent

    expect(desk.heading).to_have_text(guide_steps.questions[1].prompt)
    assert Answer.objects.count() == 1


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
    page.mouse.down(click_count=2)  # the second tap of the same double tap
    page.mouse.up(click_count=2)
    page.wait_for_timeout(400)

    expect(desk.heading).to_have_text(second.prompt)
    assert Answer.objects.count() == 1
    # A deliberate tap afterwards (a new click, not part of the double tap) answers.
    desk.act(lambda: page.mouse.click(x, y))
    assert Answer.objects.count() == 2
