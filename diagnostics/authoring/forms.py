"""The admin's forms for a draft: one form per kind of step, and the guide's own fields.

A form reads and checks the shape of what was typed (numbers, ids, the
one-line syntax of conditions) and turns it into the guide-file table
(:meth:`StepForm.table`). What crosses steps (an unknown question, an
unreachable step, chances over 1) is the guide validator's job, shown next
to the step on the draft's page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError

from diagnostics.engine import OUTCOME_KINDS
from diagnostics.models import PREVIEW_SLUG_PREFIX, Guide

ID = re.compile(r"^[A-Za-z0-9_-]+$")
ID_HELP = "Letters, digits, _ and -. Learned evidence follows a fix's id: keep it to keep it."


def _number(value: float | None) -> int | float | None:
    """A whole number stays whole in the file (5, not 5.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _finite(value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError("Enter a number.")


class RevisionForm(forms.Form):
    """The draft's revision the page was shown at: a compare-and-swap token."""

    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class MoveForm(RevisionForm):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


def format_lines(values: Any) -> str:
    return "\n".join(values) if isinstance(values, list) else ""


def parse_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def format_conditions(conditions: Any) -> str:
    """``{"storage": ["full", "nearly_full"]}`` as ``storage: full, nearly_full``, a line each."""
    if not isinstance(conditions, dict):
        return ""
    lines = []
    for question, choices in conditions.items():
        listed = [choices] if isinstance(choices, str) else choices
        lines.append(f"{question}: {', '.join(str(c) for c in listed)}")
    return "\n".join(lines)


def parse_conditions(text: str, *, separator: str = "\n") -> dict[str, list[str]]:
    conditions: dict[str, list[str]] = {}
    for line in (part.strip() for part in text.split(separator)):
        if not line:
            continue
        question, colon, choices = line.partition(":")
        listed = [c.strip() for c in choices.split(",") if c.strip()]
        if not colon or not ID.match(question.strip()) or not listed:
            raise ValidationError(
                f"Write each condition as 'question_id: choice_id, choice_id', not '{line}'."
            )
        if not all(ID.match(c) for c in listed):
            raise ValidationError(f"Choice ids are letters, digits, _ and -: '{line}'.")
        conditions[question.strip()] = listed
    return conditions


def format_chance_rules(rules: Any) -> str:
    if not isinstance(rules, list):
        return ""
    lines = []
    for rule in rules:
        if isinstance(rule, dict):
            when = format_conditions(rule.get("when", {})).replace("\n", "; ")
            lines.append(f"{rule.get('chance')} if {when}")
    return "\n".join(lines)


def parse_chance_rules(text: str) -> list[dict[str, Any]]:
    rules = []
    for line in parse_lines(text):
        chance, marker, when = line.partition(" if ")
        try:
            value = float(chance)
        except ValueError:
            value = math.nan
        if not marker or not math.isfinite(value):
            raise ValidationError(
                f"Write each rule as '0.3 if question_id: choice_id; other: choice', not '{line}'."
            )
        rules.append({"when": parse_conditions(when, separator=";"), "chance": _number(value)})
    return rules


class StepForm(forms.Form):
    """A form for one table of the guide; ``KEYS`` are the table keys it edits."""

    KEYS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def initial_from(cls, table: Mapping[str, Any]) -> dict[str, Any]:
        return {key: table.get(key) for key in cls.KEYS}

    def values(self) -> dict[str, Any]:
        return {key: self.cleaned_data.get(key) for key in self.KEYS}

    def table(self, original: Mapping[str, Any]) -> dict[str, Any]:
        """The table as the guide file holds it; keys this form does not know are kept."""
        table = {k: v for k, v in original.items() if k not in self.KEYS}
        for key, value in self.values().items():
            if value not in (None, "", [], {}, False):
                table[key] = value
        return {k: table[k] for k in (*self.KEYS, *table) if k in table}


class _Id(forms.CharField):
    def __init__(self, help_text: str = ID_HELP, **kwargs: Any) -> None:
        super().__init__(max_length=80, help_text=help_text, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not ID.match(value):
            raise ValidationError("Use only letters, digits, _ and -.")


class _Number(forms.FloatField):
    def clean(self, value: Any) -> Any:
        number = super().clean(value)
        _finite(number)
        return _number(number)


class GuideFieldsForm(StepForm):
    KEYS = ("title", "summary", "resolved", "exhausted", "support_minutes", "prior_strength")
    title = forms.CharField(max_length=200)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    resolved = forms.CharField(help_text="The outcome shown when a fix works (kind resolved).")
    exhausted = forms.CharField(help_text="The outcome shown when no fix is left.")
    support_minutes = _Number(
        min_value=0, help_text="What handing over to support costs a person, in minutes."
    )
    prior_strength = _Number(
        required=False,
        min_value=0,
        help_text="Optional: how many diagnoses of evidence the chances are worth (5 if empty).",
    )


class QuestionForm(StepForm):
    KEYS = ("id", "prompt", "help", "minutes", "device", "gate", "ask_if")
    id = _Id(help_text="Letters, digits, _ and -. Conditions and learned answers use this id.")
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    help = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = _Number(min_value=0, help_text="The effort to answer, in minutes.")
    device = forms.CharField(
        required=False, help_text="Optional: what the person needs to answer it."
    )
    gate = forms.BooleanField(
        required=False, help_text="One of its answers can end the diagnosis at once."
    )
    ask_if = forms.CharField(
        label="Ask only if",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One earlier answer per line: question_id: choice_id, choice_id.",
    )

    @classmethod
    def initial_from(cls, table: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().initial_from(table), "ask_if": format_conditions(table.get("ask_if"))}

    def clean_ask_if(self) -> dict[str, list[str]]:
        return parse_conditions(self.cleaned_data["ask_if"])


class ChoiceForm(StepForm):
    KEYS = ("id", "label", "next", "chance")
    id = _Id(help_text="Letters, digits, _ and -. Conditions and learned answers use this id.")
    label = forms.CharField(max_length=300)
    next = forms.CharField(
        required=False, help_text="Optional: a later question or an outcome to jump to."
    )
    chance = _Number(
        required=False, min_value=0, max_value=1, help_text="Optional share of people, 0 to 1."
    )

    def table(self, original: Mapping[str, Any]) -> dict[str, Any]:
        table = super().table(original)
        if self.cleaned_data.get("chance") == 0:  # a chance of 0 is a chance, not a blank
            table["chance"] = 0
        return table


ChoiceFormSet = forms.formset_factory(ChoiceForm, extra=1, can_delete=True)


class FixForm(StepForm):
    KEYS = ("id", "title", "why", "steps", "minutes", "penalty", "chance", "when", "note")
    id = _Id()
    title = forms.CharField(max_length=300)
    why = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    steps = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), help_text="One action per line, in order."
    )
    minutes = _Number(min_value=0, help_text="The person's effort, in minutes.")
    penalty = _Number(required=False, min_value=0, help_text="Optional: disruption, in minutes.")
    chance = _Number(min_value=0, max_value=1, help_text="Your estimate that this fix works.")
    when = forms.CharField(
        label="Applies only when",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One answer per line: question_id: choice_id, choice_id. Changing it starts"
        " this fix's learned evidence afresh.",
    )
    chance_if = forms.CharField(
        label="Other chances",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One rule per line, the first that matches wins:"
        " 0.3 if question_id: choice_id; other_question: choice_id.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def initial_from(cls, table: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super().initial_from(table),
            "steps": format_lines(table.get("steps")),
            "when": format_conditions(table.get("when")),
            "chance_if": format_chance_rules(table.get("chance_if")),
        }

    def clean_steps(self) -> list[str]:
        return parse_lines(self.cleaned_data["steps"])

    def clean_when(self) -> dict[str, list[str]]:
        return parse_conditions(self.cleaned_data["when"])

    def clean_chance_if(self) -> list[dict[str, Any]]:
        return parse_chance_rules(self.cleaned_data["chance_if"])

    def values(self) -> dict[str, Any]:
        return {**super().values(), "chance_if": self.cleaned_data.get("chance_if")}

    def table(self, original: Mapping[str, Any]) -> dict[str, Any]:
        table = super().table(original)
        if self.cleaned_data.get("chance") == 0:
            table["chance"] = 0
        if not self.cleaned_data.get("chance_if"):
            table.pop("chance_if", None)
        return table


class OutcomeForm(StepForm):
    KEYS = ("id", "kind", "title", "body", "steps")
    id = _Id(help_text="Letters, digits, _ and -. Choices jump here by this id.")
    kind = forms.ChoiceField(choices=[(k, k) for k in sorted(OUTCOME_KINDS)])
    title = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    steps = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional numbered steps, one per line.",
    )

    @classmethod
    def initial_from(cls, table: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().initial_from(table), "steps": format_lines(table.get("steps"))}

    def clean_steps(self) -> list[str]:
        return parse_lines(self.cleaned_data["steps"])


STEP_FORMS: dict[str, type[StepForm]] = {
    "question": QuestionForm,
    "fix": FixForm,
    "outcome": OutcomeForm,
}


class NewGuideForm(forms.Form):
    slug = forms.SlugField(
        max_length=50, help_text="The guide's address and file name, e.g. printer-offline."
    )
    title = forms.CharField(max_length=200)


class NewVersionForm(forms.Form):
    guide = forms.ModelChoiceField(
        queryset=Guide.objects.filter(current_version__isnull=False).exclude(
            slug__startswith=PREVIEW_SLUG_PREFIX
        ),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        required=False, help_text="A guide file (.toml), as in diagnostics/guides/."
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Or paste the file's text.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > 1_000_000:
                raise ValidationError("That file is over 1 MB: no guide is that long.")
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError("That file is not UTF-8 text.") from None
        if not data.get("text", "").strip():
            raise ValidationError("Choose a guide file or paste its text.")
        return data


class RawForm(RevisionForm):
    text = forms.CharField(
        label="The guide file",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
    )
