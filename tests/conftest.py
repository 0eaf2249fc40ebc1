"""Shared fixtures. Browser fixtures live in tests/browser/conftest.py."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from diagnostics import engine
from diagnostics.embed import sites
from diagnostics.learning.evidence import forget_evidence
from diagnostics.models import Guide, forget_parsed_guides
from ops import outage, ratelimit

GUIDES_DIR = Path(__file__).resolve().parent.parent / "diagnostics" / "guides"
SLUG = "icloud-contacts"


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Collect static files once, as the production image does.

    Tests run with DEBUG off, so pages use WhiteNoise's compressed manifest
    storage exactly as in production; a missing or renamed asset fails here.
    """
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture(autouse=True)
def _fresh_parsed_guides() -> Iterator[None]:
    """Each test starts with no parsed guides cached.

    Rolled-back test transactions reuse GuideVersion keys on SQLite, which
    production never does; the per-process cache must not outlive a test.
    Nor may a guide's cached evidence.
    """
    forget_parsed_guides()
    forget_evidence()
    yield
    forget_parsed_guides()
    forget_evidence()


@pytest.fixture
def fixed_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every diagnosis started in the test gets the same seed, so the same exploration draw.

    With evidence, the planner draws from the posterior once per diagnosis. Tests
    about something else (the words of the why line, an order staying put) use
    this so that a rare draw cannot change their premise.
    """
    monkeypatch.setattr("diagnostics.flow.commands.new_seed", lambda: 1)


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Each test starts with no client noted as over its rate limit and no database
    marked down: both are per-process memories that must not outlive a test."""
    ratelimit.notes.clear()
    outage.guard.reset()
    yield
    ratelimit.notes.clear()
    outage.guard.reset()


@pytest.fixture(autouse=True)
def _fresh_embedding_sites() -> Iterator[None]:
    """Each test reads the embedding sites afresh: the per-process list must not outlive it."""
    sites.forget()
    yield
    sites.forget()


@pytest.fixture(scope="session")
def guide_data() -> dict[str, Any]:
    """The shipped iCloud guide, as plain data."""
    return tomllib.loads((GUIDES_DIR / f"{SLUG}.toml").read_text("utf-8"))


@pytest.fixture(scope="session")
def icloud(guide_data: dict[str, Any]) -> engine.Guide:
    return engine.load_guide(guide_data)


# Every guide file that ships; tests that must hold for each guide take ``shipped_guide``.
SHIPPED_SLUGS = sorted(path.stem for path in GUIDES_DIR.glob("*.toml"))


def read_shipped_guide(slug: str) -> engine.Guide:
    return engine.load_guide(tomllib.loads((GUIDES_DIR / f"{slug}.toml").read_text("utf-8")))


@pytest.fixture(scope="session", params=SHIPPED_SLUGS)
def shipped_guide(request: pytest.FixtureRequest) -> engine.Guide:
    """Each shipped guide in turn, parsed and fully validated."""
    return read_shipped_guide(request.param)


@pytest.fixture(scope="session")
def photos() -> engine.Guide:
    """The shipped iCloud Photos guide."""
    return read_shipped_guide("icloud-photos")


@pytest.fixture
def guide(db: None) -> Guide:
    """The shipped guides, loaded into the test database as a user would find them."""
    call_command("load_guides", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Guide.objects.select_related("current_version").get(slug=SLUG)


class Flow:
    """Drives the guide through its real forms, like a browser with or without htmx."""

    def __init__(self, client: Client, *, slug: str = SLUG, htmx: bool = False) -> None:
        self.client = client
        self.slug = slug
        self.htmx = htmx
        self.url = f"/guides/{slug}/"
        self.page = self.url  # the address of the page shown last
        self.html = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"HX-Request": "true"} if self.htmx else {}

    def get(self, url: str = "") -> str:
        """Open ``url`` (the guide's address: the start screen or the current step)."""
        response = self.client.get(url or self.url, headers=self.headers)
        self.page = url or self.url
        if response.status_code == 302:  # on to the current step's own address
            self.page = response["Location"]
            response = self.client.get(self.page, headers=self.headers)
        assert response.status_code == 200
        self.html = response.content.decode()
        return self.html

    def post(self, action: str, data: dict[str, str] | None = None) -> Any:
        response = self.client.post(f"{self.url}{action}/", data or {}, headers=self.headers)
        if response.status_code == 200:
            self.html = response.content.decode()
            self.page = response.get("HX-Push-Url") or response.get("HX-Replace-Url") or self.page
        elif response.status_code == 303:
            assert response["Location"].startswith(f"{self.url}step/")
            self.get(response["Location"])
        return response

    def start(self) -> Flow:
        self.get()
        self.post("start", {"ticket": self.field("ticket")})
        return self

    # What the current page shows.
    def field(self, name: str) -> str:
        match = re.search(rf'name="{name}" value="([^"]*)"', self.html)
        assert match, f"no {name} field on the page"
        return match.group(1)

    @property
    def step(self) -> str:
        return self.field("step")

    @property
    def diagnosis(self) -> str:
        return self.field("diagnosis")

    @property
    def heading(self) -> str:
        match = re.search(r"data-step-heading[^>]*>([^<]*)<", self.html)
        assert match
        return match.group(1).strip()

    @property
    def choices(self) -> list[str]:
        return re.findall(r'name="choice" value="([^"]*)"', self.html)

    def form(self, **overrides: str) -> dict[str, str]:
        """The step form's hidden fields, as a browser would post them, and ``overrides``."""
        fields = {"diagnosis": self.diagnosis, "step": self.step}
        for name in ("position", "revision"):  # only on an earlier step
            if f'name="{name}"' in self.html:
                fields[name] = self.field(name)
        return {**fields, **overrides}

    def answer(self, choice: str) -> Any:
        return self.post("answer", self.form(choice=choice))

    def back(self) -> Any:
        return self.post("back", self.form())

    def restart(self, *, confirm: bool = True) -> Any:
        """Start over; half-way through, that takes "Yes, start over" (``confirm``)."""
        return self.post("restart", {**self.form(), **({"confirm": "on"} if confirm else {})})

    def answer_questions(self, answers: dict[str, str]) -> None:
        """Answer every question on the path from ``answers``; stop at the first fix."""
        while self.step.startswith("question:"):
            self.answer(answers[self.step.partition(":")[2]])

    def walk(self, answers: dict[str, str], *, fixes: str = "not_fixed") -> None:
        """Answer questions from ``answers`` and give every fix the result ``fixes``."""
        while self.choices:
            kind, _, step_id = self.step.partition(":")
            self.answer(answers[step_id] if kind == "question" else fixes)


@pytest.fixture
def flow(client: Client, guide: Guide) -> Flow:
    return Flow(client)


@pytest.fixture
def htmx_flow(client: Client, guide: Guide) -> Flow:
    return Flow(client, htmx=True)


# Answers that lead to the fix phase with the most fixes applicable (iCloud.com
# not checked, so the other devices' question is asked too).
EVERYTHING_UNSURE = {
    "apple_status": "all_green",
    "account": "not_sure",
    "icloud_web": "cannot_check",
    "contacts_sync": "not_sure",
    "storage": "not_sure",
    "same_account": "not_sure",
}


@pytest.fixture
def unsure() -> dict[str, str]:
    return dict(EVERYTHING_UNSURE)
