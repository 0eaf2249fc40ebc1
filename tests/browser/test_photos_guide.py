"""The second guide in Chromium on a 390×844 phone: picked from the home page, then
walked to "fixed" and to "let's get you some help", by clicking what a person sees.

Each screen is checked as it stands (no sideways scrolling, tap targets of at
least 44 px, no axe violations) and saved as a PNG in screenshots/ to look at.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Page, expect

from diagnostics import engine
from diagnostics.models import Diagnosis, Guide

from .driver import FIXED, NOT_FIXED, Helpdesk
from .test_accessibility import axe_violations
from .test_phone_layout import _TAP_TARGETS, INTERACTIVE, MIN_TARGET, sideways_overflow

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "icloud-photos"
PHONE_390 = {"width": 390, "height": 844}

# The Photos app says Low Power Mode is holding uploads back; iCloud has room.
# In the order asked: after the gate, the question that saves the most first.
LOW_POWER = {
    "apple_status": "all_green",
    "storage": "plenty",
    "photos_sync": "on",
    "status": "low_power",
}
# No message in Photos, plenty of space, the photos missing on iCloud.com.
NO_REASON = {
    "apple_status": "all_green",
    "photos_sync": "on",
    "status": "other",
    "storage": "plenty",
    "icloud_web": "missing",
}
# Written down by hand from the guide's chances and minutes (as in expected.py),
# so a ranking bug shows as a wrong heading.
FIXES_WITH_NO_REASON = ("restart", "wait_online", "power", "data")


@pytest.fixture(scope="module")
def photos_steps() -> engine.Guide:
    path = Path(settings.HELPDESK_GUIDES_DIR) / f"{SLUG}.toml"
    return engine.load_guide(tomllib.loads(path.read_text("utf-8")))


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext], icloud_guide: Guide) -> Page:
    # The tour clicks through known steps: the author's order, not a learned one.
    Guide.objects.filter(slug=SLUG).update(pin_author_order=True)
    context = new_context(viewport=PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2)
    return context.new_page()


def check_screen(page: Page, folder: Path, name: str) -> None:
    """The screen fits the phone, every control is big enough to tap, axe finds nothing."""
    page.screenshot(path=folder / f"photos-{name}-phone.png", full_page=True)
    assert page.evaluate("innerWidth") == PHONE_390["width"]
    assert sideways_overflow(page) <= 0, name
    small = [
        t
        for t in page.evaluate(_TAP_TARGETS, INTERACTIVE)
        if min(t["width"], t["height"]) < MIN_TARGET
    ]
    assert small == [], name
    assert axe_violations(page) == [], name


def test_picked_from_the_home_page_and_fixed_by_the_message_it_names(
    phone: Page, photos_steps: engine.Guide, screenshots: Path
) -> None:
    phone.goto("/")
    cards = phone.locator(".guide-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("iPhone contacts not backing up to iCloud")
    expect(cards.nth(1)).to_contain_text(photos_steps.title)
    check_screen(phone, screenshots, "home")
    with phone.expect_navigation():
        cards.nth(1).click()
    assert phone.url.endswith(f"/guides/{SLUG}/")
    check_screen(phone, screenshots, "start")

    desk = Helpdesk(phone).start()
    for question_id in LOW_POWER:  # asked in this order
        question = photos_steps.question(question_id)
        assert question is not None
        expect(desk.heading).to_have_text(question.prompt)
        check_screen(phone, screenshots, f"question-{question_id}")
        desk.answer_questions(photos_steps, {question_id: LOW_POWER[question_id]})

    power = photos_steps.fix("power")
    assert power is not None
    expect(desk.heading).to_have_text(power.title)
    expect(phone.locator("ol.steps li")).to_have_count(len(power.steps))
    check_screen(phone, screenshots, "fix-power")
    desk.answer(FIXED)

    expect(desk.heading).to_have_text(photos_steps.outcomes["fixed"].title)
    check_screen(phone, screenshots, "fixed")
    (diagnosis,) = Diagnosis.objects.all()
    assert diagnosis.guide_version.guide.slug == SLUG
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    assert list(diagnosis.attempts.values_list("fix", "result")) == [("power", "fixed")]


def test_nothing_works_ends_with_help_and_the_photos_kept_safe(
    phone: Page, photos_steps: engine.Guide, screenshots: Path
) -> None:
    desk = Helpdesk(phone).open(f"/guides/{SLUG}/").start()
    asked = desk.answer_questions(photos_steps, NO_REASON)
    assert len(asked) == 5  # iCloud.com is asked about: the Photos app gave no reason

    for fix_id in FIXES_WITH_NO_REASON:
        fix = photos_steps.fix(fix_id)
        assert fix is not None
        expect(desk.heading).to_have_text(fix.title)
        check_screen(phone, screenshots, f"no-reason-fix-{fix_id}")
        desk.answer(NOT_FIXED)

    expect(desk.heading).to_have_text("Let's get you some help")
    # Above the fold: the code and the form; what to do (and not do) until
    # support answers is one tap away, under "More".
    phone.get_by_text("More: before you hear from us", exact=False).click()
    expect(phone.get_by_text("don't switch iCloud Photos off", exact=False)).to_be_visible()
    check_screen(phone, screenshots, "escalation")
    (diagnosis,) = Diagnosis.objects.all()
    assert diagnosis.status == Diagnosis.Status.ESCALATED
    expect(phone.locator(".support-code__value")).to_have_text(diagnosis.support_code)
