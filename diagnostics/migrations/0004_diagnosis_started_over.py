"""Add Diagnosis.started_over: the person started over from it (not just idle).

Diagnoses left before this migration cannot be told apart and stay False. A
database default keeps inserts of workers of the previous release working.
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("diagnostics", "0003_journal_database_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="diagnosis",
            name="started_over",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="The person started over from this diagnosis: a newer one replaced it.",
            ),
        ),
    ]
