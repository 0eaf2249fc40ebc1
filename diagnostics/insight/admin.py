"""Admin for support staff: read transcripts, see what was tried, browse guides.

Diagnoses and guide versions are read-only here: transcripts are evidence, and
guides are changed by editing their files and running ``load_guides``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.views.decorators.http import require_safe

from diagnostics import engine
from diagnostics.insight.forms import DashboardFilters
from diagnostics.insight.learned import learned_order
from diagnostics.insight.page import dashboard_page
from diagnostics.insight.reports import guide_report
from diagnostics.insight.transcript import Entry, transcript
from diagnostics.learning.evidence import forget_evidence
from diagnostics.models import Diagnosis, FixAttempt, Guide, GuideVersion, guide_for_version
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


@admin.register(Diagnosis)
class DiagnosisAdmin(ReadOnlyAdmin):
    list_display = (
        "support_code",
        "status",
        "guide_and_version",
        "embed_site",
        "created",
        "last_step",
        "fixes_tried",
    )
    list_filter = (
        "guide_version__guide",
        "status",
        "embed_site",
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("=support_code",)
    date_hierarchy = "created"
    list_select_related = ("guide_version__guide", "embed_site")
    readonly_fields = (
        "support_code",
        "status",
        "guide_version",
        "embed_site",
        "created",
        "updated",
        "last_step",
        "outcome",
        "transcript",
    )
    fields = readonly_fields
    search_help_text = "Search by support code, e.g. K7P-4QX"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Diagnosis]:
        return super().get_queryset(request).annotate(fixes=Count("attempts"))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Diagnosis], search_term: str
    ) -> tuple[QuerySet[Diagnosis], bool]:
        # People read codes out loud: accept lower case and a missing dash.
        term = search_term.strip().upper().replace(" ", "")
        if len(term) == 6 and "-" not in term:
            term = f"{term[:3]}-{term[3:]}"
        return super().get_search_results(request, queryset, term)

    @admin.display(description="Guide", ordering="guide_version__guide__slug")
    def guide_and_version(self, diagnosis: Diagnosis) -> str:
        return str(diagnosis.guide_version)

    @admin.display(description="Fixes tried", ordering="fixes")
    def fixes_tried(self, diagnosis: Diagnosis) -> int:
        return diagnosis.fixes  # type: ignore[attr-defined]

    @admin.display(description="Outcome")
    def outcome(self, diagnosis: Diagnosis) -> str:
        """The ending the person saw, in the guide's words."""
        kind, _ = engine.split_key(diagnosis.last_step)
        if kind != "outcome":
            return "Not reached"
        return guide_for_version(diagnosis.guide_version_id).label(diagnosis.last_step)

    @admin.display(description="Transcript")
    def transcript(self, diagnosis: Diagnosis) -> str:
        entries: list[Entry] = transcript(diagnosis=diagnosis)
        if not entries:
            return "Nothing answered yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    localtime(entry.when).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.kind,
                    entry.step,
                    entry.answer,
                )
                for entry in entries
            ),
        )
        return format_html(
            '<table class="transcript"><thead><tr><th scope="col">When</th>'
            '<th scope="col">Kind</th><th scope="col">Step</th><th scope="col">Answer</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            rows,
        )


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
