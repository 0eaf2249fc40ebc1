"""A guide file goes into the admin and comes back out as the same guide."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest

from diagnostics import engine
from diagnostics.authoring.guide_file import to_toml
from diagnostics.models import AuthorLogEntry, Guide
from tests.authoring import DRAFTS, author, import_text, publish
from tests.conftest import GUIDES_DIR

pytestmark = pytest.mark.django_db

SHIPPED = sorted(GUIDES_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_file_to_admin_to_file_gives_the_same_guide(path: Path) -> None:
    original = tomllib.loads(path.read_text("utf-8"))
    browser = author()
    draft = import_text(browser, path.read_text("utf-8"))
    assert draft.slug == path.stem
    page = browser.get(f"{DRAFTS}{draft.pk}/change/")
    assert "No problems" in page.content.decode()
    assert publish(browser, draft) == 302
    guide = Guide.objects.get(slug=path.stem)
    exported = browser.get(f"{DRAFTS}version/{guide.current_version_id}/export/")
    assert exported.status_code == 200
    assert exported["Content-Disposition"] == f'attachment; filename="{path.stem}.toml"'
    data = tomllib.loads(exported.content.decode())
    assert data == original
    assert engine.parse_guide(data) == engine.parse_guide(original)
    assert AuthorLogEntry.objects.filter(guide_slug=path.stem, action="imported").exists()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_export_is_canonical_whatever_the_order_of_keys(path: Path) -> None:
    data = tomllib.loads(path.read_text("utf-8"))

    def shuffled(value: object, rng: random.Random) -> object:
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {k: shuffled(v, rng) for k, v in items}
        if isinstance(value, list):
            return [shuffled(v, rng) for v in value]
        return value

    text = to_toml(data)
    assert to_toml(shuffled(data, random.Random(7))) == text
    assert text.index("[guide]") < text.index("[[question]]") < text.index("[[fix]]")
    assert text.index("[[fix]]") < text.index("[[outcome]]")
    assert "#" not in text.splitlines()[0]  # no comments: they are not data


def test_hostile_text_survives_the_round_trip() -> None:
    data = tomllib.loads((GUIDES_DIR / "icloud-contacts.toml").read_text("utf-8"))
    data["guide"]["title"] = 'Quotes " and \\ backslash, a tab\t, DEL \x7f, <script>'
    data["fix"][0]["steps"] = ["line one\nline two", "]] [[fix]] = not a table"]
    assert tomllib.loads(to_toml(data)) == data
