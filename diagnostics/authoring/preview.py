"""Preview: staff walk a draft exactly as a person would, and nothing they do counts.

A preview runs the real flow (the same views, commands and templates) under
``/admin/preview/`` (URL namespace ``preview``), with three differences:

* the draft is stored as a version of a hidden guide of its own,
  ``preview-draft-<draft id>``, never listed and never current, so the home
  page, the guide's reports and its versions never see it. The parsed guide
  keeps the real slug, so the ranking uses that guide's live learned data;
* its diagnoses have ``kind = "preview"``: they never teach the ranking
  (:func:`diagnostics.learning.evidence.teach` skips them), and the reports
  count only the real guide's versions;
* the browser's preview diagnoses are kept apart from its own ones
  (:class:`PreviewSession`), and only staff who may view drafts get in.

Start over begins a fresh preview of the same draft version.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from diagnostics.authoring.guide_file import to_toml
from diagnostics.authoring.problems import draft_problems
from diagnostics.authoring.services import AuthoringError
from diagnostics.flow import commands, ownership
from diagnostics.models import PREVIEW_SLUG_PREFIX, Diagnosis, Guide, GuideDraft, GuideVersion

NAMESPACE = "preview"
SESSION_KEY = "authoring_preview"
PREVIEW_SLUG = PREVIEW_SLUG_PREFIX + "{pk}"


class PreviewSession(MutableMapping[str, Any]):
    """The part of the staff member's session that holds their preview diagnoses."""

    cookieless = False
    resumes_started_over = True

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        self._session = session

    def _data(self) -> dict[str, Any]:
        data = self._session.get(SESSION_KEY, {})
        return data if isinstance(data, dict) else {}

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._session[SESSION_KEY] = {**self._data(), key: value}

    def __delitem__(self, key: str) -> None:
        data = self._data()
        del data[key]
        self._session[SESSION_KEY] = data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def _may_preview(request: HttpRequest) -> None:
    if not request.user.has_perm("diagnostics.view_guidedraft"):
        raise PermissionDenied


def preview_version(*, draft: GuideDraft) -> GuideVersion:
    """The draft as a version of its hidden preview guide (the same one while it is unchanged)."""
    source = to_toml(draft.data)
    checksum = hashlib.sha256(source.encode()).hexdigest()
    slug = PREVIEW_SLUG.format(pk=draft.pk)
    for _ in range(3):  # two previews started at once: the loser reads the winner's
        try:
            with transaction.atomic():
                guide, _ = Guide.objects.get_or_create(
                    slug=slug, defaults={"title": f"Preview of draft {draft.pk} ({draft.slug})"}
                )
                version = guide.versions.filter(checksum=checksum).first()
                if version is None:
                    latest = guide.versions.order_by("-number").first()
                    version = GuideVersion.objects.create(
                        guide=guide,
                        number=latest.number + 1 if latest else 1,
                        checksum=checksum,
                        source=source,
                        data=draft.data,
                    )
                return version
        except IntegrityError:
            continue
    raise IntegrityError("could not store the preview version")  # pragma: no cover


def start_preview(*, request: HttpRequest, draft: GuideDraft) -> str:
    """Open a preview diagnosis of the draft for this staff member; the address of step 1."""
    _may_preview(request)
    problems = draft_problems(draft.data)
    if problems:
        raise AuthoringError(
            f"This draft has {len(problems)} problem(s): fix them first, so every path works."
        )
    version = preview_version(draft=draft)
    return _start(session=PreviewSession(request.session), version=version)


def _start(*, session: MutableMapping[str, Any], version: GuideVersion) -> str:
    slug = version.data["guide"]["slug"]
    # The flow opens a diagnosis on a guide's current version: here, the draft's.
    stand_in = Guide(slug=slug, title=version.guide.title, current_version=version)
    commands.start_diagnosis(
        session=session,
        guide=stand_in,
        network="",
        kind=Diagnosis.Kind.PREVIEW,
    )
    return reverse("diagnostics:step", args=[slug, 1], current_app=NAMESPACE)


# --- the flow's views, for previews -------------------------------------------


def previewed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for a preview: staff only, with the preview part of the session."""

    @staff_member_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _may_preview(request)
        request.session = PreviewSession(request.session)  # type: ignore[assignment]
        return view(request, *args, **kwargs)

    return wrapper


def _drafts() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:diagnostics_guidedraft_changelist"))


def no_list(request: HttpRequest) -> HttpResponse:
    """Previews have no guide list: back to the drafts."""
    return _drafts()


def resume(request: HttpRequest, slug: str) -> HttpResponse:
    """The guide's address and its Start: the current preview step, else back to the drafts."""
    diagnosis = ownership.session_diagnosis(session=request.session, slug=slug)
    if diagnosis is None or diagnosis.kind != Diagnosis.Kind.PREVIEW:
        return _drafts()
    state = commands.load_state(diagnosis=diagnosis)
    url = reverse("diagnostics:step", args=[slug, state.position], current_app=NAMESPACE)
    return HttpResponseRedirect(url, status=303 if request.method == "POST" else 302)


def restart(request: HttpRequest, slug: str) -> HttpResponse:
    """Start over: a fresh preview of the same draft version."""
    if request.method != "POST":
        return resume(request, slug)
    diagnosis = ownership.session_diagnosis(session=request.session, slug=slug)
    if diagnosis is None or diagnosis.kind != Diagnosis.Kind.PREVIEW:
        return _drafts()
    version = GuideVersion.objects.select_related("guide").get(pk=diagnosis.guide_version_id)
    return HttpResponseRedirect(_start(session=request.session, version=version), status=303)
