"""Guide drafts in the admin: structured editing, raw TOML, review, publish, roll back.

Thin views: each checks the permission, reads its form, calls one function
of :mod:`diagnostics.authoring.services` and renders or redirects
(post/redirect/get). A refused request (stale page, double publish, bad
text, tampered step) gets a page with a 4xx status and changes nothing.

Permissions: viewing needs ``view_guidedraft``; creating ``add_guidedraft``;
editing ``change_guidedraft``; publishing and rolling back
``publish_guidedraft``. The "Guide authors" group has them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from diagnostics.authoring import edits, services
from diagnostics.authoring.diff import STEP_KINDS
from diagnostics.authoring.forms import (
    STEP_FORMS,
    ChoiceFormSet,
    GuideFieldsForm,
    ImportForm,
    MoveForm,
    NewGuideForm,
    NewVersionForm,
    RawForm,
    RevisionForm,
)
from diagnostics.authoring.preview import start_preview
from diagnostics.authoring.problems import draft_problems
from diagnostics.models import AuthorLogEntry, Guide, GuideDraft, GuideVersion

PERM_VIEW = "diagnostics.view_guidedraft"
PERM_ADD = "diagnostics.add_guidedraft"
PERM_EDIT = "diagnostics.change_guidedraft"
PERM_PUBLISH = "diagnostics.publish_guidedraft"


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@admin.register(GuideDraft)
class GuideDraftAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "based_on", "state", "updated", "created_by", "versions")
    list_filter = ("slug",)
    search_fields = ("slug",)

    @admin.display(description="title")
    def title(self, draft: GuideDraft) -> str:
        meta = draft.data.get("guide", {}) if isinstance(draft.data, dict) else {}
        return str(meta.get("title", "")) if isinstance(meta, dict) else ""

    @admin.display(description="copied from")
    def based_on(self, draft: GuideDraft) -> str:
        return f"version {draft.base_version.number}" if draft.base_version else "a new guide"

    @admin.display(description="state")
    def state(self, draft: GuideDraft) -> str:
        if draft.published_version:
            return f"published as version {draft.published_version.number}"
        return "draft"

    @admin.display(description="versions and roll back")
    def versions(self, draft: GuideDraft) -> str:
        version = draft.published_version or draft.base_version
        if version is None:
            return "-"
        url = reverse("admin:authoring_versions", args=[version.guide_id])
        return format_html('<a href="{}">Versions of {}</a>', url, draft.slug)

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuideDraft]:
        return (
            super()
            .get_queryset(request)
            .select_related("base_version", "published_version", "created_by")
        )

    # --- the pages ------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        def view(fn: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(fn)

        step = "<int:draft_id>/<str:kind>/<int:index>/"
        return [
            path("new/", view(self.new_view), name="authoring_new"),
            path(step, view(self.step_view), name="authoring_step"),
            path(f"{step}move/", view(self.move_view), name="authoring_move"),
            path(f"{step}delete/", view(self.delete_step_view), name="authoring_delete_step"),
            path("<int:draft_id>/add/<str:kind>/", view(self.add_step_view), name="authoring_add"),
            path("<int:draft_id>/guide/", view(self.guide_view), name="authoring_guide"),
            path("<int:draft_id>/toml/", view(self.raw_view), name="authoring_raw"),
            path("<int:draft_id>/review/", view(self.review_view), name="authoring_review"),
            path("<int:draft_id>/preview/", view(self.preview_view), name="authoring_preview"),
            path("versions/<int:guide_id>/", view(self.versions_view), name="authoring_versions"),
            path(
                "version/<int:version_id>/export/",
                view(self.export_view),
                name="authoring_export",
            ),
            path(
                "version/<int:version_id>/rollback/",
                view(self.rollback_view),
                name="authoring_rollback",
            ),
            *super().get_urls(),
        ]

    def _page(
        self,
        request: HttpRequest,
        template: str,
        context: dict[str, Any],
        *,
        status: int = 200,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "can_edit": request.user.has_perm(PERM_EDIT),
            "can_publish": request.user.has_perm(PERM_PUBLISH),
            **context,
        }
        return TemplateResponse(
            request, f"admin/diagnostics/authoring/{template}", context, status=status
        )

    def _refused(
        self, request: HttpRequest, error: services.AuthoringError, draft: GuideDraft | None = None
    ) -> TemplateResponse:
        context = {"title": error.title, "error": error, "draft": draft}
        return self._page(request, "refused.html", context, status=error.status)

    def _draft_url(self, draft: GuideDraft) -> str:
        return reverse("admin:diagnostics_guidedraft_change", args=[draft.pk])

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:authoring_new"))

    def new_view(self, request: HttpRequest) -> HttpResponse:
        """Three ways to start a draft: a new guide, a new version, an imported file."""
        _require(request, PERM_ADD)
        which = request.POST.get("start") if request.method == "POST" else None
        forms = {
            "guide": NewGuideForm(request.POST if which == "guide" else None, prefix="guide"),
            "version": NewVersionForm(
                request.POST if which == "version" else None, prefix="version"
            ),
            "import": ImportForm(
                request.POST if which == "import" else None,
                request.FILES if which == "import" else None,
                prefix="import",
            ),
        }
        status = 200
        if which in forms:
            form = forms[which]
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if which == "guide":
                        draft = services.new_guide_draft(
                            user=request.user, slug=data["slug"], title=data["title"]
                        )
                    elif which == "version":
                        draft = services.version_draft(user=request.user, guide=data["guide"])
                    else:
                        draft = services.import_draft(user=request.user, text=data["text"])
                except services.AuthoringError as error:
                    form.add_error(None, error.message)
                    status = error.status
                else:
                    return HttpResponseRedirect(self._draft_url(draft))
            else:
                status = 400
        elif request.method == "POST":
            status = 400
        context = {"title": "Start a guide draft", "forms": forms}
        return self._page(request, "new.html", context, status=status)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """The draft: its guide fields and every step, each with its problems beside it."""
        _require(request, PERM_VIEW)
        draft = self._get_draft(object_id)
        problems = draft_problems(draft.data)
        sections = []
        for kind in STEP_KINDS:
            rows = [
                {"index": i, "table": table, "problems": problems.of(kind, table.get("id"))}
                for i, table in enumerate(edits.steps(draft.data, kind))
                if isinstance(table, dict)
            ]
            sections.append({"kind": kind, "rows": rows})
        meta = draft.data.get("guide") if isinstance(draft.data.get("guide"), dict) else {}
        context = {
            "title": f"Draft of {draft.slug}",
            "draft": draft,
            "meta": meta,
            "problems": problems,
            "sections": sections,
            "revision_form": RevisionForm(initial={"revision": draft.revision}),
        }
        return self._page(request, "draft.html", context)

    def _get_draft(self, draft_id: int | str) -> GuideDraft:
        try:
            return get_object_or_404(
                GuideDraft.objects.select_related("base_version", "published_version"),
                pk=int(draft_id),
            )
        except ValueError:
            return get_object_or_404(GuideDraft, pk=0)

    def _changed(
        self,
        request: HttpRequest,
        draft: GuideDraft,
        revision: int,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        detail: str,
    ) -> HttpResponse:
        try:
            services.change_draft(
                user=request.user, draft=draft, revision=revision, change=change, detail=detail
            )
        except (services.AuthoringError, edits.NoSuchStep) as error:
            if isinstance(error, edits.NoSuchStep):
                error = services.AuthoringError("That step is not in this draft.")
            return self._refused(request, error, draft)
        return HttpResponseRedirect(self._draft_url(draft))

    def step_view(self, request: HttpRequest, draft_id: int, kind: str, index: int) -> HttpResponse:
        """One step's form; its choices as a formset for a question."""
        _require(request, PERM_VIEW)
        draft = self._get_draft(draft_id)
        try:
            table = edits.step(draft.data, kind, index)
        except edits.NoSuchStep:
            return self._refused(
                request, services.AuthoringError("That step is not in this draft."), draft
            )
        form_class = STEP_FORMS[kind]
        posted = request.method == "POST"
        if posted:
            _require(request, PERM_EDIT)
        form = form_class(request.POST if posted else None, initial=form_class.initial_from(table))
        revision = RevisionForm(
            request.POST if posted else None, initial={"revision": draft.revision}
        )
        choices = None
        if kind == "question":
            raw = table.get("choice") if isinstance(table.get("choice"), list) else []
            initial = [c for c in raw if isinstance(c, dict)]
            choices = ChoiceFormSet(request.POST if posted else None, initial=initial, prefix="c")
        if posted:
            valid = form.is_valid() & revision.is_valid() & (choices is None or choices.is_valid())
            if valid:
                new = form.table(table)
                if choices is not None:
                    new["choice"] = [
                        f.table(initial[i] if i < len(initial) else {})
                        for i, f in enumerate(choices.forms)
                        if f.cleaned_data and not f.cleaned_data.get("DELETE")
                    ]
                return self._changed(
                    request,
                    draft,
                    revision.cleaned_data["revision"],
                    lambda data: edits.replace_step(data, kind, index, new),
                    f"{kind} '{new.get('id')}'",
                )
        context = {
            "title": f"{kind.capitalize()} '{table.get('id', '')}' of {draft.slug}",
            "draft": draft,
            "kind": kind,
            "form": form,
            "choices": choices,
            "revision_form": revision,
            "problems": draft_problems(draft.data).of(kind, table.get("id")),
        }
        return self._page(request, "step.html", context, status=400 if posted else 200)

    @staticmethod
    def _revision(request: HttpRequest, form_class: type[RevisionForm] = RevisionForm) -> Any:
        form = form_class(request.POST)
        if not form.is_valid():
            raise services.AuthoringError("The form was incomplete; nothing was changed.")
        return form.cleaned_data

    def _step_post(
        self,
        request: HttpRequest,
        draft_id: int,
        change: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
        detail: str,
        form_class: type[RevisionForm] = RevisionForm,
    ) -> HttpResponse:
        _require(request, PERM_EDIT)
        draft = self._get_draft(draft_id)
        try:
            posted = self._revision(request, form_class)
        except services.AuthoringError as error:
            return self._refused(request, error, draft)
        return self._changed(
            request, draft, posted["revision"], lambda data: change(data, posted), detail
        )

    def move_view(self, request: HttpRequest, draft_id: int, kind: str, index: int) -> HttpResponse:
        return self._post_only(request) or self._step_post(
            request,
            draft_id,
            lambda data, posted: edits.move_step(
                data, kind, index, -1 if posted["direction"] == "up" else 1
            ),
            f"moved {kind} {index + 1}",
            MoveForm,
        )

    def delete_step_view(
        self, request: HttpRequest, draft_id: int, kind: str, index: int
    ) -> HttpResponse:
        return self._post_only(request) or self._step_post(
            request,
            draft_id,
            lambda data, _: edits.delete_step(data, kind, index),
            f"deleted {kind} {index + 1}",
        )

    def add_step_view(self, request: HttpRequest, draft_id: int, kind: str) -> HttpResponse:
        return self._post_only(request) or self._step_post(
            request, draft_id, lambda data, _: edits.add_step(data, kind), f"added a {kind}"
        )

    def _post_only(self, request: HttpRequest) -> HttpResponse | None:
        if request.method != "POST":
            error = services.AuthoringError("This address only takes the draft page's buttons.")
            error.status = 405
            return self._refused(request, error)
        return None

    def guide_view(self, request: HttpRequest, draft_id: int) -> HttpResponse:
        """The guide's own fields: title, summary, endings, support minutes."""
        _require(request, PERM_VIEW)
        draft = self._get_draft(draft_id)
        meta = draft.data.get("guide") if isinstance(draft.data.get("guide"), dict) else {}
        posted = request.method == "POST"
        if posted:
            _require(request, PERM_EDIT)
        form = GuideFieldsForm(
            request.POST if posted else None, initial=GuideFieldsForm.initial_from(meta)
        )
        revision = RevisionForm(
            request.POST if posted else None, initial={"revision": draft.revision}
        )
        if posted and form.is_valid() & revision.is_valid():
            fields = form.values()
            return self._changed(
                request,
                draft,
                revision.cleaned_data["revision"],
                lambda data: edits.set_guide_fields(data, fields),
                "guide fields",
            )
        context = {
            "title": f"Guide fields of {draft.slug}",
            "draft": draft,
            "form": form,
            "revision_form": revision,
            "problems": draft_problems(draft.data).guide,
        }
        return self._page(request, "guide.html", context, status=400 if posted else 200)

    def raw_view(self, request: HttpRequest, draft_id: int) -> HttpResponse:
        """The whole draft as a guide file, for power users; saved text is checked the same way."""
        _require(request, PERM_VIEW)
        draft = self._get_draft(draft_id)
        status = 200
        if request.method == "POST":
            _require(request, PERM_EDIT)
            form = RawForm(request.POST)
            if form.is_valid():
                try:
                    services.save_raw(
                        user=request.user,
                        draft=draft,
                        revision=form.cleaned_data["revision"],
                        text=form.cleaned_data["text"],
                    )
                except services.AuthoringError as error:
                    form.add_error("text", error.message)
                    status = error.status
                else:
                    return HttpResponseRedirect(self._draft_url(draft))
            else:
                status = 400
        else:
            form = RawForm(
                initial={"revision": draft.revision, "text": services.draft_text(draft=draft)}
            )
        context = {"title": f"{draft.slug} as a guide file", "draft": draft, "form": form}
        return self._page(request, "raw.html", context, status=status)

    def review_view(self, request: HttpRequest, draft_id: int) -> HttpResponse:
        """The diff against the current version, the evidence warnings, and Publish."""
        _require(request, PERM_VIEW)
        draft = self._get_draft(draft_id)
        if request.method == "POST":
            _require(request, PERM_PUBLISH)
            try:
                posted = self._revision(request)
                version = services.publish_draft(
                    user=request.user, draft=draft, revision=posted["revision"]
                )
            except services.AuthoringError as error:
                return self._refused(request, error, draft)
            messages.success(request, f"Published {draft.slug} as version {version.number}.")
            guide_id = version.guide_id
            return HttpResponseRedirect(reverse("admin:authoring_versions", args=[guide_id]))
        checked = services.review(draft=draft)
        context = {
            "title": f"Review and publish {draft.slug}",
            "draft": draft,
            "review": checked,
            "revision_form": RevisionForm(initial={"revision": draft.revision}),
        }
        return self._page(request, "review.html", context)

    def preview_view(self, request: HttpRequest, draft_id: int) -> HttpResponse:
        """Walk the draft as a person would: a preview diagnosis, then its first step."""
        if response := self._post_only(request):
            return response
        _require(request, PERM_VIEW)
        draft = self._get_draft(draft_id)
        try:
            url = start_preview(request=request, draft=draft)
        except services.AuthoringError as error:
            return self._refused(request, error, draft)
        return HttpResponseRedirect(url)

    def versions_view(self, request: HttpRequest, guide_id: int) -> HttpResponse:
        """Every version of a guide: export any, roll back to any earlier one."""
        _require(request, PERM_VIEW)
        guide = get_object_or_404(Guide.objects.select_related("current_version"), pk=guide_id)
        context = {
            "title": f"Versions of {guide.title}",
            "guide": guide,
            "versions": guide.versions.all(),
            "log": AuthorLogEntry.objects.filter(guide_slug=guide.slug)[:50],
        }
        return self._page(request, "versions.html", context)

    def export_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        _require(request, PERM_VIEW)
        version = get_object_or_404(GuideVersion.objects.select_related("guide"), pk=version_id)
        response = HttpResponse(
            services.export_version(version=version), content_type="application/toml"
        )
        name = f"{version.guide.slug}.toml"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @staticmethod
    def _current_id(request: HttpRequest) -> int | None:
        value = request.POST.get("current", "")
        return int(value) if value.isdigit() else None

    def rollback_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        if response := self._post_only(request):
            return response
        _require(request, PERM_PUBLISH)
        version = get_object_or_404(GuideVersion.objects.select_related("guide"), pk=version_id)
        try:
            new = services.roll_back(
                user=request.user, version=version, current_id=self._current_id(request)
            )
        except services.AuthoringError as error:
            return self._refused(request, error)
        messages.success(
            request, f"Version {version.number} is live again, as version {new.number}."
        )
        return HttpResponseRedirect(reverse("admin:authoring_versions", args=[version.guide_id]))

    def delete_model(self, request: HttpRequest, obj: GuideDraft) -> None:
        services.delete_draft(user=request.user, draft=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GuideDraft]) -> None:
        for draft in queryset:  # one at a time, so the author log names each
            services.delete_draft(user=request.user, draft=draft)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERM_EDIT)


@admin.register(AuthorLogEntry)
class AuthorLogAdmin(admin.ModelAdmin):
    """Who created, edited, published or rolled back which guide, and when. Read only."""

    list_display = ("at", "username", "action", "guide_slug", "version", "detail")
    list_filter = ("action", "guide_slug")
    search_fields = ("username", "guide_slug", "detail")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
