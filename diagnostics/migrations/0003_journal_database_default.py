"""Give Diagnosis.journal a database default of [].

Workers of the release before 0002 do not know the column; while an upgrade
rolls out they still insert diagnoses, which would otherwise fail on NOT NULL.
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("diagnostics", "0002_diagnosis_journal"),
    ]

    operations = [
        migrations.AlterField(
            model_name="diagnosis",
            name="journal",
            field=models.JSONField(
                blank=True,
                db_default=models.Value([], output_field=models.JSONField()),
                default=list,
                help_text='The answers and fix results in order, e.g. [["question", "storage",'
                ' "full"], ["fix", "restart", "not_fixed"]]. Written with every change, together'
                " with the Answer or FixAttempt row it mirrors.",
            ),
        ),
    ]
