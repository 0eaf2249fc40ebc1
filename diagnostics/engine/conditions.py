"""Conditions on answers (``ask_if``, ``when``, ``chance_if``), judged on the path."""

from __future__ import annotations

from collections.abc import Mapping

from diagnostics.engine.model import Fix, Guide

type Conditions = Mapping[str, frozenset[str]]


def matches(conditions: Conditions, answers: Mapping[str, str]) -> bool:
    """Whether ``answers`` meet every condition (a question id to its allowed choices)."""
    return all(answers.get(q) in allowed for q, allowed in conditions.items())


def may_match(conditions: Conditions, answers: Mapping[str, str]) -> bool:
    """Whether ``conditions`` can still hold: those on questions already answered must."""
    return all(q not in answers or answers[q] in allowed for q, allowed in conditions.items())


def allows_unasked(guide: Guide, conditions: Conditions, answers: Mapping[str, str]) -> bool:
    """Whether ``conditions`` hold now, a question not yet asked counting only if every
    one of its answers is allowed (``when`` is a hard rule: no guessing an answer)."""
    for question_id, allowed in conditions.items():
        if question_id in answers:
            if answers[question_id] not in allowed:
                return False
            continue
        question = guide.question(question_id)
        if question is None or any(c.id not in allowed for c in question.choices):
            return False
    return True


def applies(guide: Guide, fix: Fix, answers: Mapping[str, str]) -> bool:
    """Whether ``fix`` may be offered with these answers on the path."""
    return allows_unasked(guide, fix.when, answers)
