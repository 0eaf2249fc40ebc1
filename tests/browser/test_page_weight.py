"""Page weight: the first page costs at most 60 KB compressed, every asset included,
and each htmx step swap returns at most 6 KB of HTML (the escalation screen,
which also carries the form to reach support, "Was this helpful?" and a
summary of every fix tried, at most 8 KB).

How it is measured. Every response the browser received is counted: its headers
as sent (Playwright's ``request.sizes()``) plus its body as production would
send it. The test server sends every body uncompressed. In production
WhiteNoise serves static files pre-compressed with gzip (level 9, made by
``collectstatic``), while HTML pages go out uncompressed (no GZipMiddleware,
and the bundled nginx does not compress). So static bodies are counted at
their gzip size (or as they arrived, if they arrived compressed) and HTML at
its full size. The numbers are written to ``screenshots/page-weight.txt``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from diagnostics import engine

from .driver import GUIDE_URL, LOTS_WRONG, NOT_FIXED, Helpdesk
from .expected import FIXES_WHEN_LOTS_WRONG

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_PAGE_BUDGET = 60 * 1024
SWAP_BUDGET = 6 * 1024
ESCALATION_BUDGET = 8 * 1024  # its ticket and feedback forms, and the summary


@dataclass(frozen=True)
class Transfer:
    url: str
    raw: int  # headers + body as the test server sent them
    compressed: int  # headers + body as production sends them


def measure(response: Response) -> Transfer:
    sizes = response.request.sizes()
    headers = sizes["responseHeadersSize"]
    body = response.body()
    if response.headers.get("content-encoding"):
        sent = sizes["responseBodySize"]
    elif response.headers.get("content-type", "").startswith("text/html"):
        sent = len(body)
    else:  # a static file: WhiteNoise keeps a gzip copy if it saves at least 5%
        gzipped = len(gzip.compress(body, compresslevel=9, mtime=0))
        sent = gzipped if gzipped <= 0.95 * len(body) else len(body)
    return Transfer(response.url, headers + len(body), headers + sent)


def first_visit(page: Page, path: str) -> list[Transfer]:
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(path, wait_until="networkidle")
    return [measure(response) for response in responses]


def report(folder: Path, lines: list[str]) -> None:
    with (folder / "page-weight.txt").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n\n")


@pytest.mark.parametrize("path", ["/", GUIDE_URL], ids=["guide-list", "guide-start"])
def test_the_first_page_is_at_most_60_kb_compressed(
    page: Page, live_server: object, screenshots: Path, path: str
) -> None:
    transfers = first_visit(page, path)

    origin = urlsplit(live_server.url).netloc
    assert {urlsplit(t.url).netloc for t in transfers} == {origin}  # nothing from elsewhere
    kinds = {urlsplit(t.url).path.rsplit(".", 1)[-1] for t in transfers}
    assert {"css", "js"} <= kinds  # the stylesheet and scripts were counted
    total = sum(t.compressed for t in transfers)
    report(
        screenshots,
        [
            f"First visit to {path}: {total / 1024:.1f} KB as production sends it "
            f"({sum(t.raw for t in transfers) / 1024:.1f} KB uncompressed)"
        ]
        + [f"  {t.compressed:>6} B  ({t.raw:>6} B raw)  {urlsplit(t.url).path}" for t in transfers],
    )
    assert total <= FIRST_PAGE_BUDGET


def test_every_step_swap_is_at_most_6_kb_of_html(
    page: Page, guide_steps: engine.Guide, screenshots: Path
) -> None:
    swaps: list[tuple[str, int]] = []

    def record(response: Response) -> None:
        if response.request.headers.get("hx-request") == "true":
            swaps.append((urlsplit(response.url).path, len(response.body())))

    desk = Helpdesk(page).open()
    page.on("response", record)
    desk.start()
    desk.answer_questions(guide_steps, LOTS_WRONG)
    while desk.button(NOT_FIXED).count():
        desk.answer(NOT_FIXED)
        desk.answer_questions(guide_steps, LOTS_WRONG)  # a question may come between fixes
    expect(page.locator(".summary .tried li")).to_have_count(len(FIXES_WHEN_LOTS_WRONG))
    desk.start_over()

    assert len(swaps) >= 6 + 10 + 1
    *steps, escalation = swaps[:-1]  # the last swap is Start over's fresh start screen
    largest = max(size for _, size in steps)
    report(
        screenshots,
        [f"Step swaps: {len(swaps)}, largest {largest} B of HTML (uncompressed)"]
        + [f"  {size:>6} B  {path}" for path, size in swaps],
    )
    assert largest <= SWAP_BUDGET
    assert escalation[1] <= ESCALATION_BUDGET
