"""Browser fixtures: Debian's Chromium driven by Playwright against the live server.

One Chromium runs for the whole session; every test gets fresh browser contexts
(fresh cookies, so a fresh "browser" as far as the help desk can tell).

Chromium comes from ``CHROMIUM_PATH`` (default ``/usr/bin/chromium``). Without
it the browser tests are skipped with the reason, except under ``CI=true``,
where a missing browser fails the run: CI must never pass by running nothing.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

from diagnostics import engine
from diagnostics.models import Guide
from tests.local_services import under_ci

from .driver import DESKTOP, PHONE, SLUG

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium, or a skip (a failure under CI) saying why there is none."""
    wanted = os.environ.get("CHROMIUM_PATH", "").strip() or "/usr/bin/chromium"
    found = shutil.which(wanted)
    if found is None:
        reason = (
            f"Chromium not found at {wanted!r}: install Debian's package "
            "(apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary."
        )
        if under_ci():
            pytest.fail(f"CI=true and no browser for the browser tests. {reason}", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def playwright_driver(chromium_executable: str) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_executable: str) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(
        executable_path=chromium_executable,
        headless=True,
        args=CHROMIUM_ARGS,
        # Playwright turns the back/forward cache off; people's browsers have it on.
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="module", autouse=True)
def _live_server_settings() -> Iterator[None]:
    """Settings the live server needs under test, and nothing more.

    * Plain static URLs, which the live server serves straight from ``static/``:
      the test settings run with DEBUG off, so production's manifest storage
      would need ``collectstatic`` first, and the live server cannot serve
      hashed names. (What production sends is measured in test_page_weight.)
    * A fast password hasher, for the staff account that reads the admin.
    """
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(STORAGES=storages, PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture
def icloud_guide(transactional_db: None) -> Guide:
    """The shipped guides, published into the (flushed after each test) database.

    Pinned to the author's order: the tours click through known steps, and once
    a diagnosis has ended, a learned guide may ask its questions in another order.
    """
    with open(os.devnull, "w") as quiet:
        call_command("load_guides", stdout=quiet)
    Guide.objects.filter(slug=SLUG).update(pin_author_order=True)
    return Guide.objects.get(slug=SLUG)


class BrowserErrors:
    """Script errors and console errors from every page of a test.

    "Failed to load resource" is left out: error screens are 4xx responses on
    purpose, and some tests cut the network. Anything else, including a
    Content-Security-Policy refusal, is a real problem a person would hit.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        """Expect console errors containing ``text`` (htmx logs failed requests)."""
        self.allowed.append(text)

    @property
    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(text in e for text in self.allowed)]

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.seen.append(f"{page.url}: {message.text}")


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def new_context(
    browser: Browser, live_server: object, icloud_guide: Guide, browser_errors: BrowserErrors
) -> Iterator[Callable[..., BrowserContext]]:
    """Make a browser context (its own cookies) on the live server; closed after the test.

    The test errors if any page showed a script error or a console error.
    """
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = browser.new_context(
            **{"base_url": live_server.url, "viewport": DESKTOP, "locale": "en-GB", **options}
        )
        context.set_default_timeout(10_000)
        context.on("page", browser_errors.watch)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert browser_errors.unexpected == [], "the browser reported errors"


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A desktop-sized page with JavaScript on."""
    return new_context().new_page()


@pytest.fixture
def phone_page(new_context: Callable[..., BrowserContext]) -> Page:
    """A phone: 375×812 CSS pixels, touch, mobile viewport rules."""
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    return context.new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where screenshots and the page-weight report go (ignored by git)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "page-weight.txt").unlink(missing_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def guide_steps() -> engine.Guide:
    """The shipped guide as the engine reads it: prompts, labels and titles to click and expect."""
    path = Path(settings.HELPDESK_GUIDES_DIR) / f"{SLUG}.toml"
    return engine.load_guide(tomllib.loads(path.read_text("utf-8")))
