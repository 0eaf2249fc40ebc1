"""Add Diagnosis.journal and fill it from the Answer and FixAttempt rows."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def fill_journals(apps: Any, schema_editor: Any) -> None:
    diagnosis_model = apps.get_model("diagnostics", "Diagnosis")
    answer_model = apps.get_model("diagnostics", "Answer")
    attempt_model = apps.get_model("diagnostics", "FixAttempt")
    journals: dict[Any, list[tuple[int, list[str]]]] = {}
    for diagnosis_id, position, question, choice in answer_model.objects.values_list(
        "diagnosis_id", "position", "question", "choice"
    ):
        journals.setdefault(diagnosis_id, []).append((position, ["question", question, choice]))
    for diagnosis_id, position, fix, result in attempt_model.objects.values_list(
        "diagnosis_id", "position", "fix", "result"
    ):
        journals.setdefault(diagnosis_id, []).append((position, ["fix", fix, result]))
    for diagnosis_id, entries in journals.items():
        journal = [entry for _, entry in sorted(entries)]
        diagnosis_model.objects.filter(pk=diagnosis_id).update(journal=journal)


class Migration(migrations.Migration):
    dependencies = [
        ("diagnostics", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="diagnosis",
            name="journal",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='The answers and fix results in order, e.g. [["question", "storage",'
                ' "full"], ["fix", "restart", "not_fixed"]]. Written with every change, together'
                " with the Answer or FixAttempt row it mirrors.",
            ),
        ),
        migrations.RunPython(fill_journals, migrations.RunPython.noop, elidable=True),
    ]
