"""Evidence is forgotten faster: a half-life of 100 ended diagnoses per guide instead of 150.

The stored weights are scaled from the guide's ``base`` tick at the half-life
they were written with (``EvidenceClock``). Reading them with another
half-life would misweigh them, so each guide's lines are first brought to
their weight today (``base`` moves up to ``tick``, as the store's own
rescaling does): every line then weighs now exactly what it weighed before,
and from here on fades at the new pace.

A diagnosis that taught before keeps in ``taught_tick`` the tick it was
recorded at, and ``unteach`` takes out ``2 ** ((taught_tick - base) /
half_life)``. So that this still matches what it added (now
``2 ** ((taught_tick - tick) / old)``), its distance back from ``tick`` is
scaled by new / old (rounded towards ``tick``: at most one tick off, under 1%
of its weight).
"""

from django.db import migrations
from django.db.models import F, Value


def _rescale(apps, old: float, new: float) -> None:
    clock_model = apps.get_model("diagnostics", "EvidenceClock")
    evidence_model = apps.get_model("diagnostics", "Evidence")
    diagnosis_model = apps.get_model("diagnostics", "Diagnosis")
    for clock in clock_model.objects.order_by("pk"):
        slug, tick = clock.guide_id, clock.tick
        if tick != clock.base:
            factor = 2.0 ** (-(tick - clock.base) / old)
            evidence_model.objects.filter(guide_id=slug).update(weight=F("weight") * factor)
        # Integer arithmetic: (taught - tick) <= 0, and the division rounds towards zero.
        diagnosis_model.objects.filter(
            guide_version__guide__slug=slug, taught_tick__isnull=False
        ).update(taught_tick=Value(tick) + (F("taught_tick") - Value(tick)) * int(new) / int(old))
        clock_model.objects.filter(pk=clock.pk).update(base=tick)


def forwards(apps, schema_editor):
    _rescale(apps, 150.0, 100.0)


def backwards(apps, schema_editor):
    _rescale(apps, 100.0, 150.0)


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0012_feedback_rollup")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
