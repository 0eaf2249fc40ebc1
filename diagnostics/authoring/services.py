"""Drafts of guides: create, edit, import, publish, roll back, export, preview.

Every change to a draft is a compare-and-swap on ``GuideDraft.revision`` (a
form from an older page, or a second click, changes nothing and raises
:class:`StaleDraft`), and writes one :class:`~diagnostics.models.AuthorLogEntry`
in the same transaction. Publishing goes through the catalog's own
:func:`~diagnostics.catalog.publishing.publish_guide`, so a draft becomes an
immutable ``GuideVersion`` exactly as a guide file does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F

from diagnostics import engine
from diagnostics.authoring import edits
from diagnostics.authoring.diff import GuideDiff, guide_diff
from diagnostics.authoring.guide_file import GuideTextError, from_toml, to_toml
from diagnostics.authoring.problems import Problems, draft_problems
from diagnostics.catalog.files import GuideFile
from diagnostics.catalog.publishing import publish_guide
from diagnostics.learning.evidence import forget_fixes
from diagnostics.models import PREVIEW_SLUG_PREFIX, AuthorLogEntry, Guide, GuideDraft, GuideVersion

type User = AbstractBaseUser | AnonymousUser
Action = AuthorLogEntry.Action


class AuthoringError(Exception):
    """A request that cannot be carried out; nothing was changed. ``status`` for the page."""

    status = 400
    title = "That can't be done"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleDraft(AuthoringError):
    status = 409
    title = "The draft changed since this page was shown"


class AlreadyPublished(AuthoringError):
    status = 409
    title = "This draft is already published"


class HasProblems(AuthoringError):
    title = "This draft has problems"


class BadGuideText(AuthoringError):
    title = "That is not a guide file"


def _log(
    *,
    user: User,
    action: str,
    slug: str,
    draft: GuideDraft | None = None,
    version: GuideVersion | None = None,
    detail: str = "",
) -> None:
    AuthorLogEntry.objects.create(
        user=user if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        action=action,
        guide_slug=slug,
        draft=draft,
        version=version,
        detail=detail[:300],
    )


# --- drafts ---------------------------------------------------------------------


def new_guide_draft(*, user: User, slug: str, title: str) -> GuideDraft:
    """A draft of a guide that does not exist yet, from the smallest valid guide."""
    _slug_of({"guide": {"slug": slug}})
    if Guide.objects.filter(slug=slug).exists():
        raise AuthoringError(
            f"A guide with the slug '{slug}' already exists: start a new version of it instead."
        )
    with transaction.atomic():
        draft = GuideDraft.objects.create(
            slug=slug, data=edits.skeleton(slug=slug, title=title), created_by=_user(user)
        )
        _log(user=user, action=Action.CREATED, slug=slug, draft=draft, detail="new guide")
    return draft


def version_draft(*, user: User, guide: Guide) -> GuideDraft:
    """A draft of a new version of ``guide``, copied from its current version."""
    version = guide.current_version
    if version is None:
        raise AuthoringError("This guide has no published version to copy.")
    with transaction.atomic():
        draft = GuideDraft.objects.create(
            slug=guide.slug, base_version=version, data=version.data, created_by=_user(user)
        )
        _log(
            user=user,
            action=Action.CREATED,
            slug=guide.slug,
            draft=draft,
            version=version,
            detail=f"copied from version {version.number}",
        )
    return draft


def import_draft(*, user: User, text: str) -> GuideDraft:
    """A draft from a guide file's text. Problems in it are shown on the draft, not refused;
    text that is not TOML, or has no ``[guide]`` slug, is refused (:class:`BadGuideText`)."""
    try:
        data = from_toml(text)
    except GuideTextError as error:
        raise BadGuideText(str(error)) from None
    slug = _slug_of(data)
    guide = Guide.objects.filter(slug=slug).select_related("current_version").first()
    with transaction.atomic():
        draft = GuideDraft.objects.create(
            slug=slug,
            base_version=guide.current_version if guide else None,
            data=data,
            created_by=_user(user),
        )
        _log(user=user, action=Action.IMPORTED, slug=slug, draft=draft)
    return draft


def _slug_of(data: Mapping[str, Any]) -> str:
    meta = data.get("guide")
    slug = meta.get("slug") if isinstance(meta, dict) else None
    if not isinstance(slug, str) or not slug or not all(c.isalnum() or c in "-_" for c in slug):
        raise BadGuideText(
            "The file needs a [guide] table whose slug is made of letters, digits, - and _."
        )
    if slug.startswith(PREVIEW_SLUG_PREFIX):  # the hidden guides previews run on
        raise BadGuideText(f"Slugs starting with '{PREVIEW_SLUG_PREFIX}' are kept for previews.")
    return slug


def _user(user: User) -> Any:
    return user if user.is_authenticated else None


def change_draft(
    *,
    user: User,
    draft: GuideDraft,
    revision: int,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    detail: str,
) -> GuideDraft:
    """Apply ``change`` to the draft's data, provided the form was made from ``revision``."""
    if draft.published_version_id is not None:
        raise AlreadyPublished("A published draft can no longer be changed; start a new one.")
    data = change(draft.data)
    if _slug_of(data) != draft.slug:
        raise AuthoringError(f"The slug stays '{draft.slug}': it is the guide's address.")
    with transaction.atomic():
        updated = GuideDraft.objects.filter(
            pk=draft.pk, revision=revision, published_version__isnull=True
        ).update(data=data, revision=F("revision") + 1)
        if not updated:
            raise StaleDraft(
                "Someone (or another tab) saved this draft after this page was shown."
                " Nothing was changed; here is the draft as it is now."
            )
        _log(user=user, action=Action.EDITED, slug=draft.slug, draft=draft, detail=detail)
    draft.refresh_from_db()
    return draft


def save_raw(*, user: User, draft: GuideDraft, revision: int, text: str) -> GuideDraft:
    """Replace the whole draft with a guide file's text (the raw TOML view)."""
    try:
        data = from_toml(text)
    except GuideTextError as error:
        raise BadGuideText(str(error)) from None
    return change_draft(
        user=user, draft=draft, revision=revision, change=lambda _: data, detail="raw TOML"
    )


def delete_draft(*, user: User, draft: GuideDraft) -> None:
    with transaction.atomic():
        _log(user=user, action=Action.DELETED, slug=draft.slug, detail=f"draft {draft.pk}")
        draft.delete()


# --- review and publishing ----------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """What publishing the draft would do."""

    problems: Problems
    current: GuideVersion | None
    diff: GuideDiff
    moved_on: bool  # the guide was published again since the draft was copied

    @property
    def can_publish(self) -> bool:
        return not self.problems and not self.diff.unchanged


def review(*, draft: GuideDraft) -> Review:
    guide = Guide.objects.filter(slug=draft.slug).select_related("current_version").first()
    current = guide.current_version if guide else None
    return Review(
        problems=draft_problems(draft.data),
        current=current,
        diff=guide_diff(current.data if current else {}, draft.data),
        moved_on=current is not None and current.pk != draft.base_version_id,
    )


def _publish_data(*, slug: str, data: Mapping[str, Any], header: str) -> GuideVersion:
    """Store ``data`` as the guide's next version; the canonical file is its source."""
    with transaction.atomic():
        latest = (
            GuideVersion.objects.select_for_update()
            .filter(guide__slug=slug)
            .order_by("-number")
            .first()
        )
        number = latest.number + 1 if latest else 1
        source = to_toml(data, header=f"{header.format(number=number)}")
        guide, problems = engine.guide_problems(from_toml(source))
        if guide is None or problems:  # checked before; a guard, never reached by a form
            raise HasProblems("This guide has problems: fix them before publishing.")
        published = publish_guide(
            guide_file=GuideFile(
                path=Path(f"{slug}.toml"),
                source=source,
                checksum=hashlib.sha256(source.encode()).hexdigest(),
                data=from_toml(source),
                guide=guide,
            )
        )
        return GuideVersion.objects.get(guide__slug=slug, number=published.number)


def publish_draft(*, user: User, draft: GuideDraft, revision: int) -> GuideVersion:
    """Publish the draft as the guide's new current version.

    Refused when it has problems, when it is unchanged from the current
    version, when it was already published (a double click) or changed since
    the review was shown. A fix whose ``when`` changed starts its evidence afresh.
    """
    if draft.published_version_id is not None:
        raise AlreadyPublished("This draft was already published; nothing more was done.")
    if draft.revision != revision:
        raise StaleDraft("The draft changed after the review was shown: review it again.")
    checked = review(draft=draft)
    if checked.problems:
        raise HasProblems("This draft has problems: fix them before publishing.")
    if checked.diff.unchanged:
        raise AuthoringError("This draft is the same as the current version: nothing to publish.")
    with transaction.atomic():
        claimed = GuideDraft.objects.filter(
            pk=draft.pk, revision=revision, published_version__isnull=True
        ).update(revision=F("revision") + 1)
        if not claimed:
            raise AlreadyPublished("This draft was already published; nothing more was done.")
        version = _publish_data(
            slug=draft.slug,
            data=draft.data,
            header="Version {number}, published from the guide authors' admin.",
        )
        GuideDraft.objects.filter(pk=draft.pk).update(published_version=version)
        forget_fixes(slug=draft.slug, fix_ids=checked.diff.fresh_evidence)
        detail = f"version {version.number}"
        if checked.diff.fresh_evidence:
            detail += "; evidence started afresh for " + ", ".join(checked.diff.fresh_evidence)
        _log(
            user=user,
            action=Action.PUBLISHED,
            slug=draft.slug,
            draft=draft,
            version=version,
            detail=detail,
        )
    draft.refresh_from_db()
    return version


def roll_back(*, user: User, version: GuideVersion, current_id: int | None) -> GuideVersion:
    """Publish an earlier version's guide again, as a new version.

    ``current_id`` is the current version the page showed: if another version
    was published since (or this roll back was already done), nothing happens.
    """
    guide = version.guide
    if guide.current_version_id != current_id:
        raise StaleDraft("The guide was published again since this page was shown.")
    if guide.current_version_id == version.pk:
        raise AuthoringError("This version is already the current one.")
    current = guide.current_version
    fresh = guide_diff(current.data if current else {}, version.data).fresh_evidence
    with transaction.atomic():
        locked = Guide.objects.select_for_update().get(pk=guide.pk)
        if locked.current_version_id != current_id:
            raise StaleDraft("The guide was published again since this page was shown.")
        new = _publish_data(
            slug=guide.slug,
            data=version.data,
            header=f"Version {{number}}: version {version.number} published again (roll back).",
        )
        forget_fixes(slug=guide.slug, fix_ids=fresh)
        _log(
            user=user,
            action=Action.ROLLED_BACK,
            slug=guide.slug,
            version=new,
            detail=f"version {new.number} is version {version.number} again",
        )
    return new


def export_version(*, version: GuideVersion) -> str:
    """The version as a canonical guide file."""
    return to_toml(version.data)


def draft_text(*, draft: GuideDraft) -> str:
    """The draft as a canonical guide file (the raw TOML view)."""
    try:
        return to_toml(draft.data)
    except GuideTextError:  # pragma: no cover - drafts only ever hold TOML data
        return ""
