"""Small guides and evidence for the planning and learning tests (plain data, no Django)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from diagnostics import engine


def fix(fix_id: str, *, minutes: float = 2, chance: float = 0.2, **extra: Any) -> dict[str, Any]:
    return {
        "id": fix_id,
        "title": f"Try {fix_id}",
        "why": "Because.",
        "steps": ["Do it."],
        "minutes": minutes,
        "chance": chance,
        **extra,
    }


def question(
    question_id: str, choices: Sequence[str] = ("yes", "no"), *, minutes: float = 1, **extra: Any
) -> dict[str, Any]:
    return {
        "id": question_id,
        "prompt": f"{question_id}?",
        "minutes": minutes,
        "choice": [{"id": c, "label": c.title()} for c in choices],
        **extra,
    }


def guide(
    fixes: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]] = (),
    *,
    support_minutes: float = 30,
    outcomes: Sequence[Mapping[str, Any]] = (),
    **meta: Any,
) -> engine.Guide:
    return engine.load_guide(
        {
            "guide": {
                "slug": "test",
                "title": "t",
                "summary": "s",
                "resolved": "fixed",
                "exhausted": "help",
                "support_minutes": support_minutes,
                **meta,
            },
            "question": list(questions),
            "fix": list(fixes),
            "outcome": [
                {"id": "fixed", "kind": "resolved", "title": "t", "body": "b"},
                {"id": "help", "kind": "escalate", "title": "t", "body": "b"},
                *outcomes,
            ],
        }
    )


def evidence(
    guide: engine.Guide,
    diagnoses: Iterable[tuple[engine.EndedDiagnosis, Sequence[tuple[str, str]]]],
    *,
    weight: float = 1.0,
) -> dict[tuple[str, str, str], engine.Stat]:
    """The rollup the store would keep after these ended diagnoses (each weighing ``weight``)."""
    table: dict[tuple[str, str, str], engine.Stat] = {}
    for ended, answers in diagnoses:
        for row in engine.tallies(guide, ended, answers):
            key = (row.context, row.kind, row.key)
            old = table.get(key, engine.Stat(count=0, weight=0.0))
            table[key] = engine.Stat(count=old.count + 1, weight=old.weight + weight)
    return table


def ended(
    *,
    failed: Sequence[str] = (),
    fixed: str | None = None,
    cannot: Sequence[str] = (),
    **context: str,
) -> tuple[engine.EndedDiagnosis, list[tuple[str, str]]]:
    return (
        engine.EndedDiagnosis(
            context=context, failed=tuple(failed), cannot=tuple(cannot), fixed=fixed
        ),
        list(context.items()),
    )


def offered(
    guide: engine.Guide,
    known: engine.Knowledge,
    answers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> list[str]:
    """The steps offered, in order, when every fix fails and each question gets its first choice."""
    answers = dict(answers or {})
    attempts: tuple[engine.Attempt, ...] = ()
    memo: Mapping[str, Sequence[str]] = {}
    steps = []
    while True:
        decision = engine.decide(guide, known, answers, attempts, memo=memo, **kwargs)
        memo = decision.memo
        step = decision.step
        if isinstance(step, engine.Outcome):
            return steps
        steps.append(engine.step_key(step))
        if isinstance(step, engine.Question):
            answers[step.id] = step.choices[0].id
        else:
            attempts = (*attempts, engine.Attempt(step.id, engine.Result.NOT_FIXED))


def fixes_when_all_fail(guide: engine.Guide, answers: Mapping[str, str]) -> tuple[list[str], str]:
    """The fixes ``next_step`` offers in order when every one fails, with ``answers``
    given, and the outcome the walk ends at."""
    tried: list[engine.Attempt] = []
    while isinstance(step := engine.next_step(guide, answers, tried), engine.Fix):
        tried.append(engine.Attempt(fix=step.id, result=engine.Result.NOT_FIXED))
    assert isinstance(step, engine.Outcome)
    return [attempt.fix for attempt in tried], step.id


def all_text(guide: engine.Guide) -> str:
    """Every sentence of ``guide`` a person may read, one part a line."""
    parts: list[str] = [guide.summary]
    for question in guide.questions:
        parts += [question.prompt, question.help, *(c.label for c in question.choices)]
    for fix in guide.fixes:
        parts += [fix.title, fix.why, fix.note, *fix.steps]
    for outcome in guide.outcomes.values():
        parts += [outcome.title, outcome.body, *outcome.steps]
    return "\n".join(parts)
