"""The flow inside another site's iframe, in Chromium: a cross-site frame with no cookies.

The embedding page comes from a small server of its own at http://127.0.0.1:<port>,
while the help desk is the live server at http://localhost:<port>: two
different sites, so the iframe is cross-site and any cookie of it would be a
third-party one.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from diagnostics import engine
from diagnostics.models import Answer, Diagnosis

from .conftest import BrowserErrors
from .driver import ALL_FINE, FIXED, SLUG, Helpdesk
from .test_accessibility import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


class HostPage(BaseHTTPRequestHandler):
    """Another site's page: a heading and one iframe showing ``?src=``."""

    def do_GET(self) -> None:
        src = parse_qs(urlsplit(self.path).query).get("src", [""])[0]
        body = (
            "<!doctype html><html lang='en'><title>Shop help</title><h1>Need help?</h1>"
            f"<iframe src='{html.escape(src)}' title='Help desk'"
            " style='width: 100%; height: 900px; border: 0'></iframe></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass


def _site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(settings: object) -> Iterator[str]:
    """The origin of a site allowed to embed the help desk."""
    for origin in _site():
        settings.HELPDESK_EMBED_ORIGINS = [origin]
        yield origin


@pytest.fixture
def other_site(shop: str) -> Iterator[str]:
    """The origin of a site that is not on the list (which names the shop)."""
    yield from _site()


def host_page(context: BrowserContext, origin: str, src: str) -> Page:
    """The page at ``origin`` framing ``src``, loaded."""
    page = context.new_page()
    page.goto(f"{origin}/help?src={src}")
    return page


def the_frame(page: Page) -> Frame:
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None
    return frame


def test_a_whole_diagnosis_inside_another_sites_iframe(
    new_context: Callable[..., BrowserContext],
    live_server: object,
    shop: str,
    guide_steps: engine.Guide,
) -> None:
    context = new_context()
    page = host_page(context, shop, f"{live_server.url}/embed/guides/{SLUG}/")
    frame = the_frame(page)
    desk = Helpdesk(frame)  # a Frame answers the same calls as a Page
    expect(desk.heading).to_have_text("Let's get this sorted")
    # app.js binds the start ticket to this page with a random value of its own.
    browser_value = frame.locator("form input[name=browser]")
    expect(browser_value).to_have_attribute("value", re.compile(r"^[0-9a-f]{32}$"))
    desk.start()
    assert axe_violations(frame) == []  # the embedded question screen
    # Apple's status page opens in a new tab, not inside the shop's iframe.
    status_link = frame.locator('a[href="https://apple.com/support/systemstatus"]')
    expect(status_link).to_have_attribute("target", "_blank")
    first, second = guide_steps.questions[:2]
    choice = first.choice(ALL_FINE[first.id])
    assert choice is not None
    desk.answer(choice.label)
    # The header was drawn before Start, but its link to the guide list leads back here.
    with frame.expect_navigation():
        frame.locator("#brand").click()
    with frame.expect_navigation():
        frame.locator(".guide-card").first.click()
    expect(desk.heading).to_have_text(second.prompt)
    # Reloading the iframe (not the shop's page) comes back to the same step.
    with frame.expect_navigation():
        frame.evaluate("location.reload()")
    expect(desk.heading).to_have_text(second.prompt)
    desk.answer_questions(guide_steps, ALL_FINE)
    desk.answer(FIXED)

    expect(desk.heading).to_have_text("Your contacts are syncing again")
    assert page.url.startswith(f"{shop}/help")  # the shop's page never left
    assert context.cookies() == []  # nothing to block: no cookie was ever set
    assert Diagnosis.objects.get().status == Diagnosis.Status.RESOLVED


def test_a_site_not_on_the_list_cannot_frame_it(
    new_context: Callable[..., BrowserContext],
    live_server: object,
    other_site: str,
    browser_errors: BrowserErrors,
) -> None:
    browser_errors.allow("frame-ancestors")  # Chromium says why it left the frame empty
    context = new_context()
    page = host_page(context, other_site, f"{live_server.url}/embed/guides/{SLUG}/")
    frame = the_frame(page)
    frame.wait_for_load_state()
    # Chromium replaced the frame with its own error page: the help desk never showed.
    expect(frame.get_by_role("button", name="Start")).to_have_count(0)
    assert frame.url.startswith("chrome-error://"), frame.url


def test_an_unknown_guide_says_so_inside_the_iframe(
    new_context: Callable[..., BrowserContext], live_server: object, shop: str
) -> None:
    context = new_context()
    page = host_page(context, shop, f"{live_server.url}/embed/guides/no-such-guide/")
    frame = the_frame(page)
    expect(frame.get_by_role("heading", name="Page not found")).to_be_visible()
    link = frame.get_by_role("link", name="Go to the help desk")
    assert link.get_attribute("href") == "/embed/"


@pytest.mark.parametrize("origin", ["other_site", "shop"])
def test_another_sites_page_cannot_open_diagnoses_through_its_visitors(
    new_context: Callable[..., BrowserContext],
    live_server: object,
    request: pytest.FixtureRequest,
    origin: str,
    guide_steps: engine.Guide,
    browser_errors: BrowserErrors,
) -> None:
    """The red team's page: no-cors fetches and a posted form, from a page that is not
    the embed (an unlisted site, or even the embedding shop's own page)."""
    site = request.getfixturevalue(origin)
    browser_errors.allow("frame-ancestors")  # the unlisted site's frame stays empty
    page = new_context().new_page()
    page.goto(f"{site}/help?src=about:blank")
    start = f"{live_server.url}/embed/guides/{SLUG}/start/"
    statuses = page.evaluate(
        """async (url) => {
            const sent = [];
            for (let i = 0; i < 20; i++) {
                const response = await fetch(url, {method: "POST", mode: "no-cors", body: "x"});
                sent.push(response.type);  // "opaque": the page cannot read the answer
            }
            return sent;
        }""",
        start,
    )
    assert statuses == ["opaque"] * 20
    # An auto-submitted form, shown in a frame of the page.
    page.evaluate(
        """(url) => {
            const frame = document.createElement("iframe");
            frame.name = "desk";
            frame.title = "Help desk";
            const form = document.createElement("form");
            form.method = "post";
            form.action = url;
            form.target = "desk";
            document.body.append(frame, form);
            form.submit();
        }""",
        start,
    )
    shown = page.frame_locator("iframe[name=desk]")
    if origin == "shop":  # the shop may frame the embed: the refusal shows in its frame
        heading = shown.get_by_role("heading", name="This came from another website")
        expect(heading).to_be_visible()
    else:  # an unlisted site may not even show the refusal
        expect(shown.get_by_role("heading")).to_have_count(0)
    assert Diagnosis.objects.count() == 0


# --- the browser's Back and Forward inside the iframe --------------------------------


def question_prompt(guide: engine.Guide, question_id: str) -> str:
    question = guide.question(question_id)
    assert question is not None
    return question.prompt


def choice_label(guide: engine.Guide, question_id: str, choice_id: str) -> str:
    question = guide.question(question_id)
    assert question is not None
    choice = question.choice(choice_id)
    assert choice is not None
    return choice.label


def answers_given() -> list[tuple[str, str]]:
    return list(Answer.objects.order_by("position").values_list("question", "choice"))


def test_htmx_inside_an_iframe_adds_nothing_to_the_host_pages_history(
    new_context: Callable[..., BrowserContext],
    live_server: object,
    shop: str,
    guide_steps: engine.Guide,
) -> None:
    page = host_page(new_context(), shop, f"{live_server.url}/embed/guides/{SLUG}/")
    entries = page.evaluate("history.length")
    desk = Helpdesk(the_frame(page))
    desk.start()
    desk.answer(choice_label(guide_steps, "apple_status", "all_green"))
    desk.answer(choice_label(guide_steps, "account", "icloud"))
    restart = guide_steps.fix("restart").title  # first after the gates
    expect(desk.heading).to_have_text(restart)

    assert page.evaluate("history.length") == entries
    # Reloading the iframe comes back to the same step (its address was replaced).
    with desk.page.expect_navigation():
        desk.page.evaluate("location.reload()")
    expect(desk.heading).to_have_text(restart)


def test_back_inside_an_iframe_without_javascript_shows_the_previous_step(
    new_context: Callable[..., BrowserContext],
    live_server: object,
    shop: str,
    guide_steps: engine.Guide,
) -> None:
    page = host_page(
        new_context(java_script_enabled=False), shop, f"{live_server.url}/embed/guides/{SLUG}/"
    )
    desk = Helpdesk(the_frame(page), javascript=False)
    desk.start()
    desk.answer(choice_label(guide_steps, "apple_status", "all_green"))
    desk.answer(choice_label(guide_steps, "account", "icloud"))
    given = answers_given()

    with desk.page.expect_navigation():  # the browser's Back: the frame goes back
        page.evaluate("history.back()")  # (page.go_back waits for the top page to move)

    expect(desk.heading).to_have_text(question_prompt(guide_steps, "account"))
    expect(desk.page.locator(".notice--earlier")).to_be_visible()
    assert page.url.startswith(f"{shop}/help")  # the shop's page stays
    assert answers_given() == given
    desk.answer(choice_label(guide_steps, "account", "on_my_iphone"))  # the token came along
    expect(desk.heading).to_have_text(question_prompt(guide_steps, "contacts_sync"))
    assert answers_given() == [("apple_status", "all_green"), ("account", "on_my_iphone")]
