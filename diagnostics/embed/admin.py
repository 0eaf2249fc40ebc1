"""Embedding sites in the admin: allowed origins, their theme, and the snippets to paste.

A change here reaches this worker at once and every other within
:data:`diagnostics.embed.sites.CACHE_SECONDS`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from diagnostics.embed import sites, theme
from diagnostics.embed.sites import SITE_FIELD
from diagnostics.models import EmbedSite, Guide

# The request a change page is drawn for: the snippets need the help desk's own address.
_drawing_for: ContextVar[HttpRequest | None] = ContextVar("embed_site_admin_request", default=None)


class EmbedSiteForm(forms.ModelForm):
    class Meta:
        model = EmbedSite
        fields = ("name", "origin", "active", "accent", "scheme")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        accent = (data.get("accent") or "").lower()
        scheme = data.get("scheme") or EmbedSite.Scheme.AUTO
        if theme.HEX.fullmatch(accent):  # else the field's own check says what is wrong
            for problem in theme.accent_problems(accent, scheme):
                self.add_error("accent", problem)
        return data


def embed_script_url(request: HttpRequest) -> str:
    """The snippet's script at its plain (never fingerprinted) address on this help desk."""
    return request.build_absolute_uri(f"/{settings.STATIC_URL.strip('/')}/helpdesk/embed.js")


@admin.register(EmbedSite)
class EmbedSiteAdmin(admin.ModelAdmin):
    form = EmbedSiteForm
    list_display = ("name", "origin", "active", "scheme", "accent", "diagnosis_count")
    list_filter = ("active", "scheme")
    search_fields = ("name", "origin")
    readonly_fields = ("snippets",)
    fieldsets = (
        (None, {"fields": ("name", "origin", "active")}),
        ("Theme", {"fields": ("accent", "scheme")}),
        ("Snippets", {"fields": ("snippets",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[EmbedSite]:
        return super().get_queryset(request).annotate(diagnosis_count=Count("diagnoses"))

    @admin.display(description="Diagnoses", ordering="diagnosis_count")
    def diagnosis_count(self, site: EmbedSite) -> int:
        return site.diagnosis_count  # type: ignore[attr-defined]

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        drawing = _drawing_for.set(request)
        try:
            response = super().changeform_view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # now, while the request is known
            return response
        finally:
            _drawing_for.reset(drawing)

    @admin.display(description="Ready to paste")
    def snippets(self, site: EmbedSite) -> str:
        """For each published guide: the snippet, and a plain iframe for pages without scripts."""
        request = _drawing_for.get()
        if site.pk is None or request is None:
            return "Save the site first."
        script = embed_script_url(request)
        guides = Guide.objects.filter(current_version__isnull=False).order_by("title")
        rows = []
        for guide in guides:
            frame = request.build_absolute_uri(f"/embed/guides/{guide.slug}/")
            snippet = f'<script src="{script}" data-guide="{guide.slug}" async></script>'
            plain = (
                f'<iframe src="{frame}?{SITE_FIELD}={site.origin}" title="{guide.title}"'
                ' width="100%" height="900" style="border: 0"></iframe>'
            )
            rows.append((guide.title, guide.title, snippet, guide.title, plain))
        if not rows:
            return "No guides are published yet."
        return format_html(
            '<table class="snippets"><thead><tr><th scope="col">Guide</th>'
            '<th scope="col">Snippet (with JavaScript)</th><th scope="col">Plain iframe</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><th scope="row">{}</th><td><textarea readonly rows="3" cols="60"'
                ' aria-label="Snippet for {}">{}</textarea></td><td><textarea readonly rows="3"'
                ' cols="60" aria-label="Plain iframe for {}">{}</textarea></td></tr>',
                rows,
            ),
        )

    def save_model(self, request: HttpRequest, obj: EmbedSite, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        sites.forget()

    def delete_model(self, request: HttpRequest, obj: EmbedSite) -> None:
        super().delete_model(request, obj)
        sites.forget()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EmbedSite]) -> None:
        super().delete_queryset(request, queryset)
        sites.forget()
