"""Changes to a draft's data, one step at a time. Pure Python (no Django).

Each function takes the guide's plain data and returns a new copy, so a
change that fails half-way leaves the stored draft as it was. Steps are
addressed by kind and position; the position is checked, so a tampered or
stale index raises :class:`NoSuchStep` instead of changing another step.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from diagnostics.authoring.diff import STEP_KINDS

type Data = dict[str, Any]


class NoSuchStep(LookupError):
    """The kind or position names no step of the draft."""


def steps(data: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """The draft's steps of one kind (an empty list when it has none or they are malformed)."""
    if kind not in STEP_KINDS:
        raise NoSuchStep(kind)
    tables = data.get(kind, [])
    return tables if isinstance(tables, list) else []


def step(data: Mapping[str, Any], kind: str, index: int) -> dict[str, Any]:
    tables = steps(data, kind)
    if not 0 <= index < len(tables) or not isinstance(tables[index], dict):
        raise NoSuchStep(f"{kind} {index}")
    return tables[index]


def _copy(data: Mapping[str, Any]) -> Data:
    return copy.deepcopy(dict(data))


def replace_step(data: Mapping[str, Any], kind: str, index: int, table: Mapping[str, Any]) -> Data:
    step(data, kind, index)
    new = _copy(data)
    new[kind][index] = dict(table)
    return new


def move_step(data: Mapping[str, Any], kind: str, index: int, delta: int) -> Data:
    """Move a step up (``delta`` -1) or down (+1) among the steps of its kind."""
    step(data, kind, index)
    target = index + delta
    new = _copy(data)
    tables = new[kind]
    if 0 <= target < len(tables):
        tables[index], tables[target] = tables[target], tables[index]
    return new


def delete_step(data: Mapping[str, Any], kind: str, index: int) -> Data:
    step(data, kind, index)
    new = _copy(data)
    del new[kind][index]
    if not new[kind]:
        del new[kind]
    return new


def _free_id(data: Mapping[str, Any], stem: str) -> str:
    taken = {t.get("id") for kind in STEP_KINDS for t in steps(data, kind) if isinstance(t, dict)}
    n = 1
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def new_step(data: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """A starting point for a new step: every field the format needs, to be written over."""
    if kind == "question":
        return {
            "id": _free_id(data, "new_question"),
            "prompt": "What do you see?",
            "minutes": 1,
            "choice": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
        }
    if kind == "fix":
        return {
            "id": _free_id(data, "new_fix"),
            "title": "A new fix",
            "why": "Why this helps.",
            "steps": ["The first thing to do.", "Check that it worked."],
            "minutes": 5,
            "chance": 0.1,
        }
    if kind == "outcome":
        return {
            "id": _free_id(data, "new_outcome"),
            "kind": "not_applicable",
            "title": "A new ending",
            "body": "What the person reads here.",
        }
    raise NoSuchStep(kind)


def add_step(data: Mapping[str, Any], kind: str) -> Data:
    table = new_step(data, kind)
    new = _copy(data)
    if not isinstance(new.get(kind), list):
        new[kind] = []
    new[kind].append(dict(table))
    return new


def set_guide_fields(data: Mapping[str, Any], fields: Mapping[str, Any]) -> Data:
    """Replace the ``[guide]`` table's fields (those in ``fields``; an absent optional one goes)."""
    new = _copy(data)
    meta = new.get("guide") if isinstance(new.get("guide"), dict) else {}
    new["guide"] = {**meta, **{k: v for k, v in fields.items() if v is not None}}
    for key, value in fields.items():
        if value is None:
            new["guide"].pop(key, None)
    return new


def skeleton(*, slug: str, title: str) -> Data:
    """A new guide's first draft: the smallest guide that passes validation."""
    return {
        "guide": {
            "slug": slug,
            "title": title,
            "summary": "One or two sentences for the home page.",
            "resolved": "fixed",
            "exhausted": "escalate",
            "support_minutes": 30,
        },
        "fix": [
            {
                "id": "first_fix",
                "title": "The first fix",
                "why": "Why this helps.",
                "steps": ["The first thing to do.", "Check that it worked."],
                "minutes": 5,
                "chance": 0.3,
            }
        ],
        "outcome": [
            {
                "id": "fixed",
                "kind": "resolved",
                "title": "All working again",
                "body": "Glad that helped.",
            },
            {
                "id": "escalate",
                "kind": "escalate",
                "title": "Let's get you some help",
                "body": "Show our support team the summary below.",
            },
        ],
    }
