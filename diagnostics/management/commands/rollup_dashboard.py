"""``python manage.py rollup_dashboard``: store the dashboard's figures of closed days.

Run it from cron once a day (or hourly: it does nothing when up to date). It
is idempotent: each day is stored once, with the watermark, in one transaction.
The dashboard counts the days after the watermark live, so it is right without
this command, only slower as the unrolled days pile up.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from diagnostics.insight.rollups import roll_up


class Command(BaseCommand):
    help = "Store the staff dashboard's daily figures for every closed day not stored yet."

    def handle(self, *args: Any, **options: Any) -> None:
        through, days = roll_up()
        if through is None:
            self.stdout.write("Nothing to roll up: no diagnoses yet.")
        else:
            self.stdout.write(f"{days} days rolled up; stored through {through.isoformat()}.")
