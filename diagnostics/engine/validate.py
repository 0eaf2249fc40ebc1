"""Whole-guide checks: every step can be reached, and every path ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnostics.engine.flow import next_step
from diagnostics.engine.model import Fix, Guide, GuideError, Question, step_key
from diagnostics.engine.parse import parse_guide
from diagnostics.engine.planning import applicable_fixes


def validate_guide(guide: Guide) -> list[GuideError]:
    """Walk every path through the guide; report unreachable steps and endless paths.

    Every combination of answers is explored. Where the questions end, the fix
    phase is fully determined by the ranked list of applicable fixes: each is
    offered in turn, any can work (the ``resolved`` outcome) and if none does,
    the ``exhausted`` outcome follows. So each distinct list is checked once.
    """
    errors: list[GuideError] = []
    reached: set[str] = set()
    seen: set[frozenset[tuple[str, str]]] = set()
    fix_lists: set[tuple[str, ...]] = set()
    stack: list[dict[str, str]] = [{}]
    while stack:
        answers = stack.pop()
        if (state := frozenset(answers.items())) in seen:
            continue
        seen.add(state)
        try:
            step = next_step(guide, answers)
        except GuideError as error:
            if str(error) not in {str(e) for e in errors}:
                errors.append(error)
            continue
        reached.add(step_key(step))
        if isinstance(step, Question):
            stack.extend({**answers, step.id: choice.id} for choice in step.choices)
        elif isinstance(step, Fix):
            fix_lists.add(tuple(step_key(fix) for fix in applicable_fixes(guide, answers)))
    for fixes in fix_lists:
        reached.update(fixes)
        reached.add(step_key(guide.outcomes[guide.resolved]))
        reached.add(step_key(guide.outcomes[guide.exhausted]))
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
