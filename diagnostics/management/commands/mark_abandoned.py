"""``python manage.py mark_abandoned``: close diagnoses that nobody has touched for a while.

Run it from cron (hourly is plenty). It only changes the status of unfinished
diagnoses; their answers stay, so staff can see where people gave up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from diagnostics.flow.commands import mark_abandoned


class Command(BaseCommand):
    help = "Mark in-progress diagnoses idle for longer than --idle-hours as abandoned."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--idle-hours", type=int, default=settings.HELPDESK_ABANDON_AFTER_HOURS)

    def handle(self, *args: Any, **options: Any) -> None:
        count = mark_abandoned(idle_for=timedelta(hours=options["idle_hours"]))
        self.stdout.write(f"{count} diagnoses marked abandoned")
