"""Drive the help desk in a real browser the way a person does: by clicking what they see.

``Helpdesk`` knows nothing about URLs or form fields beyond opening the guide;
it finds buttons by their visible names and waits for the page to change. With
JavaScript on, a click is answered by an htmx swap of the step panel; with it
off, by a full page load (post/redirect/get). Both end with a settled panel.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page

from diagnostics import engine

SLUG = "icloud-contacts"
GUIDE_URL = f"/guides/{SLUG}/"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}

# The visible labels of the "Did this fix it?" buttons.
FIXED = "Yes, it's fixed"
NOT_FIXED = "No, still not working"
CANNOT = "I can't do this step"
# The confirmation asked before starting over half-way through.
CONFIRM_START_OVER = "Yes, start over"
KEEP_ANSWERS = "No, keep my answers"

# Answers used across the browser tests.
# Fine on every count: only the fixes for everyone are offered. (iCloud.com not
# checked, so every question is asked, the other devices' one included.)
ALL_FINE = {
    "apple_status": "all_green",
    "account": "icloud",
    "icloud_web": "cannot_check",
    "contacts_sync": "on",
    "storage": "plenty",
    "same_account": "only_iphone",
}
# Many things might be wrong, so the most fixes apply (the longest summary).
LOTS_WRONG = {
    "apple_status": "cannot_check",
    "account": "on_my_iphone",
    "icloud_web": "cannot_check",
    "contacts_sync": "off",
    "storage": "nearly_full",
    "same_account": "no",
}

_MARK_PANEL = "() => { const p = document.getElementById('panel'); if (p) p.dataset.old = '1'; }"
_PANEL_SETTLED = """() => {
  const p = document.getElementById('panel');
  return !!p && !p.dataset.old && document.readyState === 'complete'
    && !p.matches('.htmx-request, .htmx-swapping, .htmx-settling');
}"""


class Helpdesk:
    """One person's browser tab on the iCloud guide."""

    def __init__(self, page: Page, *, javascript: bool = True) -> None:
        self.page = page
        self.javascript = javascript

    # --- looking -------------------------------------------------------------

    @property
    def heading(self) -> Locator:
        return self.page.locator("[data-step-heading]")

    @property
    def heading_text(self) -> str:
        return self.heading.inner_text().strip()

    @property
    def panel(self) -> Locator:
        return self.page.locator("#panel")

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    @property
    def progress_text(self) -> str:
        return self.page.locator(".progress").inner_text().strip()

    # --- doing -----------------------------------------------------------------

    def open(self, path: str = GUIDE_URL) -> Helpdesk:
        self.page.goto(path)
        return self

    def act(self, do: Callable[[], object]) -> None:
        """Do something that replaces the step panel, and wait until the new one settles."""
        if not self.javascript:  # every click is a full page load
            with self.page.expect_navigation():
                do()
            return
        self.page.evaluate(_MARK_PANEL)
        do()
        self.page.wait_for_function(_PANEL_SETTLED, polling="raf")

    def click(self, name: str) -> None:
        self.act(lambda: self.button(name).click())

    def start(self) -> Helpdesk:
        self.click("Start")
        return self

    def answer(self, label: str) -> None:
        self.click(label)

    def back(self) -> None:
        self.click("Back")

    def start_over(self) -> None:
        """Start over, saying yes when asked (half-way through a diagnosis)."""
        self.click("Start over")
        if self.button(CONFIRM_START_OVER).count():
            self.click(CONFIRM_START_OVER)

    def reload(self) -> None:
        self.act(self.page.reload)

    def answer_questions(self, guide: engine.Guide, answers: dict[str, str]) -> list[str]:
        """Answer every question shown that ``answers`` (question id: choice id) covers.

        Clicks the choice's visible label; returns the prompts in the order asked.
        """
        asked = []
        by_prompt = {q.prompt: q for q in guide.questions}
        while (question := by_prompt.get(self.heading_text)) and question.id in answers:
            asked.append(question.prompt)
            choice = question.choice(answers[question.id])
            assert choice is not None, f"{question.id} has no choice {answers[question.id]!r}"
            self.answer(choice.label)
        return asked
