"""A small, hand-counted set of diagnoses for the dashboard's tests.

Written straight into the tables (as the flow and its step events would),
at fixed times around ``NOW``, so every figure can be counted by hand:

day 1 (DAY1), version 1, live, answered:
  A  resolved by the restart fix       shown apple_status, answered (20 s), shown restart,
                                       answered fixed (100 s), shown outcome fixed; 120 s long
  B  ended by an explanation (outage)  apple_status (8 s), outcome apple_outage; 30 s long
  C  escalated                         apple_status (25 s), restart not fixed (200 s),
                                       toggle_contacts_sync could not (50 s), outcome escalate
  D  abandoned (status)                apple_status (12 s), then left at the restart fix
  E  abandoned (idle 30 h, on SITE)    apple_status (40 s), then left at question account
today (DAY3):
  F  in progress (active)              apple_status (15 s), now at question account
left out: G preview, H demo (resolved by restart), I opened and never answered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from diagnostics.models import (
    Diagnosis,
    EmbedSite,
    FixAttempt,
    Guide,
    GuideVersion,
    StepEvent,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY1 = date(2026, 3, 8)
DAY3 = date(2026, 3, 10)

type Event = tuple[str, str, int | None]  # action, step, seconds


def shown(step: str) -> Event:
    return ("shown", step, None)


def answered(step: str, seconds: int) -> Event:
    return ("answered", step, seconds)


def make(
    version: GuideVersion,
    *,
    at: datetime,
    status: str,
    last_step: str,
    events: list[Event],
    attempts: tuple[tuple[str, str], ...] = (),
    lasted: timedelta = timedelta(minutes=5),
    kind: str = Diagnosis.Kind.LIVE,
    site: EmbedSite | None = None,
    answered_once: bool = True,
) -> Diagnosis:
    diagnosis = Diagnosis.objects.create(
        guide_version=version,
        status=status,
        last_step=last_step,
        kind=kind,
        embed_site=site,
        revision=1 if answered_once else 0,
        journal=[["question", "apple_status", "all_green"]] if answered_once else [],
    )
    Diagnosis.objects.filter(pk=diagnosis.pk).update(created=at, updated=at + lasted)
    for position, (fix, result) in enumerate(attempts, 1):
        FixAttempt.objects.create(diagnosis=diagnosis, position=position, fix=fix, result=result)
    moment = at
    for position, (action, step, seconds) in enumerate(events):
        moment += timedelta(seconds=seconds or 0)
        StepEvent.objects.create(
            diagnosis=diagnosis,
            guide_version=version,
            action=action,
            step=step,
            position=position,
            seconds=seconds,
            created=moment,
        )
    return diagnosis


def second_version(guide: Guide) -> GuideVersion:
    """Another version of the same guide (same content, a new number)."""
    first = guide.current_version
    assert first is not None
    return GuideVersion.objects.create(
        guide=guide,
        number=first.number + 1,
        checksum="b" * 64,
        source=first.source,
        data=first.data,
    )


def hand_counted(guide: Guide) -> dict[str, Diagnosis]:
    v1 = guide.current_version
    assert v1 is not None
    v2 = second_version(guide)
    site = EmbedSite.objects.create(origin="https://shop.example.com", name="Shop")
    morning = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    q, restart, toggle = "question:apple_status", "fix:restart", "fix:toggle_contacts_sync"
    made = {
        "A": make(
            v1,
            at=morning,
            status="resolved",
            last_step="outcome:fixed",
            events=[
                shown(q),
                answered(q, 20),
                shown(restart),
                answered(restart, 100),
                shown("outcome:fixed"),
            ],
            attempts=(("restart", "fixed"),),
            lasted=timedelta(seconds=120),
        ),
        "B": make(
            v1,
            at=morning,
            status="resolved",
            last_step="outcome:apple_outage",
            events=[shown(q), answered(q, 8), shown("outcome:apple_outage")],
            lasted=timedelta(seconds=30),
        ),
        "C": make(
            v1,
            at=morning,
            status="escalated",
            last_step="outcome:escalate",
            events=[
                shown(q),
                answered(q, 25),
                shown(restart),
                answered(restart, 200),
                shown(toggle),
                answered(toggle, 50),
                shown("outcome:escalate"),
            ],
            attempts=(("restart", "not_fixed"), ("toggle_contacts_sync", "cannot")),
        ),
        "D": make(
            v1,
            at=morning,
            status="abandoned",
            last_step=restart,
            events=[shown(q), answered(q, 12), shown(restart)],
        ),
        "E": make(
            v1,
            at=morning,
            status="in_progress",
            last_step="question:account",
            events=[shown(q), answered(q, 40), shown("question:account")],
            site=site,
        ),
        "F": make(
            v2,
            at=NOW - timedelta(hours=2),
            status="in_progress",
            last_step="question:account",
            events=[shown(q), answered(q, 15), shown("question:account")],
            lasted=timedelta(hours=1),
        ),
        # Left out of every live figure:
        "G": make(
            v1,
            at=morning,
            status="resolved",
            last_step="outcome:fixed",
            events=[shown(restart), answered(restart, 60), shown("outcome:fixed")],
            attempts=(("restart", "fixed"),),
            kind=Diagnosis.Kind.PREVIEW,
        ),
        "H": make(
            v1,
            at=morning,
            status="resolved",
            last_step="outcome:fixed",
            events=[shown(restart), answered(restart, 60), shown("outcome:fixed")],
            attempts=(("restart", "fixed"),),
            kind=Diagnosis.Kind.DEMO,
        ),
        "I": make(
            v1,
            at=morning,
            status="in_progress",
            last_step=q,
            events=[shown(q)],
            answered_once=False,
        ),
    }
    return made
