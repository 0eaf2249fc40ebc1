"""Guide authors may edit and publish; other staff (Support staff among them) may not."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from diagnostics.models import AuthorLogEntry, Guide, GuideDraft, GuideVersion
from tests.authoring import DRAFTS, author, new_version

pytestmark = pytest.mark.django_db


def reader() -> Client:
    """Staff who may look at drafts and guides, but not change or publish them."""
    user = User.objects.create_user("sam", password=None, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_guidedraft", "view_guide", "view_guideversion", "view_diagnosis"]
        )
    )
    browser = Client()
    browser.force_login(user)
    return browser


def state() -> tuple:
    return (
        list(GuideDraft.objects.values_list("pk", "revision", "data", "published_version")),
        list(GuideVersion.objects.values_list("pk", flat=True)),
        list(Guide.objects.values_list("pk", "current_version")),
        AuthorLogEntry.objects.count(),
    )


def test_the_guide_authors_group_has_exactly_the_authoring_permissions(db: None) -> None:
    group = Group.objects.get(name="Guide authors")
    assert set(group.permissions.values_list("codename", flat=True)) == {
        "add_guidedraft",
        "change_guidedraft",
        "delete_guidedraft",
        "view_guidedraft",
        "publish_guidedraft",
        "view_authorlogentry",
        "view_guide",
        "view_guideversion",
    }


def test_staff_without_the_group_can_read_but_not_edit_publish_or_roll_back(
    guide: Guide,
) -> None:
    draft = new_version(author(), guide.pk)
    data = draft.data
    data["guide"]["title"] = "Changed"
    GuideDraft.objects.filter(pk=draft.pk).update(data=data)
    GuideVersion.objects.create(
        guide=guide, number=0, checksum="x", source="", data=guide.current_version.data
    )
    browser = reader()
    assert browser.get(f"{DRAFTS}{draft.pk}/change/").status_code == 200
    html = browser.get(f"{DRAFTS}{draft.pk}/review/").content.decode()
    assert "Publish as a new version" not in html
    before = state()
    attempts = [
        (f"{DRAFTS}new/", {"start": "guide", "guide-slug": "x", "guide-title": "X"}),
        (f"{DRAFTS}{draft.pk}/fix/0/", {"revision": draft.revision, "id": "x"}),
        (f"{DRAFTS}{draft.pk}/fix/0/move/", {"revision": draft.revision, "direction": "down"}),
        (f"{DRAFTS}{draft.pk}/fix/0/delete/", {"revision": draft.revision}),
        (f"{DRAFTS}{draft.pk}/add/fix/", {"revision": draft.revision}),
        (f"{DRAFTS}{draft.pk}/guide/", {"revision": draft.revision, "title": "X"}),
        (f"{DRAFTS}{draft.pk}/toml/", {"revision": draft.revision, "text": "[guide]"}),
        (f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision}),
        (
            f"{DRAFTS}version/{guide.versions.get(number=0).pk}/rollback/",
            {"current": guide.current_version_id},
        ),
        (f"{DRAFTS}{draft.pk}/delete/", {"post": "yes"}),
    ]
    for url, form in attempts:
        assert browser.post(url, form).status_code == 403, url
    assert state() == before


def test_staff_with_no_draft_permission_cannot_even_preview(guide: Guide) -> None:
    draft = new_version(author(), guide.pk)
    user = User.objects.create_user("pat", password=None, is_staff=True)
    browser = Client()
    browser.force_login(user)
    before = state()
    assert browser.get(f"{DRAFTS}{draft.pk}/change/").status_code == 403
    assert browser.post(f"{DRAFTS}{draft.pk}/preview/").status_code == 403
    assert browser.get("/admin/preview/guides/icloud-contacts/step/1/").status_code == 403
    assert state() == before


def test_people_who_are_not_staff_are_sent_to_log_in(client: Client, guide: Guide) -> None:
    for url in (DRAFTS, f"{DRAFTS}new/", "/admin/preview/guides/icloud-contacts/step/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_a_guide_author_can_create_edit_and_publish(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    form = {
        "revision": draft.revision,
        "title": "iPhone contacts not in iCloud",
        "summary": "Short.",
        "resolved": "fixed",
        "exhausted": "escalate",
        "support_minutes": "45",
    }
    assert browser.post(f"{DRAFTS}{draft.pk}/guide/", form).status_code == 302
    draft.refresh_from_db()
    assert (
        browser.post(f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision}).status_code == 302
    )
    guide.refresh_from_db()
    assert guide.title == "iPhone contacts not in iCloud"
    log = list(AuthorLogEntry.objects.order_by("id").values_list("username", "action"))
    assert log == [("ada", "created"), ("ada", "edited"), ("ada", "published")]


def test_deleting_drafts_is_logged_one_by_one(guide: Guide) -> None:
    browser = author()
    drafts = [new_version(browser, guide.pk) for _ in range(2)]
    response = browser.post(
        DRAFTS,
        {"action": "delete_selected", "_selected_action": [d.pk for d in drafts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not GuideDraft.objects.exists()
    deleted = AuthorLogEntry.objects.filter(action="deleted").values_list("detail", flat=True)
    assert sorted(deleted) == sorted(f"draft {d.pk}" for d in drafts)
