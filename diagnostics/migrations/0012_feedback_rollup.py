# The dashboard's "Was this helpful?" counts are rolled up with the rest:
# the watermark says up to when answers are in the stored rows, and the
# latest answers are read by their time, newest first.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('diagnostics', '0011_support'),
    ]

    operations = [
        migrations.AddField(
            model_name='rollupwatermark',
            name='feedback_before',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='feedback',
            index=models.Index(fields=['created'], name='feedback_by_created'),
        ),
    ]
