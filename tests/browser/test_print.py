"""The escalation summary prints cleanly: just the code and the story, black on white."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from diagnostics import engine

from .driver import NOT_FIXED, Helpdesk
from .screens import ALL_FINE

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_escalation_summary_prints_cleanly(
    page: Page, guide_steps: engine.Guide, screenshots: Path
) -> None:
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, ALL_FINE)
    while desk.button(NOT_FIXED).count():
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide_steps, ALL_FINE)  # a question may come between fixes

    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_text("More: before you hear from us").click()  # the summary's disclosure
    page.get_by_role("button", name="Print or save this summary").click()
    assert page.evaluate("window.printed") == 1

    code = page.locator(".support-code__value").inner_text()
    # Paper gets the summary whether or not the disclosure was left open.
    page.evaluate("() => document.querySelector('details.more').open = false")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    for scheme in ("light", "dark"):  # paper is white whatever the screen's scheme
        page.emulate_media(media="print", color_scheme=scheme)
        for kept in (".support-code", ".summary", ".summary .tried", "h1"):
            expect(page.locator(kept).first).to_be_visible()
        for dropped in (".site-header", ".step-nav", ".progress", "button", "form"):
            expect(page.locator(dropped).first).to_be_hidden()
        colours = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.body).color]"
        )
        assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"], scheme
        page.screenshot(path=screenshots / f"escalation-print-{scheme}.png", full_page=True)
    page.pdf(path=screenshots / "escalation-print.pdf", format="A4")
    assert code in page.locator(".summary").inner_text()
