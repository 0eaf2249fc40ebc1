"""Three complete paths through the iCloud guide, clicked through in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from diagnostics import engine
from diagnostics.models import Diagnosis, FixAttempt

from .driver import ALL_FINE, CANNOT, FIXED, LOTS_WRONG, NOT_FIXED, Helpdesk
from .expected import FIXES_WHEN_ALL_FINE, FIXES_WHEN_LOTS_WRONG, fix_titles

pytestmark = pytest.mark.django_db(transaction=True)


def only_diagnosis() -> Diagnosis:
    (diagnosis,) = Diagnosis.objects.all()
    return diagnosis


def test_resolved_by_the_first_fix(page: Page, guide_steps: engine.Guide) -> None:
    desk = Helpdesk(page).open()
    expect(desk.heading).to_have_text("Let's get this sorted")
    desk.start()

    asked = desk.answer_questions(guide_steps, ALL_FINE)

    # The gates, then the restart: it comes first whatever the other answers say, so
    # they are asked after it (the one-step look-ahead).
    assert len(asked) == 2
    # Of the fixes that apply with only the gates answered (not the toggle, which
    # needs the Contacts switch answer).
    expect(page.locator(".progress")).to_have_text("Fix 1 of up to 7")
    expect(desk.heading).to_have_text(fix_titles(guide_steps, FIXES_WHEN_ALL_FINE)[0])
    expect(page.locator("ol.steps li").first).to_be_visible()
    desk.answer(FIXED)

    expect(desk.heading).to_have_text("Your contacts are syncing again")
    expect(page.get_by_role("button", name=FIXED)).to_have_count(0)
    diagnosis = only_diagnosis()
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    assert list(diagnosis.attempts.values_list("result", flat=True)) == ["fixed"]
    assert diagnosis.answers.count() == 2


def test_resolved_after_several_fixes(page: Page, guide_steps: engine.Guide) -> None:
    offered = fix_titles(guide_steps, FIXES_WHEN_LOTS_WRONG)
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, LOTS_WRONG)

    expect(desk.heading).to_have_text(offered[0])
    desk.answer(NOT_FIXED)
    desk.answer_questions(guide_steps, LOTS_WRONG)  # a question may come between fixes
    expect(desk.heading).to_have_text(offered[1])
    desk.answer(CANNOT)
    desk.answer_questions(guide_steps, LOTS_WRONG)
    expect(desk.heading).to_have_text(offered[2])
    desk.answer(NOT_FIXED)
    desk.answer_questions(guide_steps, LOTS_WRONG)
    expect(desk.heading).to_have_text(offered[3])
    desk.answer(FIXED)

    expect(desk.heading).to_have_text("Your contacts are syncing again")
    diagnosis = only_diagnosis()
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    results = FixAttempt.objects.filter(diagnosis=diagnosis).values_list("result", flat=True)
    assert list(results) == ["not_fixed", "cannot", "not_fixed", "fixed"]


def test_nothing_works_ends_with_a_support_code(page: Page, guide_steps: engine.Guide) -> None:
    offered = fix_titles(guide_steps, FIXES_WHEN_ALL_FINE)
    desk = Helpdesk(page).open().start()
    desk.answer_questions(guide_steps, ALL_FINE)

    for title in offered:
        expect(desk.heading).to_have_text(title)
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide_steps, ALL_FINE)  # a question may come between fixes

    expect(desk.heading).to_have_text("Let's get you some help")
    diagnosis = only_diagnosis()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    code = page.locator(".support-code__value")
    expect(code).to_have_text(diagnosis.support_code)
    expect(code).to_be_visible()
    summary = page.locator(".summary")
    expect(summary).to_contain_text(diagnosis.support_code)
    expect(summary.locator("ol li")).to_have_count(len(offered))
    for title in offered:
        expect(summary).to_contain_text(title)
    # No way to answer anything more, but starting again is still offered.
    expect(page.get_by_role("button", name=NOT_FIXED)).to_have_count(0)
    expect(page.get_by_role("button", name="Start over")).to_be_visible()
