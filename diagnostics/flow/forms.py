"""Forms parse posted input; they hold no business rules."""

from __future__ import annotations

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


class RestartForm(DiagnosisForm):
    confirm = forms.BooleanField(required=False)  # "Yes, start over" was pressed
