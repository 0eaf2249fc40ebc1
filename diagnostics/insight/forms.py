"""The dashboard's filters, read from the query string (a GET form)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import QueryDict

from diagnostics.insight.dashboard import Filters, default_range
from diagnostics.models import EmbedSite, Guide, GuideVersion

MAX_DAYS = 366
NO_SITE = "none"


class DashboardFilters(forms.Form):
    guide = forms.ModelChoiceField(
        queryset=Guide.objects.all(), required=False, empty_label="All guides", to_field_name="slug"
    )
    version = forms.ModelChoiceField(
        queryset=GuideVersion.objects.select_related("guide"),
        required=False,
        empty_label="All versions",
        label="Guide version",
    )
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    site = forms.ChoiceField(required=False, label="Embedding site")
    demo = forms.BooleanField(required=False, label="Show demo data only")

    @classmethod
    def from_query(cls, query: QueryDict) -> DashboardFilters:
        """The filters in a query string, the default dates filled in where none is given."""
        data = query.copy()
        first, last = default_range()
        if not data.get("start"):
            data["start"] = first.isoformat()
        if not data.get("end"):
            data["end"] = last.isoformat()
        return cls(data)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = [(str(pk), name) for pk, name in EmbedSite.objects.values_list("pk", "name")]
        self.fields["site"].choices = [
            ("", "Everywhere"),
            (NO_SITE, "The help desk itself (no embedding site)"),
            *sites,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = default_range()
        start: date = data.get("start") or first
        end: date = data.get("end") or last
        if start > end:
            raise forms.ValidationError("The start date must not be after the end date.")
        if end - start > timedelta(days=MAX_DAYS):
            raise forms.ValidationError(f"Choose at most {MAX_DAYS} days at a time.")
        guide, version = data.get("guide"), data.get("version")
        if guide is not None and version is not None and version.guide_id != guide.pk:
            raise forms.ValidationError("That version belongs to another guide.")
        site = data.get("site") or ""
        data["site_row"] = None
        if site not in {"", NO_SITE}:
            data["site_row"] = EmbedSite.objects.filter(pk=int(site)).first()
            if data["site_row"] is None:
                raise forms.ValidationError("That embedding site no longer exists.")
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        site = data.get("site") or ""
        version = data.get("version")
        return Filters(
            start=data["start"],
            end=data["end"],
            guide=data.get("guide") or (version.guide if version is not None else None),
            version=version,
            site=data["site_row"],
            no_site=site == NO_SITE,
            demo=bool(data.get("demo")),
        )
