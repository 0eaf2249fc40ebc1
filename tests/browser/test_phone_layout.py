"""On a 375×812 phone: nothing scrolls sideways, and every tap target is at least 44 px.

Links inside a sentence are the one exception, as in WCAG.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from diagnostics import engine
from diagnostics.models import Guide

from .driver import ALL_FINE, FIXED, NOT_FIXED, PHONE, Helpdesk
from .screens import log_in_to_admin, tour
from .test_accessibility import axe_violations

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

    assert len(seen) == 13
    assert problems == {}


def test_the_guide_report_fits_a_phone(
    new_context: Callable[..., BrowserContext], icloud_guide: Guide, guide_steps: engine.Guide
) -> None:
    """Support staff check the report on their phones too: wide tables scroll in place."""
    person = Helpdesk(new_context().new_page()).open().start()
    person.answer_questions(guide_steps, ALL_FINE)
    person.answer(NOT_FIXED)  # so the fixes table has a row
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    page = new_context(**phone).new_page()
    log_in_to_admin(page)
    page.goto(f"/admin/diagnostics/guide/{icloud_guide.pk}/report/")
    expect(page.get_by_role("heading", name="Which fixes work")).to_be_visible()
    assert page.evaluate("innerWidth") == PHONE["width"]  # not zoomed out to fit
    assert sideways_overflow(page) <= 0
    assert axe_violations(page) == []


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_learned_order_is_readable_on_a_phone_and_at_1280(
    new_context: Callable[..., BrowserContext],
    icloud_guide: Guide,
    guide_steps: engine.Guide,
    size: str,
) -> None:
    """Staff read the learned order with its numbers on a phone and on a 1280 px screen."""
    person = Helpdesk(new_context().new_page()).open().start()
    person.answer_questions(guide_steps, ALL_FINE)
    person.answer(NOT_FIXED)
    person.answer_questions(guide_steps, ALL_FINE)  # a question may come between fixes
    person.answer(FIXED)  # an ended diagnosis, so there is evidence to show
    options = (
        {"viewport": PHONE, "is_mobile": True, "has_touch": True}
        if size == "phone"
        else {"viewport": {"width": 1280, "height": 800}}
    )
    page = new_context(**options).new_page()
    log_in_to_admin(page)
    page.goto(f"/admin/diagnostics/guide/{icloud_guide.pk}/learned/")
    expect(page.get_by_role("heading", name="Everyone, before any answer")).to_be_visible()
    expect(page.locator("tr[data-fix]").first).to_be_visible()
    assert page.evaluate("innerWidth") == options["viewport"]["width"]
    assert sideways_overflow(page) <= 0
    assert axe_violations(page) == []
