"""The one-line snippet on a shop's page, in Chromium at phone size.

The shop's page comes from a small server of its own at http://127.0.0.1:<port>
and pastes the snippet (``static/helpdesk/embed.js``); the help desk is the live
server at http://localhost:<port>. Two different sites, so the iframe is
cross-site, and its cookies would be third-party ones.

Third-party cookies are switched on or off through Chromium's own preference
(``profile.cookie_controls_mode`` in a fresh profile), and a probe inside the
frame checks the switch took: the flow must work either way, since it sets no
cookie at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, Playwright, expect

from diagnostics import engine
from diagnostics.models import Diagnosis, EmbedSite, Guide

from .conftest import CHROMIUM_ARGS, BrowserErrors
from .driver import ALL_FINE, FIXED, LOTS_WRONG, NOT_FIXED, SLUG, Helpdesk
from .screens import log_in_to_admin
from .test_accessibility import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_390 = {"width": 390, "height": 844}
ACCENT = "#c2185b"  # a shop's raspberry: passes AA in light; the dark scheme gets a lighter shade
RECORD_EVENTS = """
window.helpdeskEvents = [];
["helpdesk:step", "helpdesk:resolved", "helpdesk:escalated", "helpdesk:resize"].forEach(
  function (type) {
    document.addEventListener(type, function (event) {
      window.helpdeskEvents.push({type: type, on: event.target.tagName, detail: event.detail});
    });
  });
"""


class ShopPage(BaseHTTPRequestHandler):
    """A shop's help page: some text above, the snippet, and a recorder of its events."""

    desk = ""  # the help desk's address, set per test

    def do_GET(self) -> None:
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Shop help</title></head><body><h1>Need help with your phone?</h1>"
            "<p>Our help desk walks you through it, one step at a time.</p>"
            f"<script>{RECORD_EVENTS}</script>"
            f"<script src='{self.desk}/static/helpdesk/embed.js' data-guide='{SLUG}' async>"
            "</script><footer><p>Shop footer</p></footer></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(desk: str) -> Iterator[str]:
    handler = type("Shop", (ShopPage,), {"desk": desk})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(live_server: Any, icloud_guide: Guide, settings: Any) -> Iterator[str]:
    settings.HELPDESK_EMBED_ORIGINS = []  # only the admin's list
    yield from _serve(live_server.url)


@pytest.fixture
def shop_site(shop: str) -> EmbedSite:
    return EmbedSite.objects.create(origin=shop, name="Phone shop", accent=ACCENT)


@pytest.fixture
def phone_profile(
    playwright_driver: Playwright,
    chromium_executable: str,
    tmp_path: Path,
    browser_errors: BrowserErrors,
) -> Iterator[Callable[..., BrowserContext]]:
    """A phone-sized Chromium with a fresh profile, third-party cookies allowed or blocked."""
    made: list[BrowserContext] = []

    def make(*, third_party_cookies: bool, **options: Any) -> BrowserContext:
        profile = tmp_path / f"profile-{len(made)}"
        (profile / "Default").mkdir(parents=True)
        prefs = {"profile": {"cookie_controls_mode": 0 if third_party_cookies else 1}}
        (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
        context = playwright_driver.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_executable,
            headless=True,
            args=CHROMIUM_ARGS,
            **{"viewport": PHONE_390, "is_mobile": True, "has_touch": True, **options},
        )
        context.set_default_timeout(10_000)
        context.on("page", browser_errors.watch)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert browser_errors.unexpected == [], "the browser reported errors"


def open_shop(context: BrowserContext, shop: str) -> tuple[Page, Frame]:
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{shop}/help")
    return page, the_frame(page)


def the_frame(page: Page) -> Frame:
    handle = page.locator("iframe.helpdesk-frame").element_handle()
    frame = handle.content_frame()
    assert frame is not None
    return frame


def events(page: Page, kind: str | None = None) -> list[dict[str, Any]]:
    seen = page.evaluate("window.helpdeskEvents")
    return [event for event in seen if kind is None or event["type"] == kind]


def assert_fits(page: Page, frame: Frame) -> None:
    """The iframe is as tall as its content, which needs no scrollbar inside it."""
    for _ in range(50):
        height = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
        content, scrollable, visible = frame.evaluate(
            "[Math.ceil(document.body.getBoundingClientRect().height),"
            " document.documentElement.scrollHeight, document.documentElement.clientHeight]"
        )
        if abs(height - content) <= 1 and scrollable <= visible:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"iframe {height}px, content {content}px, scrolls {scrollable}>{visible}")


def assert_top_in_view(page: Page) -> None:
    top, viewport = page.evaluate(
        "[document.querySelector('iframe').getBoundingClientRect().top, innerHeight]"
    )
    assert -1 < top < viewport, f"the iframe's top is at {top}px of a {viewport}px screen"


def probe_third_party_cookies(frame: Frame) -> bool:
    """Whether the frame may set a cookie (run last: it leaves one behind if so)."""
    return frame.evaluate(
        "document.cookie = 'probe=1; SameSite=None; Secure'; document.cookie.includes('probe')"
    )


@pytest.mark.parametrize("third_party_cookies", [True, False], ids=["cookies-on", "cookies-off"])
def test_a_whole_path_through_the_snippet_on_a_phone(
    phone_profile: Callable[..., BrowserContext],
    shop: str,
    shop_site: EmbedSite,
    guide_steps: engine.Guide,
    third_party_cookies: bool,
    screenshots: Path,
) -> None:
    context = phone_profile(third_party_cookies=third_party_cookies)
    page, frame = open_shop(context, shop)
    desk = Helpdesk(frame)
    expect(desk.heading).to_have_text("Let's get this sorted")
    # The snippet put the iframe where it stood, titled from the guide.
    after = page.evaluate(
        "document.querySelector('iframe').nextElementSibling.nextElementSibling.src"
    )
    assert after.endswith("/static/helpdesk/embed.js")  # the snippet's own tag
    expect(page.locator("iframe")).to_have_attribute("title", f"{guide_steps.title} — Help desk")
    assert_fits(page, frame)
    history = page.evaluate("history.length")

    desk.start()
    first = guide_steps.questions[0]
    expect(desk.heading).to_have_text(first.prompt)
    assert_fits(page, frame)
    choice = first.choice(ALL_FINE[first.id])
    assert choice is not None
    desk.answer(choice.label)
    second = guide_steps.questions[1]
    expect(desk.heading).to_have_text(second.prompt)
    assert_fits(page, frame)
    assert_top_in_view(page)
    # The shop heard of the question swapped in (events before the reload are gone after it).
    page.wait_for_function(
        "window.helpdeskEvents.some(e => e.type === 'helpdesk:step' && !e.detail.loaded)"
    )
    swapped = [e["detail"] for e in events(page, "helpdesk:step") if not e["detail"]["loaded"]]
    assert swapped == [  # Start swapped in the first question, the answer the second
        {"kind": "question", "number": 1, "outcome": None, "loaded": False},
        {"kind": "question", "number": 2, "outcome": None, "loaded": False},
    ]

    # The phone restarts and the shop's page reloads: the person is back at the same step.
    page.reload()
    frame = the_frame(page)
    desk = Helpdesk(frame)
    expect(desk.heading).to_have_text(second.prompt)
    assert_fits(page, frame)

    step = 0
    by_prompt = {q.prompt: q for q in guide_steps.questions}
    while (question := by_prompt.get(desk.heading_text)) is not None:
        picked = question.choice(ALL_FINE[question.id])
        assert picked is not None
        desk.answer(picked.label)
        assert_fits(page, frame)
        assert_top_in_view(page)
        step += 1
        page.screenshot(path=screenshots / f"embed-phone-step{step}.png")  # what the phone shows
    expect(desk.button(FIXED)).to_be_visible()
    desk.answer(FIXED)
    expect(desk.heading).to_have_text("Your contacts are syncing again")
    assert_fits(page, frame)
    assert_top_in_view(page)
    page.screenshot(path=screenshots / "embed-phone-resolved.png")  # what the phone shows

    page.wait_for_function("window.helpdeskEvents.some(e => e.type === 'helpdesk:resolved')")
    resolved = events(page, "helpdesk:resolved")
    assert resolved == [
        {"type": "helpdesk:resolved", "on": "IFRAME", "detail": {"outcome": "resolved"}}
    ]
    # Since the reload: the resumed step (just loaded), then each step as it came.
    steps = [e["detail"] for e in events(page, "helpdesk:step")]
    assert steps[0] == {"kind": "question", "number": 2, "outcome": None, "loaded": True}
    # With both gates answered, the restart comes next: a fix, then the outcome.
    assert {s["kind"] for s in steps[1:] if not s["loaded"]} == {"fix", "outcome"}
    assert steps[-1] == {"kind": "outcome", "number": None, "outcome": "resolved", "loaded": False}
    assert all(
        set(e["detail"]) <= {"kind", "number", "outcome", "loaded"}
        for e in events(page, "helpdesk:step")
    )
    assert events(page, "helpdesk:resize")
    # The flow added nothing to the shop page's history, and set no cookie.
    assert page.evaluate("history.length") == history
    assert context.cookies() == []
    assert probe_third_party_cookies(frame) is third_party_cookies

    diagnosis = Diagnosis.objects.get()
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    assert diagnosis.embed_site == shop_site


def test_the_shop_hears_of_an_escalation_with_its_support_code(
    phone_profile: Callable[..., BrowserContext],
    shop: str,
    shop_site: EmbedSite,
    guide_steps: engine.Guide,
    screenshots: Path,
) -> None:
    page, frame = open_shop(phone_profile(third_party_cookies=False), shop)
    desk = Helpdesk(frame)
    desk.start()
    # Questions can come between fixes (the planner asks one when it pays off).
    while desk.answer_questions(guide_steps, LOTS_WRONG) or desk.button(NOT_FIXED).count():
        if desk.button(NOT_FIXED).count():
            desk.answer(NOT_FIXED)
        assert_fits(page, frame)
        assert_top_in_view(page)
    code = frame.locator(".support-code__value")
    expect(code).to_be_visible()
    assert_fits(page, frame)
    page.screenshot(path=screenshots / "embed-phone-escalated.png")  # what the phone shows
    page.wait_for_function("window.helpdeskEvents.some(e => e.type === 'helpdesk:escalated')")
    diagnosis = Diagnosis.objects.get()
    assert events(page, "helpdesk:escalated") == [
        {
            "type": "helpdesk:escalated",
            "on": "IFRAME",
            "detail": {"supportCode": diagnosis.support_code},
        }
    ]
    assert code.inner_text() == diagnosis.support_code
    assert events(page, "helpdesk:resolved") == []


def test_a_shop_not_on_the_list_shows_a_link_instead_of_a_broken_frame(
    phone_profile: Callable[..., BrowserContext],
    shop: str,
    live_server: Any,
    browser_errors: BrowserErrors,
) -> None:
    EmbedSite.objects.create(origin="https://another-shop.example", name="Another shop")
    browser_errors.allow("frame-ancestors")  # Chromium says why it left the frame empty
    page, frame = open_shop(phone_profile(third_party_cookies=True), shop)
    link = page.get_by_role("link", name="Open it in a new tab")
    expect(link).to_be_visible()
    assert link.get_attribute("href") == f"{live_server.url}/guides/{SLUG}/"
    expect(page.locator("iframe")).to_be_hidden()
    assert frame.url.startswith("chrome-error://"), frame.url
    assert not Diagnosis.objects.exists()


def test_staff_see_the_site_and_can_switch_it_off(
    phone_profile: Callable[..., BrowserContext],
    new_context: Callable[..., BrowserContext],
    shop: str,
    shop_site: EmbedSite,
    live_server: Any,
    browser_errors: BrowserErrors,
) -> None:
    page, frame = open_shop(phone_profile(third_party_cookies=False), shop)
    Helpdesk(frame).start()
    diagnosis = Diagnosis.objects.get()

    admin = new_context().new_page()
    log_in_to_admin(admin)
    # The diagnosis is listed under its site, and shows it.
    admin.goto(f"/admin/diagnostics/diagnosis/?embed_site__id__exact={shop_site.pk}")
    expect(admin.get_by_role("link", name=diagnosis.support_code)).to_be_visible()
    other = EmbedSite.objects.create(origin="https://other.example", name="Other shop")
    admin.goto(f"/admin/diagnostics/diagnosis/?embed_site__id__exact={other.pk}")
    expect(admin.get_by_role("link", name=diagnosis.support_code)).to_have_count(0)
    admin.goto(f"/admin/diagnostics/diagnosis/{diagnosis.pk}/change/")
    expect(admin.locator(".field-embed_site")).to_contain_text("Phone shop")

    # The site's page has the snippet to paste, and switching the site off takes effect.
    admin.goto(f"/admin/diagnostics/embedsite/{shop_site.pk}/change/")
    snippet = admin.get_by_label("Snippet for iPhone contacts not backing up to iCloud")
    script = f"{live_server.url}/static/helpdesk/embed.js"
    expect(snippet).to_have_value(f'<script src="{script}" data-guide="{SLUG}" async></script>')
    admin.get_by_label("Active").uncheck()
    with admin.expect_navigation():
        admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")

    browser_errors.allow("frame-ancestors")
    page.reload()
    expect(page.get_by_role("link", name="Open it in a new tab")).to_be_visible()
    assert the_frame(page).url.startswith("chrome-error://")


DARK_ACCENT = "#f48fb1"  # a pink light enough for the dark scheme


@pytest.mark.parametrize(
    ("site_scheme", "device", "accent", "shown"),
    [
        ("auto", "light", ACCENT, ACCENT),
        ("auto", "dark", ACCENT, "#dd80a5"),  # the accent lightened for the dark scheme
        ("dark", "light", DARK_ACCENT, DARK_ACCENT),
        ("light", "dark", ACCENT, ACCENT),
    ],
)
def test_a_themed_frame_has_no_wcag_violations(
    phone_profile: Callable[..., BrowserContext],
    shop: str,
    guide_steps: engine.Guide,
    site_scheme: str,
    device: str,
    accent: str,
    shown: str,
    screenshots: Path,
) -> None:
    EmbedSite.objects.create(origin=shop, name="Phone shop", accent=accent, scheme=site_scheme)
    page, frame = open_shop(phone_profile(third_party_cookies=False, color_scheme=device), shop)
    desk = Helpdesk(frame)
    expect(desk.heading).to_have_text("Let's get this sorted")
    dark = site_scheme == "dark" or (site_scheme == "auto" and device == "dark")
    css = "getComputedStyle(document.documentElement).getPropertyValue('--accent')"
    assert frame.evaluate(css).strip() == shown
    background = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(14, 17, 22)" if dark else "rgb(243, 245, 248)")
    problems = {}
    name = f"embed-{site_scheme}-on-{device}"
    for screen in ("start", "question", "fix", "resolved"):
        if screen == "question":
            desk.start()
        elif screen == "fix":
            desk.answer_questions(guide_steps, ALL_FINE)
        elif screen == "resolved":
            desk.answer(FIXED)
        page.screenshot(path=screenshots / f"{name}-{screen}.png", full_page=True)
        if found := axe_violations(frame):
            problems[screen] = found
    assert problems == {}
