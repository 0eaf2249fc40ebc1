"""What publishing a draft changes, step by step, and what it does to learned evidence.

Pure Python (no Django): both sides are guides as plain data (the guide-file
shape). Steps are matched by kind and id, as the learned evidence is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STEP_KINDS = ("question", "fix", "outcome")


@dataclass(frozen=True)
class StepChange:
    kind: str  # question | fix | outcome
    id: str
    change: str  # added | removed | changed
    fields: tuple[str, ...] = ()  # for changed: which fields differ ("order" if it moved)


@dataclass(frozen=True)
class GuideDiff:
    guide_fields: tuple[str, ...]  # [guide] fields that differ
    steps: tuple[StepChange, ...]
    fresh_evidence: tuple[str, ...]  # fix ids whose `when` changed: their evidence starts afresh
    dropped_evidence: tuple[str, ...]  # fix ids gone (removed or renamed): evidence not used

    @property
    def unchanged(self) -> bool:
        return not self.guide_fields and not self.steps

    def of(self, change: str) -> list[StepChange]:
        return [step for step in self.steps if step.change == change]


def _steps(data: Mapping[str, Any], kind: str) -> dict[str, Mapping[str, Any]]:
    tables = data.get(kind, [])
    if not isinstance(tables, list):
        return {}
    return {
        str(step.get("id")): step
        for step in tables
        if isinstance(step, dict) and isinstance(step.get("id"), str)
    }


def _fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in {*old, *new} if old.get(k) != new.get(k)))


def _when(fix: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """A fix's ``when`` as sets (a single choice may be written as a text)."""
    when = fix.get("when", {})
    if not isinstance(when, dict):
        return {}
    return {q: frozenset([c] if isinstance(c, str) else c or []) for q, c in when.items()}


def guide_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> GuideDiff:
    """The differences between two guides' data, old (the current version) to new (a draft)."""
    old_meta, new_meta = old.get("guide", {}), new.get("guide", {})
    guide_fields = _fields(
        old_meta if isinstance(old_meta, dict) else {},
        new_meta if isinstance(new_meta, dict) else {},
    )
    changes: list[StepChange] = []
    for kind in STEP_KINDS:
        before, after = _steps(old, kind), _steps(new, kind)
        old_order = [i for i in before if i in after]
        new_order = [i for i in after if i in before]
        for step_id, step in after.items():
            if step_id not in before:
                changes.append(StepChange(kind, step_id, "added"))
                continue
            fields = list(_fields(before[step_id], step))
            if old_order.index(step_id) != new_order.index(step_id):
                fields.append("order")
            if fields:
                changes.append(StepChange(kind, step_id, "changed", tuple(fields)))
        changes += [StepChange(kind, i, "removed") for i in before if i not in after]
    old_fixes, new_fixes = _steps(old, "fix"), _steps(new, "fix")
    return GuideDiff(
        guide_fields=guide_fields,
        steps=tuple(changes),
        fresh_evidence=tuple(
            i for i in new_fixes if i in old_fixes and _when(old_fixes[i]) != _when(new_fixes[i])
        ),
        dropped_evidence=tuple(i for i in old_fixes if i not in new_fixes),
    )
