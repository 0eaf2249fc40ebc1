"""Admin for support staff: read transcripts, see what was tried, browse guides.

Diagnoses and guide versions are read-only here: transcripts are evidence, and
guides are changed by editing their files and running ``load_guides``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import Count, F, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.views.decorators.http import require_safe

from diagnostics import engine
from diagnostics.insight.export import csv_lines, export_list, export_rows
from diagnostics.insight.forms import DashboardFilters
from diagnostics.insight.learned import learned_order
from diagnostics.insight.page import dashboard_page
from diagnostics.insight.reports import guide_report
from diagnostics.insight.transcript import KINDS, Entry, duration, time_spent, transcript
from diagnostics.learning.evidence import forget_evidence
from diagnostics.models import (
    PREVIEW_SLUG_PREFIX,
    Diagnosis,
    EmbedSite,
    FixAttempt,
    Guide,
    GuideVersion,
    guide_for_version,
)
from ops.pages import render_page


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GuideVersionInline(admin.TabularInline):
    model = GuideVersion
    fields = ("number", "checksum", "loaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    """Guides come from their files; staff may only pin the author's order of fixes."""

    list_display = (
        "title",
        "slug",
        "current_version",
        "diagnosis_count",
        "pin_author_order",
        "report_link",
        "learned_link",
    )
    fields = (
        "slug",
        "title",
        "summary",
        "current_version",
        "pin_author_order",
        "report_link",
        "learned_link",
    )
    readonly_fields = ("slug", "title", "summary", "current_version", "report_link", "learned_link")
    inlines = (GuideVersionInline,)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Guide, form: Any, change: bool) -> None:
        # Only the pin: loading a guide file may change the rest meanwhile.
        Guide.objects.filter(pk=obj.pk).update(pin_author_order=obj.pin_author_order)
        forget_evidence(obj.slug)  # this process at once; the others within a minute

    def get_urls(self) -> list[URLPattern]:
        report = path(
            "<int:guide_id>/report/",
            self.admin_site.admin_view(self.report_view),
            name="diagnostics_guide_report",
        )
        learned = path(
            "<int:guide_id>/learned/",
            self.admin_site.admin_view(self.learned_view),
            name="diagnostics_guide_learned",
        )
        return [report, learned, *super().get_urls()]

    def learned_view(self, request: HttpRequest, guide_id: int) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        guide = get_object_or_404(Guide, pk=guide_id, current_version__isnull=False)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "learned": learned_order(guide=guide),
            "can_change": self.has_change_permission(request, guide),
        }
        return TemplateResponse(request, "admin/diagnostics/guide/learned.html", context)

    @admin.display(description="Learned order")
    def learned_link(self, guide: Guide) -> str:
        if guide.current_version_id is None:
            return "-"
        url = reverse("admin:diagnostics_guide_learned", args=[guide.pk])
        return format_html('<a href="{}">Order of fixes: prior, evidence, estimate</a>', url)

    def report_view(self, request: HttpRequest, guide_id: int) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        guide = get_object_or_404(Guide, pk=guide_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "report": guide_report(guide=guide),
            "unanswered_hours": settings.HELPDESK_UNANSWERED_RETENTION_HOURS,
        }
        return TemplateResponse(request, "admin/diagnostics/guide/report.html", context)

    @admin.display(description="Report")
    def report_link(self, guide: Guide) -> str:
        url = reverse("admin:diagnostics_guide_report", args=[guide.pk])
        return format_html('<a href="{}">Fixes and drop-offs</a>', url)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Guide]:
        return (
            super()
            .get_queryset(request)
            .exclude(slug__startswith=PREVIEW_SLUG_PREFIX)  # drafts' previews: authoring's
            .select_related("current_version")
            .annotate(diagnosis_count=Count("versions__diagnoses"))
        )

    @admin.display(description="Diagnoses", ordering="diagnosis_count")
    def diagnosis_count(self, guide: Guide) -> int:
        return guide.diagnosis_count  # type: ignore[attr-defined]


@admin.register(GuideVersion)
class GuideVersionAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "guide", "number", "loaded_at", "checksum")
    list_filter = ("guide",)
    readonly_fields = ("guide", "number", "checksum", "loaded_at", "source")
    exclude = ("data",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuideVersion]:
        return super().get_queryset(request).exclude(guide__slug__startswith=PREVIEW_SLUG_PREFIX)


class DiagnosisChangeList(ChangeList):
    """Counts the fixes tried for the page shown only: one query for its rows.

    (As a subquery in the list's own query, it would be worked out for every
    diagnosis that matches the filters before they are sorted.)
    """

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        page = list(self.result_list)
        tried = dict(
            FixAttempt.objects.filter(diagnosis__in=[diagnosis.pk for diagnosis in page])
            .order_by()
            .values_list("diagnosis")
            .annotate(n=Count("pk"))
        )
        for diagnosis in page:
            diagnosis.fixes = tried.get(diagnosis.pk, 0)  # type: ignore[attr-defined]
        self.result_list = page


def newest_first_where(
    queryset: QuerySet[Diagnosis], field: str, values: list[int] | None
) -> QuerySet[Diagnosis]:
    """``queryset`` where ``field`` is one of ``values`` (None: is empty), read newest first.

    A guide or a site is shared by many diagnoses. Filtered through the key's
    own index, the database reads every one of them and sorts them all to show
    the newest page; compared as ``field + 0`` that index is left aside, and
    the walk down the index on ``created`` stops once a page is full.
    """
    plain = queryset.alias(plain_key=F(field) + 0)
    if values is None:
        return plain.filter(plain_key__isnull=True)
    return plain.filter(plain_key__in=values)


class GuideFilter(admin.SimpleListFilter):
    """By guide, whichever version."""

    title = "guide"
    parameter_name = "guide"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), title) for pk, title in Guide.objects.values_list("pk", "title")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Diagnosis]) -> QuerySet[Diagnosis]:
        if self.value() is None:
            return queryset
        try:
            guide_id = int(self.value())
        except ValueError:
            raise IncorrectLookupParameters from None
        versions = GuideVersion.objects.filter(guide_id=guide_id).values_list("pk", flat=True)
        return newest_first_where(queryset, "guide_version_id", list(versions))


class EmbedSiteFilter(admin.SimpleListFilter):
    """By embedding site; "None recorded" for the help desk itself (or an unlisted site)."""

    title = "embedding site"
    parameter_name = "embed_site__id__exact"  # as Django's own filter named it
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        sites = [(str(pk), name) for pk, name in EmbedSite.objects.values_list("pk", "name")]
        return [*sites, (self.NONE, "None recorded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Diagnosis]) -> QuerySet[Diagnosis]:
        if self.value() is None:
            return queryset
        if self.value() == self.NONE:
            return newest_first_where(queryset, "embed_site_id", None)
        try:
            site_id = int(self.value())
        except ValueError:
            raise IncorrectLookupParameters from None
        return newest_first_where(queryset, "embed_site_id", [site_id])


@admin.register(Diagnosis)
class DiagnosisAdmin(ReadOnlyAdmin):
    """Diagnoses, newest first, readable at 1280 px; each with its transcript."""

    list_display = (
        "support_code",
        "status",
        "kind",
        "guide_and_version",
        "site_name",
        "created_at",
        "last_step_words",
        "fixes_tried",
    )
    list_filter = (
        "status",
        "kind",
        GuideFilter,
        EmbedSiteFilter,
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("=support_code",)
    # No date hierarchy: its list of years and months reads every row's date.
    list_select_related = ("guide_version__guide", "embed_site")
    # A count of every diagnosis on each page load is too slow on a large table.
    show_full_result_count = False
    readonly_fields = (
        "support_code",
        "status",
        "kind",
        "guide_version",
        "embed_site",
        "created",
        "updated",
        "last_step_words",
        "outcome",
        "replaces_link",
        "replaced_by_link",
        "transcript",
    )
    fields = readonly_fields
    search_help_text = "Search by support code, e.g. K7P-4QX"

    class Media:
        css: ClassVar = {"all": ("diagnostics/admin-report.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Diagnosis]:
        # Large columns nothing here shows: sorting a filtered list would carry
        # a copy of each one (the guide file, too) for every row that matches.
        return (
            super()
            .get_queryset(request)
            .defer("journal", "plan", "guide_version__data", "guide_version__source")
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        if getattr(request, "exporting", False):  # the CSV: the filters, no page or counts
            return export_list(DiagnosisChangeList)
        return DiagnosisChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The widest table in the admin: without the app list beside it, every
        # column fits at 1280 px. The breadcrumbs still lead back.
        context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="diagnostics_diagnosis_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The changelist's diagnoses, as filtered and searched, as CSV (streamed)."""
        if not request.user.has_perm("diagnostics.export_diagnosis"):
            raise PermissionDenied
        request.exporting = True  # type: ignore[attr-defined]
        try:
            diagnoses = self.get_changelist_instance(request).queryset
        except IncorrectLookupParameters:  # a filter the changelist does not offer
            raise BadRequest("Unknown filter for the diagnosis export.") from None
        response = StreamingHttpResponse(
            csv_lines(export_rows(diagnoses)), content_type="text/csv; charset=utf-8"
        )
        stamp = localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="diagnoses-{stamp}.csv"'
        return response

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Diagnosis], search_term: str
    ) -> tuple[QuerySet[Diagnosis], bool]:
        # People read codes out loud: accept lower case and a missing dash.
        term = search_term.strip().upper().replace(" ", "")
        if len(term) == 6 and "-" not in term:
            term = f"{term[:3]}-{term[3:]}"
        return super().get_search_results(request, queryset, term)

    @admin.display(description="Guide", ordering="guide_version__guide__title")
    def guide_and_version(self, diagnosis: Diagnosis) -> str:
        version = diagnosis.guide_version
        return f"{version.guide.title} (v{version.number})"

    @admin.display(description="Embedded on", ordering="embed_site__name")
    def site_name(self, diagnosis: Diagnosis) -> str:
        return diagnosis.embed_site.name if diagnosis.embed_site else "-"

    @admin.display(description="Fixes tried")
    def fixes_tried(self, diagnosis: Diagnosis) -> int:
        return getattr(diagnosis, "fixes", 0)

    @admin.display(description="Started", ordering="created")
    def created_at(self, diagnosis: Diagnosis) -> str:
        return localtime(diagnosis.created).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="Last step", ordering="last_step")
    def last_step_words(self, diagnosis: Diagnosis) -> str:
        """Where the diagnosis stands, in the guide's words: "Outcome: ..." once it ended."""
        if not diagnosis.last_step:
            return "-"
        guide = guide_for_version(diagnosis.guide_version_id)
        kind, _ = engine.split_key(diagnosis.last_step)
        words = guide.label(diagnosis.last_step)
        return f"{KINDS[kind]}: {words}" if kind in KINDS else words

    @admin.display(description="Outcome")
    def outcome(self, diagnosis: Diagnosis) -> str:
        """The ending the person saw, in the guide's words."""
        kind, _ = engine.split_key(diagnosis.last_step)
        if kind != "outcome":
            return "Not reached"
        return guide_for_version(diagnosis.guide_version_id).label(diagnosis.last_step)

    @admin.display(description="Replaced by")
    def replaced_by_link(self, diagnosis: Diagnosis) -> str:
        """The diagnosis the person opened when they started over from this one."""
        if diagnosis.replaced_by_id is None:
            return "-"
        return _diagnosis_link(diagnosis.replaced_by_id, diagnosis.replaced_by.support_code)

    @admin.display(description="Started over from")
    def replaces_link(self, diagnosis: Diagnosis) -> str:
        """The diagnosis this one replaced, if the person started over to open it."""
        replaced = diagnosis.replaced.only("pk", "support_code").first()
        if replaced is None:
            return "-"
        return _diagnosis_link(replaced.pk, replaced.support_code)

    @admin.display(description="Transcript")
    def transcript(self, diagnosis: Diagnosis) -> str:
        entries: list[Entry] = transcript(diagnosis=diagnosis)
        if not entries:
            return "Nothing answered yet."
        code = diagnosis.replaced_by.support_code if diagnosis.replaced_by_id else ""
        started = localtime(diagnosis.created).date()

        def when(moment: datetime) -> str:
            local = localtime(moment)
            return local.strftime("%H:%M:%S" if local.date() == started else "%Y-%m-%d %H:%M:%S")

        rows = format_html_join(
            "",
            '<tr><td data-label="Step">{}</td><td data-label="When">{}</td>'
            '<td data-label="What the person saw">{}: {}</td>'
            '<td data-label="What happened">{}{}</td><td data-label="Answer">{}</td>'
            '<td data-label="Time spent">{}</td></tr>',
            (
                (
                    entry.number,
                    when(entry.when),
                    entry.kind,
                    entry.step,
                    entry.action,
                    format_html(": opened {}", _diagnosis_link(entry.replaced_by, code))
                    if entry.replaced_by
                    else "",
                    entry.answer,
                    duration(entry.seconds),
                )
                for entry in entries
            ),
        )
        total = time_spent(entries)
        footer = (
            format_html(
                '<p class="transcript-total">Time on the steps, added up: {}</p>', duration(total)
            )
            if total is not None
            else ""
        )
        return format_html(
            '<div class="report-table"><table class="transcript">'
            "<caption>Started {}; times are the server's ({}).</caption>"
            '<thead><tr><th scope="col">Step</th><th scope="col">When</th>'
            '<th scope="col">What the person saw</th><th scope="col">What happened</th>'
            '<th scope="col">Answer</th><th scope="col">Time spent</th>'
            "</tr></thead><tbody>{}</tbody></table>{}</div>",
            started.isoformat(),
            localtime(diagnosis.created).tzname(),
            rows,
            footer,
        )


def _diagnosis_link(pk: object, support_code: str) -> str:
    url = reverse("admin:diagnostics_diagnosis_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, support_code)


@admin.register(FixAttempt)
class FixAttemptAdmin(ReadOnlyAdmin):
    """Every fix result, filterable: which fixes work, for which guide."""

    list_display = ("fix_title", "result", "diagnosis", "created")
    list_filter = ("result", "fix", "diagnosis__guide_version__guide")
    list_select_related = ("diagnosis",)
    search_fields = ("=diagnosis__support_code",)
    ordering = ("-created", "-id")

    @admin.display(description="Fix", ordering="fix")
    def fix_title(self, attempt: FixAttempt) -> str:
        """The fix as people saw it, in its guide version's words."""
        fix = guide_for_version(attempt.diagnosis.guide_version_id).fix(attempt.fix)
        return fix.title if fix else attempt.fix


# --- the staff dashboard ------------------------------------------------------------


@require_safe
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Outcomes, fixes, the funnel, time and the trend, for the filters in the query string."""
    if not request.user.has_perm("diagnostics.view_diagnosis"):
        raise PermissionDenied
    form = DashboardFilters.from_query(request.GET)
    page = dashboard_page(filters=form.filters()) if form.is_valid() else None
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "form": form,
        "page": page,
        "abandon_hours": settings.HELPDESK_ABANDON_AFTER_HOURS,
        "time_zone": settings.TIME_ZONE,
    }
    return render_page(
        request, "admin/diagnostics/dashboard.html", context, status=200 if page else 400
    )


def dashboard_urls() -> list[URLPattern]:
    """The dashboard's address, for the project's urls (before the admin's own)."""
    return [
        path(
            "admin/diagnostics/dashboard/",
            admin.site.admin_view(dashboard_view),
            name="diagnostics_dashboard",
        )
    ]
