"""axe-core finds no WCAG 2.1 A/AA problem on any screen, in light or dark.

The same tour writes the screenshots: every screen at phone and desktop size,
in both colour schemes, into ``screenshots/`` (ignored by git).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page

from diagnostics import engine

from .driver import DESKTOP, PHONE
from .screens import tour

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()
EXPECTED_SCREENS = {
    "guide-list",
    "start",
    "question",
    "fix",
    "confirm-start-over",
    "resolved",
    "not-applicable",
    "escalation",
    "error-404-unknown-guide",
    "error-400-bad-choice",
    "error-403-other-browser",
    "error-410-session-ended",
    "error-403-expired-form",
    "admin-transcript",
    "admin-diagnosis-list",
}


def axe_violations(page: Page) -> list[str]:
    """One line per rule broken, with the first few offending elements."""
    if not page.evaluate("typeof window.axe === 'object'"):  # once per document
        page.evaluate(AXE.axe_script)
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    results = page.evaluate("options => axe.run(document, options)", options)
    lines = []
    for violation in results["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        summary = violation["nodes"][0].get("failureSummary", "").replace("\n", " ")
        lines.append(f"{violation['id']} ({violation['impact']}): {targets} {summary}")
    return lines


def save_screenshots(page: Page, folder: Path, name: str) -> None:
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=folder / f"{name}-{size_name}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_screen_has_no_wcag_violations(
    new_context: Callable[..., BrowserContext],
    guide_steps: engine.Guide,
    screenshots: Path,
    scheme: str,
) -> None:
    problems: dict[str, list[str]] = {}
    seen = set()
    for screen in tour(new_context, guide_steps, color_scheme=scheme):
        seen.add(screen.name)
        assert screen.page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        save_screenshots(screen.page, screenshots, f"{screen.name}-{scheme}")
        if found := axe_violations(screen.page):
            problems[screen.name] = found

    assert seen == EXPECTED_SCREENS
    assert problems == {}


def test_axe_does_catch_problems(page: Page) -> None:
    """The check above is only worth something if axe really looks: plant two problems."""
    page.goto("/")
    page.evaluate(
        """() => {
          const faint = document.createElement('p');
          faint.textContent = 'Barely readable';
          faint.style.color = '#c8c8c8';
          faint.style.background = '#ffffff';
          document.querySelector('main').append(faint, document.createElement('button'));
        }"""
    )
    found = {line.split(" ")[0] for line in axe_violations(page)}
    assert {"color-contrast", "button-name"} <= found
