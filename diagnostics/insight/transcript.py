"""Rebuild a diagnosis's full transcript from its rows, in the order it happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from diagnostics.models import Answer, Diagnosis, FixAttempt, guide_for_version


@dataclass(frozen=True)
class Entry:
    position: int
    when: datetime
    kind: str  # "Question" or "Fix"
    step: str  # the question or the fix, in the guide's words
    answer: str


def transcript(*, diagnosis: Diagnosis) -> list[Entry]:
    guide = guide_for_version(diagnosis.guide_version_id)
    entries = []
    for answer in Answer.objects.filter(diagnosis=diagnosis):
        question = guide.question(answer.question)
        choice = question.choice(answer.choice) if question else None
        entries.append(
            Entry(
                position=answer.position,
                when=answer.created,
                kind="Question",
                step=question.prompt if question else answer.question,
                answer=choice.label if choice else answer.choice,
            )
        )
    for attempt in FixAttempt.objects.filter(diagnosis=diagnosis):
        fix = guide.fix(attempt.fix)
        entries.append(
            Entry(
                position=attempt.position,
                when=attempt.created,
                kind="Fix",
                step=fix.title if fix else attempt.fix,
                answer=attempt.get_result_display(),
            )
        )
    return sorted(entries, key=lambda entry: entry.position)
