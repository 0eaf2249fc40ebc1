"""Every relative link in README.md and docs/ leads somewhere, down to the heading.

Links to other sites are not followed. Code blocks and inline code are skipped,
since they show commands and addresses rather than link to them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|\bsrc=\"([^\"]+)\"")


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code."""
    text = re.sub(r"(?ms)^\s*```.*?^\s*```", "", text)
    return re.sub(r"`[^`\n]*`", "", text)


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    anchors = set()
    for line in prose(path.read_text("utf-8")).splitlines():
        if match := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line):
            words = re.sub(r"[^\w\- ]", "", match[1].lower())
            anchors.add(words.replace(" ", "-"))
    return anchors


def relative_links(path: Path) -> list[str]:
    found = []
    for match in LINK.finditer(prose(path.read_text("utf-8"))):
        target = match[1] or match[2]
        if not re.match(r"[a-z][a-z0-9+.-]*:|//", target):  # not https:, mailto:, //host
            found.append(target)
    return found


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_points_at_something_that_exists(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in heading_anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_the_readme_links_every_page_in_docs() -> None:
    readme = ROOT / "README.md"
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in relative_links(readme)}
    pages = set((ROOT / "docs").glob("*.md"))
    assert pages
    assert sorted(p.name for p in pages - linked) == []


def test_the_link_check_sees_links_and_anchors(tmp_path: Path) -> None:
    """The helpers find what they must, so a green run means something."""
    page = tmp_path / "page.md"
    page.write_text(
        "# Local settings: the .env file\n\n"
        'See [a](docs/a.md#part), ![b](b.png), <img src="c.png"> and [d](https://x.org).\n'
        "`[not](a link)`\n```\n[nor](this)\n```\n"
    )
    assert relative_links(page) == ["docs/a.md#part", "b.png", "c.png"]
    assert heading_anchors(page) == {"local-settings-the-env-file"}
