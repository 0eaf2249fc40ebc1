"""A tour of every distinct screen a person (or a support agent) can see.

``tour`` clicks through the guide and yields at each screen, so a test can
check the page as it stands (axe, tap targets, screenshots) before moving on.
Error screens are reached the way they happen to people: an unknown address,
a form from another browser, a session that ended, a cookie that was cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from playwright.sync_api import BrowserContext, Page, expect

from diagnostics import engine
from diagnostics.models import Diagnosis

from .driver import ALL_FINE, FIXED, GUIDE_URL, KEEP_ANSWERS, NOT_FIXED, Helpdesk

# iCloud is full, so the first fix has a "Good to know" note.
STORAGE_FULL = {**ALL_FINE, "storage": "nearly_full"}

ADMIN_USER = "support"
ADMIN_PASSWORD = "a long test-only password"

_SUBMIT_PLAIN_FORM = """([action, fields]) => {
  // A form htmx has never seen, so the browser posts it and loads the answer as a page.
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  const token = document.querySelector('input[name=csrfmiddlewaretoken]');
  fields = {csrfmiddlewaretoken: token ? token.value : '', ...fields};
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}"""


@dataclass(frozen=True)
class Screen:
    name: str
    page: Page
    public: bool = True  # False for the staff-only admin


def hidden_fields(page: Page) -> dict[str, str]:
    """The diagnosis id and step posted by the forms on the page."""
    return {
        "diagnosis": page.locator("input[name=diagnosis]").first.input_value(),
        "step": page.locator("input[name=step]").first.input_value(),
    }


def post_plain_form(page: Page, action: str, fields: dict[str, str]) -> None:
    """Post a form as a full page load, with this browser's own CSRF token."""
    with page.expect_navigation():
        page.evaluate(_SUBMIT_PLAIN_FORM, [action, fields])


def log_in_to_admin(page: Page) -> None:
    user_model = get_user_model()
    if not user_model.objects.filter(username=ADMIN_USER).exists():
        user_model.objects.create_superuser(ADMIN_USER, "support@example.com", ADMIN_PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(ADMIN_USER)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def tour(
    new_context: Callable[..., BrowserContext],
    guide: engine.Guide,
    *,
    include_admin: bool = True,
    **options: object,
) -> Iterator[Screen]:
    """Visit every screen in contexts made with ``options``; yield at each one."""
    page = new_context(**options).new_page()
    desk = Helpdesk(page)

    page.goto("/")
    yield Screen("guide-list", page)

    with page.expect_navigation():
        page.get_by_role("link", name=guide.title).click()
    expect(desk.heading).to_have_text("Let's get this sorted")
    yield Screen("start", page)

    desk.start()
    expect(desk.heading).to_have_text(guide.questions[0].prompt)
    yield Screen("question", page)

    desk.answer_questions(guide, STORAGE_FULL)
    # On to the first fix with a warning; questions may come between fixes.
    while not page.locator(".caution").count():
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide, STORAGE_FULL)
    expect(page.locator(".caution")).to_be_visible()
    yield Screen("fix", page)

    desk.click("Start over")  # half-way through: asked first
    expect(desk.heading).to_have_text("Start over from the first question?")
    yield Screen("confirm-start-over", page)
    desk.act(lambda: page.get_by_role("link", name=KEEP_ANSWERS).click())
    expect(page.locator(".caution")).to_be_visible()  # back on the same fix

    desk.answer(FIXED)
    expect(page.locator(".outcome--resolved")).to_be_visible()
    yield Screen("resolved", page)

    desk.start_over()
    desk.answer_questions(guide, {"apple_status": "outage"})
    expect(page.locator(".outcome--not_applicable")).to_be_visible()
    yield Screen("not-applicable", page)

    desk.start_over()
    desk.answer_questions(guide, ALL_FINE)
    while page.get_by_role("button", name=NOT_FIXED).count():
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide, ALL_FINE)  # a question may come between fixes
    expect(page.locator(".support-code__value")).to_be_visible()
    yield Screen("escalation", page)
    escalated = Diagnosis.objects.get(status=Diagnosis.Status.ESCALATED)

    page.goto("/guides/no-such-guide/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    yield Screen("error-404-unknown-guide", page)

    desk.open()
    desk.start_over()
    mine = hidden_fields(page)
    post_plain_form(page, f"{GUIDE_URL}answer/", {**mine, "choice": "not-a-choice"})
    expect(page.locator("[data-step-heading]")).to_have_text("That answer isn't one of the choices")
    yield Screen("error-400-bad-choice", page)

    other = new_context(**options).new_page()
    Helpdesk(other).open().start()
    post_plain_form(other, f"{GUIDE_URL}answer/", {**mine, "choice": "all_green"})
    expect(other.locator("[data-step-heading]")).to_have_text(
        "This diagnosis belongs to another browser"
    )
    yield Screen("error-403-other-browser", other)

    desk.open()
    page.context.clear_cookies(name="sessionid")
    desk.answer(guide.questions[0].choices[0].label)
    expect(desk.heading).to_have_text("Your session has ended")
    yield Screen("error-410-session-ended", page)

    desk.open().start()  # the session ended above, so this is a new diagnosis
    page.context.clear_cookies(name="csrftoken")
    post_plain_form(page, f"{GUIDE_URL}answer/", {**hidden_fields(page), "choice": "all_green"})
    expect(page.get_by_role("heading", level=1)).to_have_text("This page has expired")
    yield Screen("error-403-expired-form", page)

    if include_admin:
        admin = new_context(**options).new_page()
        log_in_to_admin(admin)
        admin.goto(f"/admin/diagnostics/diagnosis/{escalated.pk}/change/")
        expect(admin.locator("table.transcript")).to_be_visible()
        yield Screen("admin-transcript", admin, public=False)
        admin.goto("/admin/diagnostics/diagnosis/")
        expect(admin.get_by_role("link", name=escalated.support_code)).to_be_visible()
        yield Screen("admin-diagnosis-list", admin, public=False)
