"""Reading a guide from plain data (as loaded from a TOML file) into :class:`Guide`.

One parser per kind of step, each checking the shape of its own table, then
:func:`_check_references` for what crosses steps (conditions, jumps, endings).
Every problem is a :class:`GuideError` naming the step, so an author reads
"question 'storage': needs at least two choices", never a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from diagnostics.engine.model import (
    OUTCOME_KINDS,
    ChanceRule,
    Choice,
    Fix,
    Guide,
    GuideError,
    Outcome,
    Question,
)

# --- small readers ------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise GuideError(f"needs a non-empty text '{key}'", step=where)
    return value.strip()


def _texts(
    data: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GuideError(f"'{key}' must be a list of non-empty texts", step=where)
    if required and not value:
        raise GuideError(f"needs at least one item in '{key}'", step=where)
    return tuple(v.strip() for v in value)


def _tables(
    data: Mapping[str, Any], key: str, where: str, *, header: str = ""
) -> list[Mapping[str, Any]]:
    """The ``[[key]]`` tables of ``data``; a slip like ``[key]`` or ``key = "x"`` is named."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        header = header or f"[[{key}]]"
        raise GuideError(f"'{key}' must be a list of tables, each headed {header}", step=where)
    return value


def _number(
    data: Mapping[str, Any],
    key: str,
    where: str,
    *,
    default: float | None = None,
    low: float = 0.0,
    high: float | None = None,
    above_low: bool = False,
) -> float:
    """A number in [low, high] (or (low, high] with ``above_low``); required without a default."""
    value = data.get(key)
    if value is None and default is not None:
        return default
    bounds = f"more than {low:g}" if above_low else f"at least {low:g}"
    if high is not None:
        bounds = f"from {low:g} to {high:g}" if not above_low else f"{bounds} and at most {high:g}"
    wrong = (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < low
        or (above_low and value == low)
        or (high is not None and value > high)
    )
    if wrong:
        raise GuideError(f"needs a number '{key}', {bounds}", step=where)
    return float(value)


def _flag(data: Mapping[str, Any], key: str, where: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise GuideError(f"'{key}' must be true or false", step=where)
    return value


def _conditions(data: Mapping[str, Any], key: str, where: str) -> dict[str, frozenset[str]]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise GuideError(f"'{key}' must map question ids to lists of choice ids", step=where)
    conditions = {}
    for question_id, choice_ids in value.items():
        if isinstance(choice_ids, str):
            choice_ids = [choice_ids]
        if not isinstance(choice_ids, list) or not choice_ids:
            raise GuideError(f"'{key}.{question_id}' must list choice ids", step=where)
        conditions[question_id] = frozenset(str(c) for c in choice_ids)
    return conditions


class _Ids:
    """Step ids seen so far: each id names one step of one kind."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def claim(self, kind: str, step_id: object) -> str:
        if not isinstance(step_id, str) or not step_id.strip():
            raise GuideError(f"every {kind} needs an 'id'", step=kind)
        if step_id in self.seen:
            raise GuideError(f"duplicate id (already used by a {self.seen[step_id]})", step=step_id)
        self.seen[step_id] = kind
        return step_id


# --- one parser per kind of step ----------------------------------------------


def _choices(raw: Mapping[str, Any], where: str) -> tuple[Choice, ...]:
    choices: list[Choice] = []
    for raw_choice in _tables(raw, "choice", where, header="[[question.choice]]"):
        cid = raw_choice.get("id")
        if not isinstance(cid, str) or not cid:
            raise GuideError("every choice needs an 'id'", step=where)
        if any(c.id == cid for c in choices):
            raise GuideError(f"duplicate choice id '{cid}'", step=where)
        label = _text(raw_choice, "label", f"{where}, choice '{cid}'")
        chance = None
        if "chance" in raw_choice:
            chance = _number(raw_choice, "chance", f"{where}, choice '{cid}'", high=1.0)
        choices.append(
            Choice(id=cid, label=label, next=str(raw_choice.get("next", "")), chance=chance)
        )
    if len(choices) < 2:
        raise GuideError("needs at least two choices", step=where)
    given = [c.chance for c in choices if c.chance is not None]
    if given and len(given) < len(choices):
        raise GuideError("give every choice a 'chance', or none", step=where)
    if given and abs(sum(given) - 1.0) > 0.001:
        raise GuideError(f"the choices' chances must add up to 1, not {sum(given):g}", step=where)
    return tuple(choices)


def parse_question(raw: Mapping[str, Any], ids: _Ids) -> Question:
    qid = ids.claim("question", raw.get("id"))
    where = f"question '{qid}'"
    return Question(
        id=qid,
        prompt=_text(raw, "prompt", where),
        help=_text(raw, "help", where, required=False),
        choices=_choices(raw, where),
        ask_if=_conditions(raw, "ask_if", where),
        minutes=_number(raw, "minutes", where),
        gate=_flag(raw, "gate", where),
        device=_text(raw, "device", where, required=False),
    )


def parse_fix(raw: Mapping[str, Any], ids: _Ids) -> Fix:
    fid = ids.claim("fix", raw.get("id"))
    where = f"fix '{fid}'"
    if "cost" in raw:
        raise GuideError(
            "'cost' is replaced by 'minutes' (effort) and 'penalty' (disruption, in minutes)",
            step=where,
        )
    rules = []
    for rule in _tables(raw, "chance_if", where, header="[[fix.chance_if]]"):
        rules.append(
            ChanceRule(
                when=_conditions(rule, "when", f"{where}, chance_if"),
                chance=_number(rule, "chance", f"{where}, chance_if", high=1.0),
            )
        )
    return Fix(
        id=fid,
        title=_text(raw, "title", where),
        why=_text(raw, "why", where),
        steps=_texts(raw, "steps", where),
        minutes=_number(raw, "minutes", where, above_low=True),
        penalty=_number(raw, "penalty", where, default=0.0),
        chance=_number(raw, "chance", where, high=1.0),
        chance_if=tuple(rules),
        when=_conditions(raw, "when", where),
        note=_text(raw, "note", where, required=False),
    )


def parse_outcome(raw: Mapping[str, Any], ids: _Ids) -> Outcome:
    oid = ids.claim("outcome", raw.get("id"))
    where = f"outcome '{oid}'"
    kind = raw.get("kind")
    if kind not in OUTCOME_KINDS:
        raise GuideError(f"'kind' must be one of {', '.join(sorted(OUTCOME_KINDS))}", step=where)
    return Outcome(
        id=oid,
        outcome=kind,
        title=_text(raw, "title", where),
        body=_text(raw, "body", where),
        steps=_texts(raw, "steps", where, required=False),
    )


def parse_guide(data: Mapping[str, Any]) -> Guide:
    """Build a :class:`Guide` from plain data (as read from a TOML file).

    Raises :class:`GuideError` for shape problems and broken references. Use
    :func:`~diagnostics.engine.validate.validate_guide` for the whole-guide
    checks (reachability, endings), or :func:`~diagnostics.engine.validate.load_guide`
    for both.
    """
    meta = data.get("guide")
    if not isinstance(meta, dict):
        raise GuideError("needs a [guide] table with slug, title and summary")
    ids = _Ids()
    guide = Guide(
        slug=_text(meta, "slug", "guide"),
        title=_text(meta, "title", "guide"),
        summary=_text(meta, "summary", "guide"),
        questions=tuple(parse_question(raw, ids) for raw in _tables(data, "question", "guide")),
        fixes=tuple(parse_fix(raw, ids) for raw in _tables(data, "fix", "guide")),
        outcomes={
            outcome.id: outcome
            for outcome in (parse_outcome(raw, ids) for raw in _tables(data, "outcome", "guide"))
        },
        resolved=_text(meta, "resolved", "guide"),
        exhausted=_text(meta, "exhausted", "guide"),
        support_minutes=_number(meta, "support_minutes", "guide", above_low=True),
        prior_strength=_number(meta, "prior_strength", "guide", default=5.0, above_low=True),
    )
    _check_references(guide)
    return guide


# --- references between steps -------------------------------------------------


def _check_conditions(guide: Guide, conditions: Mapping[str, frozenset[str]], where: str) -> None:
    for question_id, choice_ids in conditions.items():
        question = guide.question(question_id)
        if question is None:
            raise GuideError(f"condition on unknown question '{question_id}'", step=where)
        for choice_id in sorted(choice_ids):
            if question.choice(choice_id) is None:
                raise GuideError(
                    f"condition on unknown choice '{choice_id}' of question '{question_id}'",
                    step=where,
                )


def _check_references(guide: Guide) -> None:
    if not guide.questions and not guide.fixes:
        raise GuideError("needs at least one question or fix", step="guide")
    for name in ("resolved", "exhausted"):
        target = getattr(guide, name)
        if target not in guide.outcomes:
            raise GuideError(f"'{name}' refers to unknown outcome '{target}'", step="guide")
    if guide.outcomes[guide.resolved].outcome != "resolved":
        raise GuideError("'resolved' must name an outcome of kind 'resolved'", step="guide")
    order = {q.id: i for i, q in enumerate(guide.questions)}
    for question in guide.questions:
        where = f"question '{question.id}'"
        _check_conditions(guide, question.ask_if, where)
        for earlier in question.ask_if:
            if order[earlier] >= order[question.id]:
                raise GuideError(
                    f"'ask_if' must refer to an earlier question, not '{earlier}'", step=where
                )
        for choice in question.choices:
            if choice.next and choice.next not in order and choice.next not in guide.outcomes:
                raise GuideError(
                    f"choice '{choice.id}' leads to unknown step '{choice.next}'", step=where
                )
    for fix in guide.fixes:
        _check_conditions(guide, fix.when, f"fix '{fix.id}'")
        for rule in fix.chance_if:
            _check_conditions(guide, rule.when, f"fix '{fix.id}', chance_if")
