"""A diagnosis's transcript, in the order it happened, read from its step events.

Back deletes the answer it undoes, and answering an earlier step again deletes
every answer after it, so the Answer and FixAttempt rows only tell where a
diagnosis ended up. The step events (:class:`~diagnostics.models.StepEvent`)
are never deleted by the flow: each step shown becomes one entry, with what
the person did there (answered, went back, started over, left it with the
browser's Back to answer an earlier step again) and how long it took.

Diagnoses from before step events were recorded have none; theirs is rebuilt
from the rows, as before, without Back or times.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from diagnostics import engine
from diagnostics.models import Answer, Diagnosis, FixAttempt, StepEvent, guide_for_version

KINDS = {"question": "Question", "fix": "Fix", "outcome": "Outcome"}
RESULTS = dict(FixAttempt.Result.choices)


@dataclass(frozen=True)
class Entry:
    """One step as the person saw it, and what they did there."""

    number: int  # the step's number in the diagnosis (its address, /step/<number>/)
    when: datetime  # when it was shown (when it was answered, for a diagnosis without events)
    kind: str  # "Question", "Fix" or "Outcome"
    step: str  # the question, fix or outcome, in the guide's words
    action: str  # what happened there, e.g. "Answered", "Went back", "Started over"
    answer: str = ""  # the choice or fix result, in the guide's words
    seconds: int | None = None  # time spent on the step, when known
    replaced_by: uuid.UUID | None = None  # for Start over: the diagnosis opened instead


def transcript(*, diagnosis: Diagnosis) -> list[Entry]:
    """Every step shown to the person, in order (from the rows if it has no step events)."""
    guide = guide_for_version(diagnosis.guide_version_id)
    events = list(StepEvent.objects.filter(diagnosis=diagnosis).order_by("id"))
    if not events:
        return _from_rows(diagnosis=diagnosis, guide=guide)
    return _from_events(diagnosis=diagnosis, guide=guide, events=events)


def _kind(step: str) -> str:
    kind, _ = engine.split_key(step)
    return KINDS.get(kind, kind.title())


def _answer(guide: engine.Guide, step: str, choice: str) -> str:
    """A choice or fix result in the guide's words (the id itself if the guide lacks it)."""
    kind, step_id = engine.split_key(step)
    if kind == "fix":
        return str(RESULTS.get(choice, choice))
    question = guide.question(step_id)
    label = question.choice(choice) if question else None
    return label.label if label else choice


def _ending(diagnosis: Diagnosis, step: str) -> str:
    """What the last step shown, with nothing done there, means."""
    if _kind(step) == "Outcome":
        return "Ended here"
    if diagnosis.status == Diagnosis.Status.ABANDONED:
        return "Left without answering"
    return "Not answered yet"


def _from_events(
    *, diagnosis: Diagnosis, guide: engine.Guide, events: list[StepEvent]
) -> list[Entry]:
    entries: list[Entry] = []
    shown: StepEvent | None = None  # the step on screen, until something happens there

    def visit(
        event: StepEvent,
        action: str,
        *,
        answer: str = "",
        seconds: int | None = None,
        replaced_by: uuid.UUID | None = None,
    ) -> Entry:
        return Entry(
            number=event.position + 1,
            when=event.created,
            kind=_kind(event.step),
            step=guide.label(event.step),
            action=action,
            answer=answer,
            seconds=seconds,
            replaced_by=replaced_by,
        )

    for event in events:
        if event.action == StepEvent.Action.SHOWN:
            if shown is not None:  # pragma: no cover - two shown in a row: a torn record
                entries.append(visit(shown, "No answer recorded"))
            shown = event
            continue
        answer = _answer(guide, event.step, event.choice) if event.choice else ""
        at_shown_step = shown is not None and (shown.step, shown.position) == (
            event.step,
            event.position,
        )
        if event.action == StepEvent.Action.ANSWERED and not at_shown_step:
            # Answered again at an earlier step, reached with the browser's Back.
            if shown is not None:
                entries.append(visit(shown, f"Left for step {event.position + 1}"))
            entries.append(
                visit(
                    event,
                    "Answered again, replacing the answers after it",
                    answer=answer,
                    seconds=event.seconds,
                )
            )
            shown = None
            continue
        action = {
            StepEvent.Action.ANSWERED: "Answered",
            StepEvent.Action.BACK: "Went back",
            StepEvent.Action.START_OVER: "Started over",
        }.get(event.action, event.get_action_display())
        replaced_by = (
            diagnosis.replaced_by_id if event.action == StepEvent.Action.START_OVER else None
        )
        entries.append(
            visit(
                shown or event,
                action,
                answer=answer,
                seconds=event.seconds,
                replaced_by=replaced_by,
            )
        )
        shown = None
    if shown is not None:
        entries.append(visit(shown, _ending(diagnosis, shown.step)))
    return entries


def _from_rows(*, diagnosis: Diagnosis, guide: engine.Guide) -> list[Entry]:
    """The answers and fix results where the diagnosis ended up (no step events)."""
    entries = []
    for answer in Answer.objects.filter(diagnosis=diagnosis):
        step = engine.make_key("question", answer.question)
        entries.append(
            Entry(
                number=answer.position,
                when=answer.created,
                kind="Question",
                step=guide.label(step),
                action="Answered",
                answer=_answer(guide, step, answer.choice),
            )
        )
    for attempt in FixAttempt.objects.filter(diagnosis=diagnosis):
        step = engine.make_key("fix", attempt.fix)
        entries.append(
            Entry(
                number=attempt.position,
                when=attempt.created,
                kind="Fix",
                step=guide.label(step),
                action="Answered",
                answer=attempt.get_result_display(),
            )
        )
    return sorted(entries, key=lambda entry: entry.number)


def duration(seconds: int | None) -> str:
    """Seconds as people say them: "45 s", "3 min 5 s", "2 h 10 min", "3 days 4 h"."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"


def time_spent(entries: list[Entry]) -> int | None:
    """The seconds spent on the steps, added up (None when none were timed)."""
    timed = [entry.seconds for entry in entries if entry.seconds is not None]
    return sum(timed) if timed else None
