"""``python manage.py purge_diagnoses``: delete diagnoses that are no longer worth keeping.

A dry run unless ``--yes`` (or ``--apply``) is given: it prints what it would
delete. Run it from cron, daily is plenty (README, "Operations"). What is kept
and for how long is in :mod:`diagnostics.flow.retention`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from diagnostics.flow.retention import purge, purge_rules


class Command(BaseCommand):
    help = (
        "Delete diagnoses opened but never answered for longer than "
        "HELPDESK_UNANSWERED_RETENTION_HOURS. A dry run unless --yes is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--yes",
            "--apply",
            dest="apply",
            action="store_true",
            help="Really delete (without it, only print what would be deleted).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = settings.HELPDESK_UNANSWERED_RETENTION_HOURS
        rules = purge_rules(unanswered_for=timedelta(hours=hours))
        for rule, count in purge(rules=rules, apply=options["apply"]):
            verb = "Deleted" if options["apply"] else "Would delete"
            self.stdout.write(f"{verb} {count} diagnoses: {rule.reason}.")
        if not options["apply"]:
            self.stdout.write("Dry run: nothing was deleted. Run again with --yes to delete.")
