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


class EscalateForm(DiagnosisForm):
    """The escalation screen's form: how support can reach the person, and a message."""

    name = forms.CharField(label="Your name (optional)", required=False, max_length=100)
    email = forms.EmailField(label="Email", required=False, max_length=254)
    phone = forms.RegexField(
        label="Phone",
        required=False,
        max_length=40,
        regex=r"^\+?[0-9 ()./-]{5,40}$",
        error_messages={"invalid": "Enter a phone number: digits, spaces and + ( ) - only."},
    )
    message = forms.CharField(
        label="What should we know? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # The honeypot: hidden from people (and from screen readers); bots fill it in.
    website = forms.CharField(required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("email") or cleaned.get("phone")) and not (
            self.has_error("email") or self.has_error("phone")
        ):
            raise forms.ValidationError(
                "Give an email address or a phone number, so we can reach you.", code="contact"
            )
        return cleaned

    @property
    def is_bot(self) -> bool:
        """The honeypot was filled in: a bot, whatever else the form says."""
        return bool(self.data.get("website", "").strip())


class FeedbackForm(DiagnosisForm):
    """ "Was this helpful?" with an optional comment."""

    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes"
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
