"""``python manage.py purge_diagnoses``: delete what is no longer worth keeping.

A dry run unless ``--yes`` (or ``--apply``, ``--commit``) is given: it prints
what it would delete. Run it from cron or a systemd timer, daily is plenty
(docs/operations.md, "Retention"). What is kept and for how long is in
:mod:`diagnostics.flow.retention`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from diagnostics.flow.retention import purge, purge_rules


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise CommandError(f"--older-than takes a whole number of days, not {value!r}.") from None
    if days < 1:
        raise CommandError(f"--older-than must be at least 1 day, not {days}.")
    return days


class Command(BaseCommand):
    help = (
        "Delete diagnoses opened but never answered (HELPDESK_UNANSWERED_RETENTION_HOURS), "
        "erase contact details and feedback comments (HELPDESK_CONTACT_RETENTION_DAYS), "
        "and with --older-than DAYS delete every diagnosis older than that. "
        "A dry run unless --yes is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            dest="older_than",
            metavar="DAYS",
            type=_days,
            help="Also delete diagnoses last changed more than DAYS days ago, with their"
            " answers, fix attempts, step events, tickets and feedback. Learned evidence"
            " and daily rollups are kept.",
        )
        parser.add_argument(
            "--yes",
            "--apply",
            "--commit",
            dest="apply",
            action="store_true",
            help="Really delete (without it, only print what would be deleted).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        older_than = options["older_than"]
        rules = purge_rules(
            unanswered_for=timedelta(hours=settings.HELPDESK_UNANSWERED_RETENTION_HOURS),
            contacts_for=timedelta(days=settings.HELPDESK_CONTACT_RETENTION_DAYS),
            older_than=timedelta(days=older_than) if older_than else None,
        )
        apply = options["apply"]
        for rule, count in purge(rules=rules, apply=apply):
            if rule.erase is None:
                verb = "Deleted" if apply else "Would delete"
            else:
                verb = "Changed" if apply else "Would change"
            self.stdout.write(f"{verb} {count} {rule.noun}: {rule.reason}.")
        if not apply:
            self.stdout.write("Dry run: nothing was deleted. Run again with --yes to delete.")
