"""``seed_demo_data``: demo diagnoses the dashboard keeps apart and the ranking ignores."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from diagnostics.insight.dashboard import Filters, dashboard
from diagnostics.insight.demo import seed_demo_data
from diagnostics.models import (
    Answer,
    Diagnosis,
    EmbedSite,
    Evidence,
    EvidenceClock,
    Feedback,
    FixAttempt,
    Guide,
    StepEvent,
    Ticket,
)

pytestmark = pytest.mark.django_db


def test_demo_data_is_whole_and_marked_demo(guide: Guide) -> None:
    EmbedSite.objects.create(origin="https://shop.example.com", name="Shop")
    now = timezone.now()
    seeded = seed_demo_data(diagnoses=300, days=10, batch=120, seed=7, now=now)
    assert seeded.diagnoses == Diagnosis.objects.count() == 300
    assert set(Diagnosis.objects.values_list("kind", flat=True)) == {Diagnosis.Kind.DEMO}
    assert seeded.answers == Answer.objects.count() > 300
    assert seeded.attempts == FixAttempt.objects.count() > 300
    assert seeded.events == StepEvent.objects.count()
    # Each diagnosis: its journal is its answers and attempts, in order; a step
    # event shown for each step and the last, and one answered per entry.
    for diagnosis in Diagnosis.objects.all()[:50]:
        answers = list(diagnosis.answers.values_list("position", "question", "choice"))
        attempts = list(diagnosis.attempts.values_list("position", "fix", "result"))
        rows = sorted(answers + attempts)
        assert [[k, i, c] for k, i, c in diagnosis.journal] == [
            ["question" if row in answers else "fix", row[1], row[2]] for row in rows
        ]
        events = list(diagnosis.step_events.values_list("action", flat=True))
        assert events.count("answered") == len(rows) == diagnosis.revision > 0
        assert events.count("shown") == len(rows) + 1
        assert diagnosis.step_events.last().step == diagnosis.last_step
        assert now - timedelta(days=10, seconds=1) <= diagnosis.created <= diagnosis.updated <= now
    statuses = dict(Diagnosis.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses.get("resolved", 0) > 0
    assert statuses.get("escalated", 0) > 0
    assert statuses.get("abandoned", 0) > 0
    assert Diagnosis.objects.exclude(embed_site=None).exists()
    codes = Diagnosis.objects.values_list("support_code", flat=True)
    assert len(set(codes)) == 300


def test_demo_data_never_teaches_the_ranking_and_shows_only_on_request(guide: Guide) -> None:
    now = timezone.now()
    seed_demo_data(diagnoses=100, days=3, seed=3, now=now)
    assert not Evidence.objects.exists()
    assert not EvidenceClock.objects.filter(tick__gt=0).exists()
    assert not Diagnosis.objects.exclude(taught_tick=None).exists()
    today = now.date()
    live = dashboard(filters=Filters(start=today - timedelta(days=4), end=today), now=now)
    demo = dashboard(
        filters=Filters(start=today - timedelta(days=4), end=today, demo=True), now=now
    )
    assert live.started == 0
    assert demo.started == 100


def test_the_command_reports_what_it_wrote(guide: Guide) -> None:
    out = StringIO()
    call_command("seed_demo_data", "--diagnoses", "40", "--seed", "1", stdout=out)
    assert out.getvalue().startswith("40 demo diagnoses, ")
    assert Diagnosis.objects.count() == 40
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_demo_data", "--diagnoses", "0", stdout=out)


def test_without_a_published_guide_it_says_so(db: None) -> None:
    with pytest.raises(CommandError, match="load_guides"):
        call_command("seed_demo_data", "--diagnoses", "5", stdout=StringIO())


def test_demo_data_has_tickets_on_escalations_and_feedback_on_endings(guide: Guide) -> None:
    seed_demo_data(diagnoses=400, days=10, batch=150, seed=3)
    tickets = Ticket.objects.select_related("diagnosis")
    assert tickets.exists()
    assert {ticket.diagnosis.status for ticket in tickets} == {Diagnosis.Status.ESCALATED}
    assert all(ticket.email.endswith("@example.invalid") for ticket in tickets)
    assert all(ticket.created == ticket.diagnosis.updated for ticket in tickets)
    feedback = Feedback.objects.select_related("diagnosis")
    assert feedback.filter(helpful=True).exists()
    assert feedback.filter(helpful=False).exists()
    assert {answer.diagnosis.status for answer in feedback} <= {
        Diagnosis.Status.RESOLVED,
        Diagnosis.Status.ESCALATED,
    }
    escalated = Diagnosis.objects.filter(status=Diagnosis.Status.ESCALATED).count()
    assert tickets.count() < escalated  # about half of them, not all
