"""Keyboard only: Tab reaches every control, Enter and Space press them, and
after each swap focus lands on the new step's heading."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from diagnostics import engine

from .driver import ALL_FINE, CANNOT, FIXED, NOT_FIXED, Helpdesk
from .expected import FIXES_WHEN_ALL_FINE, fix_titles

pytestmark = pytest.mark.django_db(transaction=True)

_CONTROLS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
  )].filter(e => !e.disabled && e.getClientRects().length > 0)
   .map(e => e.textContent.trim())"""
_FOCUSED = "() => document.activeElement ? document.activeElement.textContent.trim() : ''"
_FOCUS_IS_HEADING = "() => document.activeElement.matches('[data-step-heading]')"
# Before the page's own scripts: record every text the live region is given,
# and count the timers still to run, so a test can wait until the page has
# done everything a swap set in motion (app.js announces on a timer).
_WATCH_ANNOUNCER = """(() => {
  const setTimer = window.setTimeout.bind(window);
  const clearTimer = window.clearTimeout.bind(window);
  const pending = new Set();
  window.setTimeout = (callback, delay, ...args) => {
    const id = setTimer(() => {
      pending.delete(id);
      if (typeof callback === 'function') callback(...args);
    }, delay);
    pending.add(id);
    return id;
  };
  window.clearTimeout = id => { pending.delete(id); clearTimer(id); };
  window.timersPending = () => pending.size;
  window.announced = [];
  document.addEventListener('DOMContentLoaded', () => {
    const announcer = document.getElementById('announcer');
    new MutationObserver(() => {
      if (announcer.textContent) window.announced.push(announcer.textContent);
    }).observe(announcer, {childList: true, characterData: true, subtree: true});
  });
})()"""


def controls(page: Page) -> list[str]:
    return page.evaluate(_CONTROLS)


def tab_through(page: Page) -> list[str]:
    """Press Tab until focus comes round again; what received focus, in order."""
    reached: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        name = page.evaluate(_FOCUSED)
        if reached and name == reached[0]:
            break
        reached.append(name)
    return reached


def tab_to(page: Page, name: str) -> None:
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(_FOCUSED) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def press(desk: Helpdesk, key: str, heading: str) -> None:
    """Press a key on the focused control; the new step's heading then has focus."""
    desk.act(lambda: desk.page.keyboard.press(key))
    expect(desk.heading).to_have_text(heading)
    assert desk.page.evaluate(_FOCUS_IS_HEADING), "focus did not move to the new heading"
    assert desk.page.evaluate(_FOCUSED) == heading
    # Read out once, on focus: the live region does not repeat it once the
    # timers the swap started have run.
    desk.page.wait_for_function("() => window.timersPending() === 0")
    assert desk.page.evaluate("window.announced") == []


def assert_focus_is_visible(page: Page) -> None:
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none"
    assert outline[1] >= 2


def test_every_control_is_reachable_and_focus_follows_each_step(
    page: Page, guide_steps: engine.Guide
) -> None:
    page.add_init_script(_WATCH_ANNOUNCER)
    desk = Helpdesk(page).open()
    reached = tab_through(page)
    assert reached[0] == "Skip to content"
    assert set(controls(page)) <= set(reached)

    tab_to(page, "Start")
    assert_focus_is_visible(page)
    first = guide_steps.questions[0]
    press(desk, "Enter", first.prompt)

    # Every control of a question is reachable, in reading order.
    reached = tab_through(page)
    labels = [choice.label for choice in first.choices]
    assert reached[reached.index(labels[0]) :][: len(labels)] == labels
    assert "Start over" not in reached  # nothing answered yet: nothing to start over from
    assert set(controls(page)) <= set(reached)

    # Answer the gates from the keyboard, alternating Enter and Space; the first fix
    # comes next (the other questions come after it: the one-step look-ahead).
    keys = ["Space", "Enter"]
    offered = fix_titles(guide_steps, FIXES_WHEN_ALL_FINE)
    gates = guide_steps.questions[:2]
    for number, question in enumerate(gates):
        choice = question.choice(ALL_FINE[question.id])
        assert choice is not None
        expect(desk.heading).to_have_text(question.prompt)
        tab_to(page, choice.label)
        assert_focus_is_visible(page)
        following = gates[number + 1].prompt if number < len(gates) - 1 else offered[0]
        press(desk, keys[number % 2], following)

    # A fix: its three answers, Back and Start over are all reachable, in that order.
    fix_controls = [FIXED, NOT_FIXED, CANNOT, "Back", "Start over"]
    assert [name for name in tab_through(page) if name in fix_controls] == fix_controls
    tab_to(page, NOT_FIXED)
    press(desk, "Space", guide_steps.question("contacts_sync").prompt)  # between fixes
    tab_to(page, "Back")
    press(desk, "Enter", offered[0])
    tab_to(page, "Start over")
    press(desk, "Space", "Start over from the first question?")  # asked first
    tab_to(page, "Yes, start over")
    press(desk, "Enter", first.prompt)


def test_skip_link_appears_on_focus_and_moves_to_the_content(page: Page) -> None:
    Helpdesk(page).open()
    skip = page.get_by_role("link", name="Skip to content")
    # Until focused it is wholly above the page, text at 200 % included.
    for size in ("100%", "200%"):
        page.evaluate(f"document.documentElement.style.fontSize = '{size}'")
        box = skip.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 0, size
    # No shadow either, which would show as a faint line along the top.
    assert skip.evaluate("link => getComputedStyle(link).boxShadow") == "none"
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
