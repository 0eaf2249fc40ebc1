"""Staff read the dashboard's "Was this helpful?" section at 1280 px and on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from diagnostics.models import Feedback, Guide
from tests.dashboard_data import make, shown

from .screens import log_in_to_admin
from .test_accessibility import axe_violations
from .test_phone_layout import sideways_overflow

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LONG = (
    "The restart helped, but only after I found the button on the side; a picture of it"
    " would have saved me ten minutes. <b>Thanks</b> & goodbye."
)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_feedback_section_reads_at_1280_px_and_on_a_phone(
    new_context: Callable[..., BrowserContext],
    icloud_guide: Guide,
    screenshots: Path,
    size: str,
) -> None:
    cache.clear()  # the live counts of the other size's run, whose database was flushed
    version = icloud_guide.current_version
    assert version is not None
    for hours, (helpful, comment) in enumerate(((True, LONG), (False, "No."), (True, ""))):
        diagnosis = make(
            version,
            at=timezone.now() - timedelta(hours=hours + 1),
            status="resolved",
            last_step="outcome:fixed",
            events=[shown("outcome:fixed")],
        )
        Feedback.objects.create(diagnosis=diagnosis, helpful=helpful, comment=comment)
    page = new_context(viewport=SIZES[size]).new_page()
    log_in_to_admin(page)
    page.goto("/admin/diagnostics/dashboard/")
    expect(page.get_by_role("heading", name="Was this helpful?")).to_be_visible()
    answers = page.get_by_role("table", name='Answers to "Was this helpful?"')
    expect(answers.get_by_role("cell", name="67% (n = 3)")).to_be_visible()
    comments = page.get_by_role("table", name="The 2 newest comments, newest first")
    expect(comments.get_by_text("<b>Thanks</b> & goodbye.", exact=False)).to_be_visible()
    assert sideways_overflow(page) <= 0
    assert axe_violations(page) == []
    page.evaluate("document.getElementById('dash-feedback').scrollIntoView({block: 'start'})")
    page.screenshot(path=screenshots / f"dashboard-feedback-{size}.png")
