"""Walking a guide: the next step for a person, and how far along they are.

The planner (:mod:`diagnostics.engine.planning`) decides each step: a
question worth asking, the best fix not yet tried, or an outcome. These
functions use the author's priors; the store calls
:func:`~diagnostics.engine.planning.decide` with what it has learned.

Only answers on the current path count (:mod:`diagnostics.engine.paths`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from diagnostics.engine.conditions import applies
from diagnostics.engine.model import Attempt, Fix, Guide, Progress, Question, Step
from diagnostics.engine.paths import path_answers, question_path, walk
from diagnostics.engine.planning import decide, default_knowledge

__all__ = ["next_step", "path_answers", "progress", "question_path"]


def next_step(guide: Guide, answers: Mapping[str, str], attempts: Sequence[Attempt] = ()) -> Step:
    """The step to show next by the author's priors: a question worth asking, the
    best untried fix, or an outcome."""
    return decide(guide, default_knowledge(guide), answers, attempts).step


def _may_matter(guide: Guide, question: Question) -> bool:
    """Whether an answer to ``question`` can end the diagnosis or change which fixes
    apply or how likely they are (what the planner weighs before asking it)."""
    if any(choice.next for choice in question.choices):
        return True
    return any(
        question.id in fix.when or any(question.id in rule.when for rule in fix.chance_if)
        for fix in guide.fixes
    )


def progress(
    guide: Guide,
    answers: Mapping[str, str],
    attempts: Sequence[Attempt],
    *,
    current: Step | None = None,
) -> Progress:
    """Which question or fix the person is on, and of about how many.

    Questions: those answered on the path, this one, and the others still
    open or waiting whose answer may matter (the planner may skip some, or ask
    them between fixes, so the total is "about"). Fixes: those tried, this one
    and the others that apply now (an upper bound: a fix that works ends the
    fixes; a later answer can add some). Pass ``current`` (the step already
    worked out) to save planning again.
    """
    if current is None:
        current = next_step(guide, answers, attempts)
    path = walk(guide, answers)
    if isinstance(current, Question):
        others = [
            q for q in (*path.open, *path.waiting) if q.id != current.id and _may_matter(guide, q)
        ]
        number = len(path.answers) + 1
        return Progress(kind="question", number=number, total=number + len(others))
    if isinstance(current, Fix):
        tried = {a.fix for a in attempts}
        number = len(tried) + 1
        left = sum(1 for f in guide.fixes if f.id not in tried and applies(guide, f, path.answers))
        return Progress(kind="fix", number=number, total=max(len(tried) + left, number))
    return Progress(kind="outcome", number=0, total=0)
