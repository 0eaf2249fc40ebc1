"""Which diagnoses are deleted, and when: ``manage.py purge_diagnoses``.

Each reason to delete is a :class:`Rule`: what it means, in words for the
operator, and the rows it covers right now, to delete or (for contact details
kept inside a row) to erase. :func:`purge_rules` lists the rules in force;
:func:`purge` counts what they cover (a dry run) or carries them out.

The rules:

* diagnoses **opened and never answered** (Start pressed, nothing answered
  since, ``revision`` 0) for longer than ``HELPDESK_UNANSWERED_RETENTION_HOURS``.
  They hold no answer, only the fact that a start screen was left, and are not
  counted as people in the reports (:mod:`diagnostics.insight.reports`);
* **contact details and messages** of tickets, and **feedback comments**, older
  than ``HELPDESK_CONTACT_RETENTION_DAYS`` (the privacy notice on the escalation
  form says how long): erased, while the ticket's status and notes and the
  feedback's yes or no stay;
* with ``--older-than DAYS``, **every diagnosis last changed more than DAYS
  ago**, with its answers, fix attempts, step events, ticket and feedback,
  except one whose ticket is still open (new or in progress). What a diagnosis
  taught the learned ranking (``Evidence`` rows, summed per guide) and the
  dashboard's daily rollups are separate rows, and stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from diagnostics.models import Diagnosis, Feedback, Ticket

BATCH = 500  # rows changed per transaction, so a large purge never holds the writer long

# Opened and left at the start: nothing was ever changed (answers, Back and
# Start over all bump the revision). An untouched diagnosis is in progress, or
# was marked abandoned by an older release's mark_abandoned.
NEVER_ANSWERED = Q(revision=0, journal=[]) & Q(
    status__in=[Diagnosis.Status.IN_PROGRESS, Diagnosis.Status.ABANDONED]
)


@dataclass(frozen=True)
class Rule:
    """One reason to delete rows (or erase fields of them), and the rows it covers."""

    reason: str  # for the operator: "opened but never answered, for over 24 hours"
    rows: QuerySet[Any]
    noun: str = "diagnoses"  # what a row is, in the count printed: "12 diagnoses"
    # The fields to empty instead of deleting the row (None: delete it).
    erase: Mapping[str, object] | None = field(default=None)


def never_answered(*, older_than: timedelta, now: datetime | None = None) -> Rule:
    """Diagnoses opened more than ``older_than`` ago and never answered."""
    before = (now or timezone.now()) - older_than
    hours = round(older_than.total_seconds() / 3600)
    return Rule(
        reason=f"opened but never answered, for over {hours} hours",
        rows=Diagnosis.objects.filter(NEVER_ANSWERED, created__lt=before),
    )


def contact_details(*, older_than: timedelta, now: datetime | None = None) -> list[Rule]:
    """What people typed for support (tickets) and in feedback, once ``older_than`` old."""
    now = now or timezone.now()
    before = now - older_than
    days = older_than.days
    return [
        Rule(
            reason=f"contact details and message erased, sent over {days} days ago",
            rows=Ticket.objects.filter(created__lt=before, erased__isnull=True),
            noun="tickets",
            erase={"name": "", "email": "", "phone": "", "message": "", "erased": now},
        ),
        Rule(
            reason=f"comment erased, sent over {days} days ago",
            rows=Feedback.objects.filter(created__lt=before).exclude(comment=""),
            noun="feedback answers",
            erase={"comment": ""},
        ),
    ]


def old_diagnoses(*, older_than: timedelta, now: datetime | None = None) -> Rule:
    """Diagnoses last changed more than ``older_than`` ago, unless their ticket is open."""
    before = (now or timezone.now()) - older_than
    # A subquery, not a join: PostgreSQL locks no row of an outer join's nullable side.
    open_tickets = Ticket.objects.filter(
        status__in=[Ticket.Status.NEW, Ticket.Status.IN_PROGRESS]
    ).values("diagnosis_id")
    return Rule(
        reason=f"last changed over {older_than.days} days ago, with their answers, fix"
        " attempts, step events, tickets and feedback (kept: any with an open ticket)",
        rows=Diagnosis.objects.filter(updated__lt=before).exclude(pk__in=open_tickets),
    )


def purge_rules(
    *,
    unanswered_for: timedelta,
    contacts_for: timedelta,
    older_than: timedelta | None = None,
    now: datetime | None = None,
) -> list[Rule]:
    """The rules in force, given how long to keep each kind of row."""
    now = now or timezone.now()
    rules = [never_answered(older_than=unanswered_for, now=now)]
    rules += contact_details(older_than=contacts_for, now=now)
    if older_than is not None:
        rules.append(old_diagnoses(older_than=older_than, now=now))
    return rules


def purge(*, rules: Sequence[Rule], apply: bool) -> list[tuple[Rule, int]]:
    """How many rows each rule covers; with ``apply``, carry it out, and say how many.

    Changes go in batches, each in its own transaction, and each row is
    taken only if it still matches its rule then (locked on PostgreSQL), so
    a person answering at that very moment keeps their diagnosis.
    """
    return [(rule, _apply(rule) if apply else rule.rows.count()) for rule in rules]


def _apply(rule: Rule) -> int:
    done = 0
    label = rule.rows.model._meta.label
    while True:
        with transaction.atomic():
            batch = list(
                rule.rows.order_by("pk").select_for_update().values_list("pk", flat=True)[:BATCH]
            )
            if not batch:
                return done
            rows = rule.rows.filter(pk__in=batch)
            if rule.erase is None:
                done += rows.delete()[1].get(label, 0)
            else:
                done += rows.update(**rule.erase)
