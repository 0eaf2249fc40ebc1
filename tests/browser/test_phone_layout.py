"""On a 375×812 phone: nothing scrolls sideways, and every tap target is at least 44 px.

Links inside a sentence are the one exception, as in WCAG.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from diagnostics import engine

from .driver import PHONE
from .screens import tour

pytestmark = pytest.mark.django_db(transaction=True)

MIN_TARGET = 44
INTERACTIVE = ", ".join(
    [
        "a[href]",
        "button",
        "input:not([type=hidden])",
        "select",
        "textarea",
        "summary",
        '[tabindex]:not([tabindex="-1"])',
    ]
)
# A link inside a sentence ("open icloud.com in your browser") is sized by the
# line of text around it, and WCAG's target-size rules (2.5.5, 2.5.8) exempt it.
_TAP_TARGETS = """(selector) => [...document.querySelectorAll(selector)].filter(e => {
    const r = e.getBoundingClientRect();
    const inSentence = e.matches('a') && getComputedStyle(e).display === 'inline'
      && e.parentElement.textContent.trim() !== e.textContent.trim();
    return r.width > 0 && r.height > 0 && r.bottom + scrollY > 0 && !inSentence
      && getComputedStyle(e).visibility !== 'hidden';
  }).map(e => {
    const r = e.getBoundingClientRect();
    const name = `${e.tagName.toLowerCase()} "${e.textContent.trim()}"`;
    return {name: name, width: r.width, height: r.height};
  })"""


def sideways_overflow(page: Page) -> int:
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - innerWidth"
    )


def test_every_screen_fits_a_phone_with_big_tap_targets(
    new_context: Callable[..., BrowserContext],
    guide_steps: engine.Guide,
    settings,
) -> None:
    # With a support address configured, the escalation screen shows its link too.
    settings.HELPDESK_SUPPORT_CONTACT = "help@example.com"
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    problems = {}
    seen = []
    # The admin is a desk tool for support staff, so it is left out here.
    for screen in tour(new_context, guide_steps, include_admin=False, **phone):
        seen.append(screen.name)
        assert screen.page.evaluate("innerWidth") == PHONE["width"]
        if (overflow := sideways_overflow(screen.page)) > 0:
            problems[screen.name] = [f"scrolls sideways by {overflow}px"]
        targets = screen.page.evaluate(_TAP_TARGETS, INTERACTIVE)
        assert targets, f"{screen.name}: nothing to tap?"
        for target in targets:
            if min(target["width"], target["height"]) < MIN_TARGET:
                size = f"{target['width']:.0f}x{target['height']:.0f}px"
                problems.setdefault(screen.name, []).append(f"{target['name']} is {size}")
        if screen.name == "escalation":
            assert screen.page.get_by_role("link", name="help@example.com").is_visible()

    assert len(seen) == 12
    assert problems == {}
