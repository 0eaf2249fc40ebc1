"""Whole-guide checks: every step can be reached, every path ends, the numbers add up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnostics.engine.conditions import applies
from diagnostics.engine.learning import knowledge
from diagnostics.engine.model import Guide, GuideError, Outcome, Question, step_key
from diagnostics.engine.parse import parse_guide
from diagnostics.engine.paths import question_path

_SLACK = 1e-9


def validate_guide(guide: Guide) -> list[GuideError]:
    """Walk every path through the guide; report unreachable steps, endless paths
    and contexts where the chances of the fixes that apply add up to more than 1.

    Every combination of answers is explored, every question on a path asked
    (in the guide's order). The planner may skip a question or ask it later,
    but never asks one this walk does not reach, so a question is called
    unreachable only if no path reaches it, whatever the planner does. Where
    the questions end, each fix that applies is offered in turn, any can work
    (the ``resolved`` outcome), and if none does the ``exhausted`` outcome
    follows. A context where fewer questions were asked has, for each fix,
    a chance averaged over the answers not given, and no more fixes apply;
    so checking the full contexts checks every context.
    """
    errors: list[GuideError] = []
    reached: set[str] = set()
    seen: set[frozenset[tuple[str, str]]] = set()
    known = knowledge(guide)
    stack: list[dict[str, str]] = [{}]

    def report(error: GuideError) -> None:
        if str(error) not in {str(e) for e in errors}:
            errors.append(error)

    while stack:
        answers = stack.pop()
        if (state := frozenset(answers.items())) in seen:
            continue
        seen.add(state)
        try:
            steps = list(question_path(guide, answers))
        except GuideError as error:
            report(error)
            continue
        reached.update(step_key(step) for step in steps)
        last = steps[-1] if steps else None
        if isinstance(last, Question) and last.id not in answers:
            stack.extend({**answers, last.id: choice.id} for choice in last.choices)
            continue
        if isinstance(last, Outcome):
            continue
        on_path = {s.id: answers[s.id] for s in steps if isinstance(s, Question)}
        fixes = [f for f in guide.fixes if applies(guide, f, on_path)]
        reached.update(step_key(f) for f in fixes)
        reached.add(step_key(guide.outcomes[guide.exhausted]))
        if fixes:
            reached.add(step_key(guide.outcomes[guide.resolved]))
        prior = known.prior(on_path)
        if (total := sum(prior.values())) > 1 + _SLACK:
            where = ", ".join(f"{q} = {c}" for q, c in on_path.items()) or "no answers"
            report(
                GuideError(
                    f"the chances of the fixes that apply add up to {total:.3g},"
                    f" more than 1, when {where}",
                    step="guide",
                )
            )
    for question in guide.questions:
        if question.gate and not any(c.next in guide.outcomes for c in question.choices):
            report(
                GuideError(
                    "is a gate, so one of its choices must lead to an outcome",
                    step=question.id,
                )
            )
    everything = [*guide.questions, *guide.fixes, *guide.outcomes.values()]
    for step in everything:
        if step_key(step) not in reached:
            errors.append(GuideError("can never be reached on any path", step=step.id))
    return errors


def guide_problems(data: Mapping[str, Any]) -> tuple[Guide | None, list[GuideError]]:
    """The parsed guide (None if it cannot be parsed) and every problem found in it.

    The one way guide data is checked, whether it comes from a file or, later,
    from a draft in the admin: shape first, then every path.
    """
    try:
        guide = parse_guide(data)
    except GuideError as error:
        return None, [error]
    return guide, validate_guide(guide)


def load_guide(data: Mapping[str, Any]) -> Guide:
    """Parse and fully validate a guide; raise the first problem found."""
    guide, errors = guide_problems(data)
    if errors:
        raise errors[0]
    assert guide is not None  # no errors means it parsed
    return guide
