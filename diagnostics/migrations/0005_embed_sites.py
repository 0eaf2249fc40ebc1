"""Embedding sites managed in the admin, and the site each diagnosis ran in.

Diagnosis.embed_site is nullable with no default: workers of the release
before insert diagnoses without it, which is "none", as it was for them.
"""

from __future__ import annotations

import diagnostics.models
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('diagnostics', '0004_diagnosis_started_over'),
    ]

    operations = [
        migrations.CreateModel(
            name='EmbedSite',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('origin', models.CharField(help_text="The site's exact origin, as its address bar shows it: https://shop.example.com", max_length=200, unique=True, validators=[diagnostics.models.validate_origin])),
                ('name', models.CharField(help_text='For staff: whose site this is.', max_length=100)),
                ('active', models.BooleanField(default=True, help_text='Untick to stop this site from showing the help desk.')),
                ('accent', models.CharField(blank=True, help_text="Buttons, links and the progress bar, as #rrggbb. Empty: the help desk's own.", max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'Enter a colour such as #1559c2.')], verbose_name='accent colour')),
                ('scheme', models.CharField(choices=[('auto', "Follow the visitor's device (light or dark)"), ('light', 'Always light'), ('dark', 'Always dark')], default='auto', max_length=8, verbose_name='colour scheme')),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('updated', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'embedding site',
                'ordering': ['name'],
            },
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='embed_site',
            field=models.ForeignKey(blank=True, help_text='The staff-managed site whose iframe it ran in (checked against the allowed list), or empty: on the help desk itself, or a site known only from the environment.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='diagnoses', to='diagnostics.embedsite', verbose_name='embedding site'),
        ),
    ]
