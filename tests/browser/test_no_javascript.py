"""With JavaScript off, the whole guide still works through plain forms."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from diagnostics import engine
from diagnostics.models import Diagnosis

from .driver import ALL_FINE, GUIDE_URL, NOT_FIXED, Helpdesk
from .expected import FIXES_WHEN_ALL_FINE, fix_titles

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_path_to_escalation_without_javascript(
    new_context: Callable[..., BrowserContext], guide_steps: engine.Guide
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    desk = Helpdesk(page, javascript=False).open()
    assert page.evaluate("typeof window.htmx") == "undefined"  # no script has run
    desk.start()
    assert page.url.endswith(f"{GUIDE_URL}step/1/")  # the first step's own address

    desk.answer_questions(guide_steps, ALL_FINE)
    offered = fix_titles(guide_steps, FIXES_WHEN_ALL_FINE)
    expect(desk.heading).to_have_text(offered[0])
    desk.answer(NOT_FIXED)
    desk.answer_questions(guide_steps, ALL_FINE)  # a question may come between fixes
    expect(desk.heading).to_have_text(offered[1])
    desk.back()  # Back works as a plain form too
    expect(desk.heading).to_have_text(guide_steps.question("contacts_sync").prompt)
    desk.back()
    expect(desk.heading).to_have_text(offered[0])
    for title in offered:
        expect(desk.heading).to_have_text(title)
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide_steps, ALL_FINE)

    expect(desk.heading).to_have_text("Let's get you some help")
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    expect(page.locator(".support-code__value")).to_have_text(diagnosis.support_code)
    expect(page.locator(".summary .tried li")).to_have_count(len(offered))
    # Printing needs JavaScript, so its button stays out of the way.
    expect(page.get_by_role("button", name="Print or save this summary")).to_be_hidden()
    assert f"{GUIDE_URL}step/" in page.url  # post/redirect/get: reloading never re-posts

    desk.start_over()
    expect(desk.heading).to_have_text(guide_steps.questions[0].prompt)
