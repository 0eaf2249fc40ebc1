"""Which questions are on a person's path, which may be asked now, and where the path ends.

The guide lists its questions in order; ``ask_if`` (on earlier questions) and a
choice's ``next`` (a jump to a later question or to an outcome) shape the path.
The planner need not ask them in that order: it may skip a question, or ask it
between fixes. :func:`walk` therefore reads the answers given so far, in the
guide's order, and sorts the questions not yet answered into those that may be
asked now and those waiting for an earlier answer.

Only answers on the path count. An answer left over from a path the person
turned away from (they went Back and chose differently, or a later jump went
past it) is ignored everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from diagnostics.engine.conditions import matches, may_match
from diagnostics.engine.model import Guide, GuideError, InvalidAnswer, Outcome, Question


@dataclass(frozen=True)
class Walk:
    """The answers on the path, read in the guide's order."""

    answers: dict[str, str]  # on the path, in the order they were given
    ending: Outcome | None  # the outcome an answer jumped to, if any
    open: tuple[Question, ...]  # not answered, and may be asked now
    waiting: tuple[Question, ...]  # not answered; may be asked once an earlier answer allows


def walk(guide: Guide, answers: Mapping[str, str]) -> Walk:
    """Read ``answers`` along the guide's questions.

    A question whose ``ask_if`` fails on the answers on the path is off the
    path; one whose ``ask_if`` names a question not answered yet is waiting.
    Raises :class:`InvalidAnswer` for an answer on the path that is not one of
    its question's choices, and :class:`GuideError` on a loop of jumps.
    """
    index = {q.id: i for i, q in enumerate(guide.questions)}
    position = 0
    visited: set[str] = set()
    on_path: dict[str, str] = {}
    open_now: list[Question] = []
    waiting: list[Question] = []
    ending: Outcome | None = None
    while position < len(guide.questions):
        question = guide.questions[position]
        if question.id in visited:
            raise GuideError(
                "is reached again on one path, so that path never ends", step=question.id
            )
        visited.add(question.id)
        position += 1
        if not may_match(question.ask_if, on_path):
            continue
        if not matches(question.ask_if, on_path):
            waiting.append(question)
            continue
        if question.id not in answers:
            open_now.append(question)
            continue
        choice = question.choice(answers[question.id])
        if choice is None:
            raise InvalidAnswer(f"'{answers[question.id]}' is not a choice of '{question.id}'")
        on_path[question.id] = choice.id
        if choice.next in guide.outcomes:
            ending = guide.outcomes[choice.next]
            break
        if choice.next:
            position = index[choice.next]
    given = {q: on_path[q] for q in answers if q in on_path}
    return Walk(answers=given, ending=ending, open=tuple(open_now), waiting=tuple(waiting))


def path_answers(guide: Guide, answers: Mapping[str, str]) -> dict[str, str]:
    """Only the answers on the current path, in the order they were given."""
    return walk(guide, answers).answers


def question_path(guide: Guide, answers: Mapping[str, str]) -> Iterator[Question | Outcome]:
    """Walk the questions in the guide's order, asking every one the path reaches.

    Yields each question on the path; stops after yielding the first
    unanswered question, or an outcome that a choice jumps to. This is the
    walk of a person asked everything (the validator's view of every path),
    not necessarily what the planner asks. Raises :class:`InvalidAnswer` and
    :class:`GuideError` like :func:`walk`.
    """
    index = {q.id: i for i, q in enumerate(guide.questions)}
    position = 0
    visited: set[str] = set()
    on_path: dict[str, str] = {}
    while position < len(guide.questions):
        question = guide.questions[position]
        if question.id in visited:
            raise GuideError(
                "is reached again on one path, so that path never ends", step=question.id
            )
        visited.add(question.id)
        if not matches(question.ask_if, on_path):
            position += 1
            continue
        yield question
        if question.id not in answers:
            return
        choice = question.choice(answers[question.id])
        if choice is None:
            raise InvalidAnswer(f"'{answers[question.id]}' is not a choice of '{question.id}'")
        on_path[question.id] = choice.id
        if choice.next in guide.outcomes:
            yield guide.outcomes[choice.next]
            return
        position = index[choice.next] if choice.next else position + 1
