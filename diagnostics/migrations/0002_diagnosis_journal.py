"""Add Diagnosis.journal and fill it from the Answer and FixAttempt rows."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Any

from django.db import migrations, models

CHUNK = 2000  # rows fetched at a time: memory stays flat however many there are


def _entries(model: Any, kind: str, fields: tuple[str, str]) -> Iterator[tuple[Any, int, list]]:
    """(diagnosis id, position, journal entry) for every row, by diagnosis then position."""
    rows = model.objects.order_by("diagnosis_id", "position").values_list(
        "diagnosis_id", "position", *fields
    )
    for diagnosis_id, position, step, value in rows.iterator(chunk_size=CHUNK):
        yield diagnosis_id, position, [kind, step, value]


def fill_journals(apps: Any, schema_editor: Any) -> None:
    """Stream both tables in diagnosis order and write each journal once."""
    diagnosis_model = apps.get_model("diagnostics", "Diagnosis")
    answers = _entries(apps.get_model("diagnostics", "Answer"), "question", ("question", "choice"))
    attempts = _entries(apps.get_model("diagnostics", "FixAttempt"), "fix", ("fix", "result"))
    merged = heapq.merge(answers, attempts, key=lambda row: (row[0], row[1]))
    for diagnosis_id, rows in itertools.groupby(merged, key=lambda row: row[0]):
        journal = [entry for _, _, entry in rows]
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
