"""The escalation screen reaches a human, on a phone, with and without JavaScript.

Saves phone screenshots of the escalation screen (before and after sending)
and of an end screen's "Was this helpful?".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from diagnostics import engine
from diagnostics.models import Feedback, Ticket

from .driver import ALL_FINE, NOT_FIXED, Helpdesk

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_390 = {"width": 390, "height": 844}


def escalate(desk: Helpdesk, guide: engine.Guide) -> None:
    desk.start()
    desk.answer_questions(guide, ALL_FINE)
    while desk.button(NOT_FIXED).count():
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide, ALL_FINE)  # a question may come between fixes
    expect(desk.heading).to_have_text("Let's get you some help")


def phone(new_context: Callable[..., BrowserContext], *, javascript: bool) -> Page:
    context = new_context(
        viewport=PHONE_390,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        java_script_enabled=javascript,
    )
    return context.new_page()


def in_first_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] + box["height"] <= PHONE_390["height"]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_person_sends_support_a_message_from_a_phone(
    new_context: Callable[..., BrowserContext],
    guide_steps: engine.Guide,
    screenshots: Path,
    javascript: bool,
) -> None:
    page = phone(new_context, javascript=javascript)
    desk = Helpdesk(page, javascript=javascript).open()
    escalate(desk, guide_steps)
    name = "htmx" if javascript else "no-js"
    page.screenshot(path=screenshots / f"escalation-form-{name}-390.png")

    # Above the fold: the code, one line on what happens next, and the form's start.
    for shown in (".support-code__value", ".next-step", "#contact-email"):
        assert in_first_screen(page, shown), shown
    # The rest is one tap away.
    expect(page.locator(".summary")).to_be_hidden()
    page.get_by_text("More: before you hear from us").click()
    expect(page.locator(".summary")).to_be_visible()

    # Neither email nor phone: told why, and the message typed is kept.
    page.get_by_label("Anything else we should know?").fill("My contacts vanished")
    desk.click("Send to support")
    expect(page.get_by_text("Give an email address or a phone number")).to_be_visible()
    expect(page.get_by_label("Anything else we should know?")).to_have_value("My contacts vanished")
    assert Ticket.objects.count() == 0

    page.get_by_label("Email").fill("ada@example.com")
    desk.click("Send to support")
    expect(page.get_by_text("Your message is with our support team")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_count(0)
    assert "ada@example.com" not in page.content()
    ticket = Ticket.objects.get()
    assert (ticket.email, ticket.message) == ("ada@example.com", "My contacts vanished")
    page.screenshot(path=screenshots / f"escalation-sent-{name}-390.png")

    desk.click("No")  # "Was this helpful?"
    expect(page.get_by_text("Thanks for your feedback")).to_be_visible()
    assert Feedback.objects.get().helpful is False


def test_an_end_screen_asks_was_this_helpful(
    new_context: Callable[..., BrowserContext], screenshots: Path
) -> None:
    page = phone(new_context, javascript=True)
    desk = Helpdesk(page).open().start()
    desk.answer("It shows a problem")  # Apple reports an outage: an end screen at once
    expect(page.get_by_role("heading", name="Was this helpful?")).to_be_visible()
    page.screenshot(path=screenshots / "feedback-390.png", full_page=True)
    page.get_by_label("Anything to add?").fill("Good to know it's not me")
    desk.click("Yes")
    expect(page.get_by_text("Thanks for your feedback")).to_be_visible()
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.comment) == (True, "Good to know it's not me")
