"""Demo data for the dashboard and its benchmark: ``manage.py seed_demo_data``.

Realistic diagnoses of every published guide, spread over the last days:
paths walked by the engine itself (answers drawn by the choices' chances, fix
results by the fixes' chances), with their answers, fix attempts and step
events, written in batches with ``bulk_create``. Every diagnosis is
``kind=demo``: the dashboard shows it only on request, and the learned ranking
never sees it (no evidence is recorded, ``taught_tick`` stays empty).

Tickets and feedback are added per batch by :func:`seed_demo_extras`.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.utils import timezone

from diagnostics import engine
from diagnostics.models import (
    SUPPORT_CODE_ALPHABET,
    Answer,
    Diagnosis,
    EmbedSite,
    Feedback,
    FixAttempt,
    Guide,
    StepEvent,
    Ticket,
    guide_for_version,
)

PATHS_PER_GUIDE = 300  # distinct walks drawn per guide; each diagnosis follows one
LEAVE_CHANCE = 0.025  # chance that a person leaves at any step before the end
CANNOT_CHANCE = 0.06  # chance that a person cannot carry out a fix
FIXED_SHARE = 0.7  # a fix works a little less often than its author hoped
CODE_SPACE = len(SUPPORT_CODE_ALPHABET) ** 6


@dataclass(frozen=True)
class Walk:
    """One path through a guide: what was shown, what was answered, how it ended."""

    version_id: int
    steps: tuple[tuple[str, str], ...]  # (step key, answer or fix result), in order
    last: str  # the step on screen at the end (an outcome when it ended)
    status: str


@dataclass(frozen=True)
class Seeded:
    diagnoses: int
    answers: int
    attempts: int
    events: int


def _walk(guide: engine.Guide, version_id: int, rng: random.Random, memo: dict) -> Walk:
    answers: dict[str, str] = {}
    attempts: list[engine.Attempt] = []
    steps: list[tuple[str, str]] = []
    while True:
        key = (tuple(sorted(answers.items())), tuple(attempts))
        if key not in memo:
            memo[key] = engine.next_step(guide, answers, attempts)
        step = memo[key]
        step_key = engine.step_key(step)
        if isinstance(step, engine.Outcome):
            status = (
                Diagnosis.Status.ESCALATED
                if step.outcome == "escalate"
                else Diagnosis.Status.RESOLVED
            )
            return Walk(version_id, tuple(steps), step_key, status)
        if steps and rng.random() < LEAVE_CHANCE:
            return Walk(version_id, tuple(steps), step_key, Diagnosis.Status.ABANDONED)
        if isinstance(step, engine.Question):
            weights = [choice.chance or 1.0 for choice in step.choices]
            choice = rng.choices(step.choices, weights=weights)[0]
            answers[step.id] = choice.id
            steps.append((step_key, choice.id))
        else:
            roll = rng.random()
            if roll < CANNOT_CHANCE:
                result = engine.Result.CANNOT
            elif roll < CANNOT_CHANCE + FIXED_SHARE * step.chance:
                result = engine.Result.FIXED
            else:
                result = engine.Result.NOT_FIXED
            attempts.append(engine.Attempt(step.id, result))
            steps.append((step_key, str(result)))


def _seconds(step_key: str, guide: engine.Guide, rng: random.Random) -> int:
    """How long a person spends on a step: lognormal around a question's or a fix's minutes."""
    step = guide.step(step_key)
    typical = 60 * step.minutes if isinstance(step, engine.Fix) else 15.0
    return max(1, round(rng.lognormvariate(math.log(typical), 0.6)))


def _codes(rng: random.Random, taken: set[str]) -> Iterator[str]:
    """Support codes not in ``taken``: a random walk through the whole code space, no repeats."""
    position = rng.randrange(CODE_SPACE)
    stride = 7_919 * 31 + 1  # not a multiple of 31, so it visits every code once
    while True:
        position = (position + stride) % CODE_SPACE
        n, digits = position, []
        for _ in range(6):
            n, digit = divmod(n, len(SUPPORT_CODE_ALPHABET))
            digits.append(SUPPORT_CODE_ALPHABET[digit])
        code = "".join(digits)
        code = f"{code[:3]}-{code[3:]}"
        if code not in taken:
            yield code


DIAGNOSIS_COLUMNS = (
    "id",
    "guide_version",
    "status",
    "support_code",
    "last_step",
    "revision",
    "journal",
    "started_over",
    "embed_site",
    "kind",
    "seed",
    "plan",
    "network",
    "taught_tick",
    "created",
    "updated",
)
ANSWER_COLUMNS = ("diagnosis", "position", "question", "choice", "created")
ATTEMPT_COLUMNS = ("diagnosis", "position", "fix", "result", "created")
EVENT_COLUMNS = (
    "diagnosis",
    "guide_version",
    "action",
    "step",
    "choice",
    "position",
    "seconds",
    "created",
)
CHUNK = 500  # rows per INSERT statement


def _converter(field: Field) -> Callable[[Any], Any]:
    """The field's own conversion to what the database stores (a UUID, JSON)."""
    return lambda value: field.get_db_prep_save(value, connection)


def _insert(cursor: CursorWrapper, model: type[Model], fields: Sequence[str], rows: list) -> None:
    """Insert plain rows, ``CHUNK`` at a time: the ORM's bulk_create without building models.

    At a million rows, building model instances costs far more than the
    database; the values are already in the database's form (``_converter``).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
    )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        values = ", ".join([one] * len(chunk))
        flat = [value for row in chunk for value in row]
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", flat)  # noqa: S608


def seed_demo_extras(*, diagnosis_ids: Sequence[Any], rng: random.Random) -> None:
    """Tickets and feedback for the batch's diagnoses, like people leave them.

    Called once per batch with the keys of its diagnoses (as stored), after
    they are written, inside the batch's transaction. About half of the
    escalated diagnoses get a ticket (no real person's details: addresses end
    in ``example.invalid``), and about a quarter of the ended ones (resolved
    or escalated) answer "Was this helpful?", mostly yes when a fix worked and
    mostly no when nothing did.
    """
    ended = Diagnosis.objects.filter(
        pk__in=diagnosis_ids,
        status__in=[Diagnosis.Status.RESOLVED, Diagnosis.Status.ESCALATED],
    ).values_list("pk", "status", "updated")
    to_pk = _converter(Diagnosis._meta.pk)
    when = _converter(Ticket._meta.get_field("created"))
    tickets, feedback = [], []
    for pk, status, updated in ended:
        escalated = status == Diagnosis.Status.ESCALATED
        if escalated and rng.random() < DEMO_TICKET_SHARE:
            number = rng.randrange(10**6)
            state = rng.choices(list(Ticket.Status), weights=(2, 1, 5))[0]
            tickets.append(
                (
                    to_pk(pk),
                    "",
                    f"person{number}@example.invalid",
                    "",
                    rng.choice(DEMO_MESSAGES),
                    state.value,
                    "",
                    when(updated),
                    when(updated),
                )
            )
        if rng.random() < DEMO_FEEDBACK_SHARE:
            helpful = rng.random() < (0.2 if escalated else 0.85)
            comment = rng.choice(DEMO_COMMENTS) if rng.random() < 0.3 else ""
            feedback.append((to_pk(pk), helpful, comment, when(updated)))
    with connection.cursor() as cursor:
        _insert(cursor, Ticket, TICKET_COLUMNS, tickets)
        _insert(cursor, Feedback, FEEDBACK_COLUMNS, feedback)


DEMO_TICKET_SHARE = 0.5
DEMO_FEEDBACK_SHARE = 0.25
DEMO_MESSAGES = ("", "", "Still not working after all of that.", "Please call me back.")
DEMO_COMMENTS = ("Quick and clear.", "Too many steps.", "Didn't help.", "Thanks!")
TICKET_COLUMNS = (
    "diagnosis",
    "name",
    "email",
    "phone",
    "message",
    "status",
    "notes",
    "created",
    "updated",
)
FEEDBACK_COLUMNS = ("diagnosis", "helpful", "comment", "created")


def seed_demo_data(
    *,
    diagnoses: int,
    days: int = 90,
    batch: int = 2000,
    seed: int | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Seeded:
    """Write ``diagnoses`` demo diagnoses spread over the last ``days`` days."""
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    now = now or timezone.now()
    guides = list(Guide.objects.filter(current_version__isnull=False))
    if not guides:
        raise ValueError("No guide is published yet: run manage.py load_guides first.")
    walks: list[Walk] = []
    parsed: dict[int, engine.Guide] = {}
    for guide in guides:
        version_id = guide.current_version_id
        assert version_id is not None
        parsed[version_id] = guide_for_version(version_id)
        memo: dict = {}
        walks += [_walk(parsed[version_id], version_id, rng, memo) for _ in range(PATHS_PER_GUIDE)]
    sites: list[int | None] = [None, None, *EmbedSite.objects.values_list("pk", flat=True)]
    codes = _codes(rng, set(Diagnosis.objects.values_list("support_code", flat=True)))
    span = timedelta(days=days).total_seconds()
    idle = timedelta(hours=24)
    totals = [0, 0, 0, 0]
    uuid_db = _converter(Diagnosis._meta.pk)
    journal_db = _converter(Diagnosis._meta.get_field("journal"))
    plan_db = _converter(Diagnosis._meta.get_field("plan"))
    when_db = connection.ops.adapt_datetimefield_value
    for first in range(0, diagnoses, batch):
        size = min(batch, diagnoses - first)
        rows: list[tuple] = []
        answers: list[tuple] = []
        attempts: list[tuple] = []
        events: list[tuple] = []
        for _ in range(size):
            walk = rng.choice(walks)
            guide = parsed[walk.version_id]
            # More people on weekdays, as a help desk sees.
            started = now - timedelta(seconds=rng.random() * span)
            while started.weekday() >= 5 and rng.random() < 0.4:
                started = now - timedelta(seconds=rng.random() * span)
            times = [_seconds(key, guide, rng) for key, _ in walk.steps]
            ended = started + timedelta(seconds=sum(times) + 2)
            if ended > now:
                started -= ended - now
                ended = now
            status = walk.status
            if status == Diagnosis.Status.ABANDONED and now - ended < idle:
                status = Diagnosis.Status.IN_PROGRESS  # may still come back
            stored = uuid_db(uuid.UUID(int=rng.getrandbits(128), version=4))
            rows.append(
                (
                    stored,
                    walk.version_id,
                    status,
                    next(codes),
                    walk.last,
                    len(walk.steps),
                    journal_db([[*engine.split_key(key), c] for key, c in walk.steps]),
                    False,
                    rng.choice(sites),
                    Diagnosis.Kind.DEMO.value,
                    rng.randrange(2**31),
                    plan_db({}),
                    "",
                    None,
                    when_db(started),
                    when_db(ended),
                )
            )
            moment = started
            position = 0
            for (key, choice), seconds in zip(walk.steps, times, strict=True):
                events.append(
                    (
                        stored,
                        walk.version_id,
                        "shown",
                        key,
                        "",
                        position,
                        None,
                        when_db(moment),
                    )
                )
                moment += timedelta(seconds=seconds)
                position += 1
                kind, step_id = engine.split_key(key)
                row = (stored, position, step_id, choice, when_db(moment))
                (answers if kind == "question" else attempts).append(row)
                events.append(
                    (
                        stored,
                        walk.version_id,
                        "answered",
                        key,
                        choice,
                        position - 1,
                        seconds,
                        when_db(moment),
                    )
                )
            events.append(
                (
                    stored,
                    walk.version_id,
                    "shown",
                    walk.last,
                    "",
                    position,
                    None,
                    when_db(moment),
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            _insert(cursor, Diagnosis, DIAGNOSIS_COLUMNS, rows)
            _insert(cursor, Answer, ANSWER_COLUMNS, answers)
            _insert(cursor, FixAttempt, ATTEMPT_COLUMNS, attempts)
            _insert(cursor, StepEvent, EVENT_COLUMNS, events)
            seed_demo_extras(diagnosis_ids=[row[0] for row in rows], rng=rng)
        totals = [
            totals[0] + len(rows),
            totals[1] + len(answers),
            totals[2] + len(attempts),
            totals[3] + len(events),
        ]
        if progress is not None:
            progress(totals[0])
    return Seeded(*totals)
