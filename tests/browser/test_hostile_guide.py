"""A guide full of attacks, walked in a real browser with JavaScript on: nothing runs.

The hostile guide (tests/hostile_guide.py: 44 payloads in every text staff can
edit) is published the normal way and walked through every kind of screen: a
question, a fix, each kind of outcome, the escalation. Throughout, no dialog
opens, no console line names the payloads' marker, no request leaves for
another address (every one is caught and refused), the page holds no markup a
payload made, and every page keeps its strict Content-Security-Policy. On a
phone, long unbroken text (an address, a payload) wraps: nothing scrolls sideways.

Phone screenshots (390×844) of a fix screen, the hostile guide's and the
shipped guide's, go to ``screenshots/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, Response, Route

from diagnostics.catalog.files import read_guide_file
from diagnostics.catalog.publishing import publish_guide
from diagnostics.models import Guide
from tests.hostile_guide import MARKER, OUTSIDE, SLUG, write_hostile_guides

from .driver import ALL_FINE, GUIDE_URL, Helpdesk
from .test_phone_layout import sideways_overflow

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_390 = {"width": 390, "height": 844}
STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}

# Markup a payload made: an event handler, an attribute naming the marker or the
# outside address (bar a link that opens in a new tab with noopener noreferrer),
# a script not from our own files, or an element the pages never use.
_PAYLOAD_MARKUP = """([marker, outside]) => {
  const ours = (address) => address.startsWith(location.origin + '/');
  const never = ['IFRAME', 'OBJECT', 'EMBED', 'IMG', 'BASE', 'STYLE', 'VIDEO', 'MATH', 'FORM'];
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const named = a.value.includes(marker) || a.value.includes(outside);
      const safeLink = el.tagName === 'A' && a.name === 'href' && a.value.startsWith('https://')
        && el.target === '_blank' && el.rel === 'noopener noreferrer';
      if (/^on/i.test(a.name) || (named && !safeLink)) {
        found.push(`${el.tagName} ${a.name}=${a.value}`);
      }
    }
    if (el.tagName === 'SCRIPT' && !(el.src && ours(el.src))) {
      found.push(el.outerHTML.slice(0, 120));
    }
    const ourForm = el.tagName === 'FORM' && ours(el.action);
    if (never.includes(el.tagName) && el.closest('#panel') && !ourForm) {
      found.push(el.outerHTML.slice(0, 120));
    }
  }
  return found;
}"""


class Watch:
    """What the pages of one browser did that a payload could have caused."""

    def __init__(self, origin: str) -> None:
        self.origin = urlsplit(origin)
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.outside: list[str] = []
        self.policies: list[str] = []  # pages whose CSP was not the strict one
        self.pages_checked = 0

    def attach(self, context: BrowserContext) -> None:
        context.route("**/*", self._route)
        context.on("page", self._page)

    def _route(self, route: Route) -> None:
        address = urlsplit(route.request.url)
        if (address.scheme, address.netloc) == (self.origin.scheme, self.origin.netloc):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def _page(self, page: Page) -> None:
        page.on("dialog", self._dialog)
        page.on("console", lambda m: MARKER in m.text and self.console.append(m.text))
        page.on("response", self._response)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _response(self, response: Response) -> None:
        if "text/html" not in response.headers.get("content-type", ""):
            return
        self.pages_checked += 1
        header = response.headers.get("content-security-policy", "")
        found = {}
        for part in header.split(";"):
            name, *values = part.split()
            found[name] = values
        if {name: found.get(name) for name in STRICT} != STRICT or "unsafe" in header:
            self.policies.append(f"{response.url}: {header!r}")

    def assert_nothing_happened(self) -> None:
        assert self.dialogs == []
        assert self.console == []
        assert self.outside == []
        assert self.policies == []
        assert self.pages_checked > 0


@pytest.fixture
def hostile(icloud_guide: Guide, tmp_path: Path) -> Guide:
    """The hostile guides, published alongside the shipped ones, in the author's order."""
    for path in write_hostile_guides(tmp_path):
        publish_guide(guide_file=read_guide_file(path))
    Guide.objects.filter(slug=SLUG).update(pin_author_order=True)
    return Guide.objects.get(slug=SLUG)


@pytest.fixture
def watched(
    new_context: Callable[..., BrowserContext], live_server: object
) -> Callable[..., tuple[Page, Watch]]:
    def make(**options: object) -> tuple[Page, Watch]:
        watch = Watch(live_server.url)  # type: ignore[attr-defined]
        context = new_context(**options)
        watch.attach(context)
        return context.new_page(), watch

    return make


def assert_no_payload_markup(page: Page) -> None:
    assert page.evaluate(_PAYLOAD_MARKUP, [MARKER, OUTSIDE]) == []


def screen_kind(page: Page) -> str:
    if page.locator('button[name="choice"][value="not_fixed"]').count():
        return "fix"
    if page.locator('button[name="choice"]').count():
        return "question"
    outcome = page.locator(".outcome").first.get_attribute("class") or ""
    return outcome.split("outcome--")[-1]


def walk(page: Page, *, gate: str, fixes: str, shots: Path | None = None) -> list[str]:
    """Walk the hostile guide from its start screen to its end; the kinds of screen seen.

    With ``shots``, the genuine Markdown among the payloads is photographed there:
    the list in a question's help, and the first step of a fix.
    """
    desk = Helpdesk(page).open(f"/guides/{SLUG}/")
    assert_no_payload_markup(page)
    desk.start()
    seen = []
    while True:
        assert_no_payload_markup(page)
        assert sideways_overflow(page) <= 0  # long unbroken text wraps on a phone
        kind = screen_kind(page)
        seen.append(kind)
        if shots is not None and kind in ("question", "fix"):
            part = page.locator(".help ul" if kind == "question" else "ol.steps li").first
            part.screenshot(path=shots / f"hostile-{kind}-genuine-markdown-phone.png")
        if kind == "fix":
            choice = fixes
        elif kind == "question":
            step = page.locator("input[name=step]").first.input_value()
            choice = gate if step == "question:gate" else ""
        else:
            break
        named = f'[value="{choice}"]' if choice else ""  # else the first choice
        desk.act(page.locator(f'button[name="choice"]{named}').first.click)
    page.reload()  # the last screen as a whole page too
    assert_no_payload_markup(page)
    page.wait_for_timeout(300)  # time for anything queued (a timer, a refresh) to show
    return seen


def test_walking_the_hostile_guide_runs_nothing_and_reaches_nothing_outside(
    hostile: Guide, watched: Callable[..., tuple[Page, Watch]], screenshots: Path
) -> None:
    seen: set[str] = set()
    for gate, fixes in [("go", "not_fixed"), ("go", "fixed"), ("stop", "not_fixed")]:
        page, watch = watched(viewport=PHONE_390, is_mobile=True, has_touch=True)
        shots = screenshots if (gate, fixes) == ("go", "fixed") else None
        kinds = walk(page, gate=gate, fixes=fixes, shots=shots)
        if shots is not None:
            page.screenshot(path=screenshots / "hostile-resolved-phone.png")  # the top of it
        watch.assert_nothing_happened()
        seen.update(kinds)
    assert {"question", "fix", "escalate", "resolved", "not_applicable"} <= seen


def test_the_home_page_lists_hostile_titles_as_text(
    hostile: Guide, watched: Callable[..., tuple[Page, Watch]]
) -> None:
    page, watch = watched()
    page.goto("/")
    assert page.locator("text=<script>alert('xss-fired')</script>").count() >= 1
    assert_no_payload_markup(page)
    page.wait_for_timeout(300)
    watch.assert_nothing_happened()


def test_the_shipped_guides_fix_screen_on_a_phone(
    icloud_guide: Guide, watched: Callable[..., tuple[Page, Watch]], screenshots: Path
) -> None:
    """The shipped guide's text still draws its links, new tab and all, at phone size."""
    page, watch = watched(viewport=PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2)
    desk = Helpdesk(page).open(GUIDE_URL).start()
    page.screenshot(path=screenshots / "rich-text-question-phone.png", full_page=True)
    link = page.locator(".help a").first
    assert link.get_attribute("href") == "https://apple.com/support/systemstatus"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.locator(".visually-hidden").text_content() == " (opens in a new tab)"
    while screen_kind(page) == "question":
        step = page.locator("input[name=step]").first.input_value().partition(":")[2]
        desk.act(page.locator(f'button[name="choice"][value="{ALL_FINE[step]}"]').click)
    assert screen_kind(page) == "fix"
    assert page.locator("ol.steps li").count() >= 2
    page.screenshot(path=screenshots / "rich-text-fix-phone.png", full_page=True)
    watch.assert_nothing_happened()
