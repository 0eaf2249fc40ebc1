"""Support staff read the diagnosis list at 1280 px and a transcript on a phone.

A person goes back and starts over in a real browser; staff then see the list
with every column in view, and the transcript (Back, Start over and the link
to the diagnosis that replaced it) without the page scrolling sideways.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from diagnostics import engine
from diagnostics.models import Diagnosis, Guide

from .driver import ALL_FINE, PHONE, Helpdesk
from .screens import log_in_to_admin
from .test_accessibility import axe_violations
from .test_phone_layout import sideways_overflow

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP_1280 = {"width": 1280, "height": 800}
COLUMNS = ["Support code", "Status", "Kind", "Guide", "Embedded on", "Started", "Last step"]


@pytest.fixture
def started_over(
    new_context: Callable[..., BrowserContext], icloud_guide: Guide, guide_steps: engine.Guide
) -> Diagnosis:
    """Two answers, Back, then Start over: the diagnosis left behind."""
    person = Helpdesk(new_context().new_page()).open().start()
    first = guide_steps.questions[0]
    person.answer(first.choice(ALL_FINE[first.id]).label)
    second = guide_steps.question(Diagnosis.objects.get().last_step.partition(":")[2])
    assert second is not None
    person.answer(second.choice(ALL_FINE[second.id]).label)
    person.back()
    person.start_over()
    return Diagnosis.objects.get(started_over=True)


def test_the_list_shows_every_column_at_1280_px(
    new_context: Callable[..., BrowserContext], started_over: Diagnosis
) -> None:
    page = new_context(viewport=DESKTOP_1280).new_page()
    log_in_to_admin(page)
    page.goto("/admin/diagnostics/diagnosis/")
    expect(page.get_by_role("link", name=started_over.support_code)).to_be_visible()
    for column in COLUMNS:
        expect(page.get_by_role("columnheader", name=column)).to_be_in_viewport()
    # The table fits its box: nothing to scroll to, on the page or inside the list.
    assert sideways_overflow(page) <= 0
    assert (
        page.evaluate(
            "(() => { const box = document.querySelector('.results');"
            " return box.scrollWidth - box.clientWidth; })()"
        )
        <= 0
    )
    assert page.get_by_text("outcome:", exact=False).count() == 0  # no raw step ids
    assert axe_violations(page) == []


def test_a_transcript_with_back_and_start_over_reads_on_a_phone(
    new_context: Callable[..., BrowserContext], started_over: Diagnosis
) -> None:
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    page = new_context(**phone).new_page()
    log_in_to_admin(page)
    page.goto(f"/admin/diagnostics/diagnosis/{started_over.pk}/change/")
    transcript = page.locator("table.transcript")
    expect(transcript).to_contain_text("Went back")
    expect(transcript).to_contain_text("Started over")
    replacement = Diagnosis.objects.get(started_over=False)
    link = transcript.get_by_role("link", name=replacement.support_code)
    expect(link).to_be_visible()
    assert page.evaluate("innerWidth") == PHONE["width"]  # not zoomed out to fit
    assert sideways_overflow(page) <= 0
    assert axe_violations(page) == []
    link.click()
    expect(page.get_by_role("heading", name=replacement.support_code)).to_be_visible()
