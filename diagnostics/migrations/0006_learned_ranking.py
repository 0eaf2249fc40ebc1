"""The learned ranking: evidence rollup, its clock, the daily quota, and new fields.

Diagnosis.kind, seed, plan and network and Guide.pin_author_order get database
defaults, so workers of the release before still insert rows while an upgrade
rolls out. Diagnoses started before have seed 0 and an empty plan: their order
is planned afresh on their next step.
"""

from __future__ import annotations

import diagnostics.models
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('diagnostics', '0005_embed_sites'),
    ]

    operations = [
        migrations.CreateModel(
            name='EvidenceClock',
            fields=[
                ('guide', models.OneToOneField(db_column='guide_slug', on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='evidence_clock', serialize=False, to='diagnostics.guide', to_field='slug')),
                ('tick', models.BigIntegerField(default=0)),
                ('base', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='kind',
            field=models.CharField(choices=[('live', 'Live'), ('demo', 'Demo data'), ('preview', 'Preview')], db_default='live', default='live', help_text='Only live diagnoses teach the ranking; demo and preview ones never count.', max_length=8),
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='network',
            field=models.CharField(blank=True, db_default='', default='', help_text='A keyed hash of the client network that started it (never the address): its daily evidence quota, should the diagnosis be abandoned.', max_length=64),
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='plan',
            field=models.JSONField(blank=True, db_default=models.Value({}, output_field=models.JSONField()), default=dict, help_text='The plan chosen in each context reached, by context key: the order of steps stays put across reloads, Back and workers. Written with every change.'),
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='seed',
            field=models.PositiveIntegerField(db_default=0, default=diagnostics.models.new_seed, help_text='Seeds the one exploration draw of this diagnosis, so its order of fixes is the same on every worker.'),
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='taught_tick',
            field=models.BigIntegerField(blank=True, help_text="Set while this diagnosis's ending counts in the evidence: the guide's evidence tick it was recorded at (so going Back can take it out again).", null=True),
        ),
        migrations.AddField(
            model_name='guide',
            name='pin_author_order',
            field=models.BooleanField(db_default=False, default=False, help_text="Offer fixes in the order the guide's own chances and minutes give. Results are still recorded, but the ranking does not use them while this is on.", verbose_name="pin the author's order"),
        ),
        migrations.CreateModel(
            name='EvidenceQuota',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('network', models.CharField(max_length=64)),
                ('day', models.DateField(db_index=True)),
                ('count', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('network', 'day'), name='unique_quota_network_day')],
            },
        ),
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('context', models.TextField(blank=True)),
                ('kind', models.CharField(max_length=16)),
                ('key', models.TextField()),
                ('count', models.IntegerField(default=0)),
                ('weight', models.FloatField(default=0.0)),
                ('guide', models.ForeignKey(db_column='guide_slug', db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='diagnostics.guide', to_field='slug')),
            ],
            options={
                'verbose_name_plural': 'evidence',
                'constraints': [models.UniqueConstraint(fields=('guide', 'context', 'kind', 'key'), name='unique_evidence_line')],
            },
        ),
    ]
