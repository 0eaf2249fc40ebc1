"""Helpers for the authoring tests: staff browsers and drafts driven through the admin."""

from __future__ import annotations

import importlib
import re

from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from diagnostics.models import GuideDraft

DRAFTS = "/admin/diagnostics/guidedraft/"


def guide_authors() -> Group:
    """The group migration 0011 makes; made again as it does after a flush.

    Tests marked ``transaction=True`` empty every table when they end, the rows
    data migrations made included (tests/test_authoring_permissions.py checks
    the group the migration makes).
    """
    made_by = importlib.import_module("diagnostics.migrations.0009_authoring")
    group, created = Group.objects.get_or_create(name=made_by.GROUP)
    if created:
        group.permissions.set(
            Permission.objects.get(content_type__model=model, codename=codename)
            for model, codename in made_by.PERMISSIONS
        )
    return group


def author(name: str = "ada") -> Client:
    """A staff member in the Guide authors group, logged in."""
    user = User.objects.create_user(name, f"{name}@example.com", password=None, is_staff=True)
    user.groups.add(guide_authors())
    browser = Client()
    browser.force_login(user)
    return browser


def revision(html: str) -> str:
    match = re.search(r'name="revision" value="(\d+)"', html)
    assert match, "no revision field on the page"
    return match.group(1)


def new_version(browser: Client, guide_pk: int) -> GuideDraft:
    response = browser.post(f"{DRAFTS}new/", {"start": "version", "version-guide": guide_pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    return GuideDraft.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-2]))


def import_text(browser: Client, text: str) -> GuideDraft:
    response = browser.post(f"{DRAFTS}new/", {"start": "import", "import-text": text})
    assert response.status_code == 302, response.content.decode()[:2000]
    return GuideDraft.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-2]))


def save_raw(browser: Client, draft: GuideDraft, text: str) -> int:
    draft.refresh_from_db()
    response = browser.post(f"{DRAFTS}{draft.pk}/toml/", {"revision": draft.revision, "text": text})
    return response.status_code


def publish(browser: Client, draft: GuideDraft) -> int:
    draft.refresh_from_db()
    page = browser.get(f"{DRAFTS}{draft.pk}/review/")
    assert page.status_code == 200
    response = browser.post(f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision})
    return response.status_code
