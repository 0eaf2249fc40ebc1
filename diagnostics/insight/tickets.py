"""Admin for tickets: who asked for a human, with the story and the support code.

Support staff work them (status, assignee, notes). What the person typed is
shown read-only: it is theirs, and ``purge_diagnoses`` erases it once
``HELPDESK_CONTACT_RETENTION_DAYS`` have passed. Feedback ("Was this
helpful?") is listed read-only beside them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from diagnostics.models import Diagnosis, Feedback, Ticket


def _diagnosis_link(diagnosis: Diagnosis) -> str:
    url = reverse("admin:diagnostics_diagnosis_change", args=[diagnosis.pk])
    return format_html('<a href="{}">{}</a>', url, diagnosis.support_code)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("support_code", "status", "guide", "assignee", "created", "reach_by")
    list_filter = ("status", "assignee", "diagnosis__guide_version__guide")
    list_select_related = ("diagnosis__guide_version__guide", "assignee")
    search_fields = ("=diagnosis__support_code",)
    search_help_text = "Search by support code, e.g. K7P-4QX"
    ordering = ("-created",)
    fields = (
        "support_code",
        "guide",
        "created",
        "status",
        "assignee",
        "notes",
        "name",
        "email",
        "phone",
        "message",
        "erased",
        "transcript",
    )
    readonly_fields = (
        "support_code",
        "guide",
        "created",
        "name",
        "email",
        "phone",
        "message",
        "erased",
        "transcript",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tickets come from people, through the escalation form

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "assignee":  # only staff can work a ticket
            kwargs["queryset"] = db_field.related_model.objects.filter(
                is_staff=True, is_active=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return super().get_queryset(request).select_related("diagnosis__guide_version__guide")

    @admin.display(description="Support code", ordering="diagnosis__support_code")
    def support_code(self, ticket: Ticket) -> str:
        return _diagnosis_link(ticket.diagnosis)

    @admin.display(description="Guide", ordering="diagnosis__guide_version__guide__title")
    def guide(self, ticket: Ticket) -> str:
        return str(ticket.diagnosis.guide_version)

    @admin.display(description="Reach by")
    def reach_by(self, ticket: Ticket) -> str:
        return ", ".join(
            kind for kind, value in (("email", ticket.email), ("phone", ticket.phone)) if value
        ) or ("erased" if ticket.erased else "-")

    @admin.display(description="What they tried")
    def transcript(self, ticket: Ticket) -> str:
        diagnosis_admin = self.admin_site.get_model_admin(Diagnosis)
        return diagnosis_admin.transcript(ticket.diagnosis)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Answers to "Was this helpful?": read-only, newest first."""

    list_display = ("created", "helpful", "support_code", "guide", "comment")
    list_filter = ("helpful", "diagnosis__guide_version__guide")
    list_select_related = ("diagnosis__guide_version__guide",)
    ordering = ("-created",)
    fields = ("support_code", "guide", "created", "helpful", "comment")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Support code", ordering="diagnosis__support_code")
    def support_code(self, feedback: Feedback) -> str:
        return _diagnosis_link(feedback.diagnosis)

    @admin.display(description="Guide", ordering="diagnosis__guide_version__guide__title")
    def guide(self, feedback: Feedback) -> str:
        return str(feedback.diagnosis.guide_version)
