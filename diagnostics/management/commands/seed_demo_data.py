"""``python manage.py seed_demo_data --diagnoses 300000``: realistic demo data, in batches.

For the dashboard's benchmark and for trying the dashboard out. Every row is
marked demo: the dashboard shows it only with "Show demo data only", and the
learned ranking never learns from it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diagnostics.insight.demo import seed_demo_data


class Command(BaseCommand):
    help = (
        "Write demo diagnoses (kind=demo) with answers, fix attempts, step events, tickets"
        " and feedback."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--diagnoses", type=int, default=1000)
        parser.add_argument("--days", type=int, default=90, help="spread over the last DAYS")
        parser.add_argument("--batch", type=int, default=2000, help="diagnoses per transaction")
        parser.add_argument("--seed", type=int, default=None, help="for the same data again")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["diagnoses"] < 1 or options["days"] < 1 or options["batch"] < 1:
            raise CommandError("--diagnoses, --days and --batch must be at least 1.")
        began = time.monotonic()
        step = max(options["diagnoses"] // 10, 1)

        def progress(done: int) -> None:
            if done % step < options["batch"] or done == options["diagnoses"]:
                self.stdout.write(f"  {done} diagnoses written")

        try:
            seeded = seed_demo_data(
                diagnoses=options["diagnoses"],
                days=options["days"],
                batch=options["batch"],
                seed=options["seed"],
                progress=progress if options["verbosity"] > 1 else None,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{seeded.diagnoses} demo diagnoses, {seeded.answers} answers,"
            f" {seeded.attempts} fix attempts and {seeded.events} step events"
            f" in {time.monotonic() - began:.0f} s."
        )
