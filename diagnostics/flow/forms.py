"""Forms parse posted input; they hold no business rules."""

from __future__ import annotations

from typing import Any

from django import forms


class StartForm(forms.Form):
    ticket = forms.CharField(required=False, max_length=200)  # see ownership.start_ticket
    browser = forms.CharField(required=False, max_length=64)  # see ownership.browser_of


class DiagnosisForm(forms.Form):
    """Identifies which diagnosis, and which step of it, a post is about."""

    diagnosis = forms.UUIDField()
    step = forms.CharField(max_length=120)


class AnswerForm(DiagnosisForm):
    choice = forms.CharField(max_length=80)
    # Only on an earlier step (reached with the browser's Back): where it stands
    # in the diagnosis, and the revision the page was shown at. Both or neither.
    position = forms.IntegerField(required=False, min_value=1, max_value=32767)
    revision = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("position") is None) != (cleaned.get("revision") is None):
            raise forms.ValidationError("position and revision come together")
        return cleaned


class RestartForm(DiagnosisForm):
    confirm = forms.BooleanField(required=False)  # "Yes, start over" was pressed
