"""A draft's problems, found by the one validator and placed next to the step they name.

Pure Python (no Django). ``engine.guide_problems`` checks a draft exactly as it
checks a guide file; each :class:`~diagnostics.engine.GuideError` names its
step in one of a few ways ("question 'storage'", "fix 'restart', chance_if",
a bare id, "guide"), and :func:`draft_problems` turns that into the step's
kind and id, so the admin shows the message beside that step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnostics import engine
from diagnostics.authoring.diff import STEP_KINDS

_NAMED = re.compile(r"^(question|fix|outcome) '(.*?)'")


@dataclass
class Problems:
    guide: list[str] = field(default_factory=list)  # about the guide as a whole
    steps: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # by (kind, id)

    def __bool__(self) -> bool:
        return bool(self.guide or self.steps)

    def __len__(self) -> int:
        return len(self.guide) + sum(len(m) for m in self.steps.values())

    def of(self, kind: str, step_id: object) -> list[str]:
        return self.steps.get((kind, str(step_id)), [])


def _kind_of(data: Mapping[str, Any], step_id: str) -> str | None:
    for kind in STEP_KINDS:
        tables = data.get(kind, [])
        if isinstance(tables, list) and any(
            isinstance(t, dict) and t.get("id") == step_id for t in tables
        ):
            return kind
    return None


def draft_problems(data: Mapping[str, Any]) -> Problems:
    """Every problem the guide validator finds in ``data``, by the step it names."""
    _, errors = engine.guide_problems(data)
    problems = Problems()
    for error in errors:
        where = error.step
        message = str(error)
        if where and message.startswith(f"{where}: "):
            message = message[len(where) + 2 :]
        named = _NAMED.match(where)
        if named:
            kind, step_id = named.group(1), named.group(2)
        else:
            kind, step_id = _kind_of(data, where), where
        if kind is None or (named is None and not step_id):
            problems.guide.append(f"{where}: {message}" if where and where != "guide" else message)
            continue
        if named and where != named.group(0):  # "fix 'x', chance_if": keep the detail
            message = f"{where[named.end() :].lstrip(', ')}: {message}"
        problems.steps.setdefault((kind, step_id), []).append(message)
    return problems
