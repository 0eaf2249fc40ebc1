"""Which diagnoses are deleted, and when: ``manage.py purge_diagnoses``.

Each reason to delete is a :class:`Rule`: what it means, in words for the
operator, and the diagnoses it covers right now. :func:`purge_rules` lists the
rules in force; :func:`purge` counts what they cover (a dry run) or deletes it.

Today there is one rule: diagnoses **opened and never answered** (Start
pressed, nothing answered since, ``revision`` 0) for longer than
``HELPDESK_UNANSWERED_RETENTION_HOURS``. They hold no answer, only the fact
that a start screen was left, and are not counted as people in the reports
(:mod:`diagnostics.insight.reports`). Staff insight's retention of old
diagnoses (``--older-than DAYS``) is meant to join here as a second rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from diagnostics.models import Diagnosis

BATCH = 500  # rows deleted per transaction, so a large purge never holds the writer long

# Opened and left at the start: nothing was ever changed (answers, Back and
# Start over all bump the revision). An untouched diagnosis is in progress, or
# was marked abandoned by an older release's mark_abandoned.
NEVER_ANSWERED = Q(revision=0, journal=[]) & Q(
    status__in=[Diagnosis.Status.IN_PROGRESS, Diagnosis.Status.ABANDONED]
)


@dataclass(frozen=True)
class Rule:
    """One reason to delete diagnoses, and those it covers."""

    reason: str  # for the operator: "opened but never answered, for over 24 hours"
    diagnoses: QuerySet[Diagnosis]


def never_answered(*, older_than: timedelta, now: datetime | None = None) -> Rule:
    """Diagnoses opened more than ``older_than`` ago and never answered."""
    before = (now or timezone.now()) - older_than
    hours = round(older_than.total_seconds() / 3600)
    return Rule(
        reason=f"opened but never answered, for over {hours} hours",
        diagnoses=Diagnosis.objects.filter(NEVER_ANSWERED, created__lt=before),
    )


def purge_rules(*, unanswered_for: timedelta, now: datetime | None = None) -> list[Rule]:
    """The rules in force, given how long to keep each kind of diagnosis."""
    return [never_answered(older_than=unanswered_for, now=now)]


def purge(*, rules: Sequence[Rule], apply: bool) -> list[tuple[Rule, int]]:
    """How many diagnoses each rule covers; with ``apply``, delete them, and say how many went.

    Deleting goes in batches, each in its own transaction, and each row is
    taken only if it still matches its rule then (locked on PostgreSQL), so
    a person answering at that very moment keeps their diagnosis.
    """
    return [(rule, _delete(rule) if apply else rule.diagnoses.count()) for rule in rules]


def _delete(rule: Rule) -> int:
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                rule.diagnoses.order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)[:BATCH]
            )
            if not batch:
                return deleted
            rows = rule.diagnoses.filter(pk__in=batch)
            deleted += rows.delete()[1].get(Diagnosis._meta.label, 0)
