"""Walking a guide: the next step for a person, and how far along they are.

The questions are walked in the guide's order, as the answers lead; then the
applicable fixes are offered in the planner's order
(:mod:`diagnostics.engine.planning`), one at a time, until one works or none
is left.

Only answers on the current path count. Answers can be left over from a path
the person turned away from (they went Back and chose differently); those are
ignored everywhere: for ``ask_if``, for a fix's ``when`` and for progress.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from diagnostics.engine.model import (
    Attempt,
    Fix,
    Guide,
    GuideError,
    InvalidAnswer,
    Outcome,
    Progress,
    Question,
    Result,
    Step,
)
from diagnostics.engine.planning import applicable_fixes, matches, may_match


def question_path(guide: Guide, answers: Mapping[str, str]) -> Iterator[Question | Outcome]:
    """Walk the questions as the answers lead, yielding each question on the path.

    Stops after yielding the first unanswered question, or an outcome that a
    choice jumps to. An ``ask_if`` is judged on the answers given earlier on
    this path only. Raises :class:`InvalidAnswer` for an answer on the path
    that is not one of its question's choices, and :class:`GuideError` on a loop.
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


def path_answers(guide: Guide, answers: Mapping[str, str]) -> dict[str, str]:
    """Only the answers on the current path, in the order they were asked."""
    return {
        step.id: answers[step.id]
        for step in question_path(guide, answers)
        if isinstance(step, Question) and step.id in answers
    }


def next_step(guide: Guide, answers: Mapping[str, str], attempts: Sequence[Attempt] = ()) -> Step:
    """The step to show next: a needed question, the best untried fix, or an outcome."""
    on_path: dict[str, str] = {}
    for step in question_path(guide, answers):
        if isinstance(step, Outcome):
            return step
        if step.id not in answers:
            return step
        on_path[step.id] = answers[step.id]
    if any(a.result == Result.FIXED for a in attempts):
        return guide.outcomes[guide.resolved]
    tried = {a.fix for a in attempts}
    for fix in applicable_fixes(guide, on_path):
        if fix.id not in tried:
            return fix
    return guide.outcomes[guide.exhausted]


def progress(
    guide: Guide,
    answers: Mapping[str, str],
    attempts: Sequence[Attempt],
    *,
    current: Step | None = None,
) -> Progress:
    """Which question or fix the person is on, and of how many.

    Questions: those answered on the path, this one, and the later ones whose
    ``ask_if`` could still hold. Fixes: every fix the answers make applicable.
    Both are upper bounds: an answer can end the questions early, and a fix
    that works ends the fixes. Pass ``current`` (the :func:`next_step` already
    worked out) to save walking the guide again.
    """
    if current is None:
        current = next_step(guide, answers, attempts)
    on_path = path_answers(guide, answers)
    if isinstance(current, Question):
        later = guide.questions[guide.questions.index(current) + 1 :]
        ahead = sum(1 for q in later if may_match(q.ask_if, on_path))
        return Progress(kind="question", number=len(on_path) + 1, total=len(on_path) + 1 + ahead)
    if isinstance(current, Fix):
        number = len(attempts) + 1
        return Progress(
            kind="fix", number=number, total=max(len(applicable_fixes(guide, on_path)), number)
        )
    return Progress(kind="outcome", number=0, total=0)
