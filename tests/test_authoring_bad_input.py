"""Bad input to the authoring admin gets a clear 4xx page and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from diagnostics.models import AuthorLogEntry, Guide, GuideDraft, GuideVersion
from tests.authoring import DRAFTS, author, new_version

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        list(GuideDraft.objects.order_by("pk").values_list("pk", "revision", "data")),
        list(GuideVersion.objects.values_list("pk", flat=True)),
        list(Guide.objects.values_list("pk", "current_version", "title")),
        AuthorLogEntry.objects.count(),
    )


@pytest.fixture
def setting(guide: Guide) -> tuple[Client, GuideDraft]:
    browser = author()
    return browser, new_version(browser, guide.pk)


@pytest.mark.parametrize(
    "text",
    [
        "this is [not toml",
        '[guide]\nslug = "x"\nslug = "twice"\n',
        "\x00\x01binary",
        "just = 1\n",  # TOML, but no [guide] slug
        '[guide]\nslug = "../../etc"\n',
    ],
    ids=["syntax", "duplicate-key", "binary", "no-slug", "hostile-slug"],
)
def test_garbage_toml_is_refused_with_a_400(setting: tuple, text: str) -> None:
    browser, draft = setting
    before = state()
    raw = browser.post(f"{DRAFTS}{draft.pk}/toml/", {"revision": draft.revision, "text": text})
    assert raw.status_code == 400
    assert "Nothing was saved." in raw.content.decode()
    imported = browser.post(f"{DRAFTS}new/", {"start": "import", "import-text": text})
    assert imported.status_code == 400
    assert state() == before


def test_a_file_that_is_not_utf8_is_refused(setting: tuple) -> None:
    browser, _ = setting
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = state()
    upload = SimpleUploadedFile("guide.toml", b"\xff\xfe[guide]", content_type="application/toml")
    response = browser.post(f"{DRAFTS}new/", {"start": "import", "import-file": upload})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert state() == before


def test_a_draft_cannot_change_its_slug(setting: tuple) -> None:
    browser, draft = setting
    before = state()
    text = '[guide]\nslug = "another-guide"\n'
    response = browser.post(f"{DRAFTS}{draft.pk}/toml/", {"revision": draft.revision, "text": text})
    assert response.status_code == 400
    assert state() == before


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("{draft}/fix/999/", 400),
        ("{draft}/fix/-1/", 404),
        ("{draft}/nonsense/0/", 400),
        ("{draft}/fix/999/move/", 400),
        ("{draft}/nonsense/0/delete/", 400),
        ("{draft}/add/nonsense/", 400),
        ("99999/fix/0/", 404),
        ("99999/review/", 404),
        ("99999/change/", 404),
        ("abc/change/", 404),
        ("version/99999/rollback/", 404),
        ("versions/99999/", 404),
        ("version/99999/export/", 404),
    ],
)
def test_tampered_ids_are_refused(setting: tuple, url: str, status: int) -> None:
    browser, draft = setting
    before = state()
    address = DRAFTS + url.format(draft=draft.pk)
    form = {"revision": draft.revision, "direction": "up", "current": "1"}
    response = browser.post(address, form, follow=True)  # the admin redirects odd paths
    assert response.status_code == status, response.content.decode()[:500]
    assert state() == before


def test_a_stale_or_garbled_revision_changes_nothing(setting: tuple) -> None:
    browser, draft = setting
    before = state()
    for revision in (draft.revision + 1, "x", ""):
        moved = browser.post(
            f"{DRAFTS}{draft.pk}/fix/0/move/", {"revision": revision, "direction": "down"}
        )
        assert moved.status_code in (400, 409)
    stale = browser.post(f"{DRAFTS}{draft.pk}/fix/0/move/", {"revision": 7, "direction": "down"})
    assert stale.status_code == 409
    assert "another tab" in stale.content.decode()
    bad_direction = browser.post(
        f"{DRAFTS}{draft.pk}/fix/0/move/", {"revision": draft.revision, "direction": "sideways"}
    )
    assert bad_direction.status_code == 400
    assert state() == before


def test_the_post_only_addresses_say_so_when_opened(setting: tuple) -> None:
    browser, draft = setting
    before = state()
    for url in ("fix/0/move/", "fix/0/delete/", "add/fix/", "preview/"):
        response = browser.get(f"{DRAFTS}{draft.pk}/{url}")
        assert response.status_code == 405, url
    assert state() == before


def test_a_post_without_the_csrf_token_is_refused(guide: Guide) -> None:
    from django.contrib.auth.models import User

    browser = Client(enforce_csrf_checks=True)
    author()  # the group's member exists; log in as them without a token
    browser.force_login(User.objects.get(username="ada"))
    draft = new_version(author("bob"), guide.pk)
    before = state()
    response = browser.post(f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision})
    assert response.status_code == 403
    assert state() == before


def test_a_published_draft_can_no_longer_be_edited(setting: tuple) -> None:
    browser, draft = setting
    data = draft.data
    data["guide"]["title"] = "New title"
    GuideDraft.objects.filter(pk=draft.pk).update(data=data)
    assert (
        browser.post(f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision}).status_code == 302
    )
    draft.refresh_from_db()
    before = state()
    response = browser.post(
        f"{DRAFTS}{draft.pk}/fix/0/move/", {"revision": draft.revision, "direction": "down"}
    )
    assert response.status_code == 409
    assert state() == before


def test_the_slugs_kept_for_previews_cannot_be_taken(setting: tuple) -> None:
    browser, _ = setting
    before = state()
    new = browser.post(
        f"{DRAFTS}new/",
        {"start": "guide", "guide-slug": "preview-draft-1", "guide-title": "Sneaky"},
    )
    assert new.status_code == 400
    imported = browser.post(
        f"{DRAFTS}new/", {"start": "import", "import-text": '[guide]\nslug = "preview-draft-1"\n'}
    )
    assert imported.status_code == 400
    assert state() == before
