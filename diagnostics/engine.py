"""The diagnosis engine: a guide as plain data, and the next step for a person.

This module is pure Python. It imports nothing from Django and touches no
database, so it can be read, reasoned about and tested on its own.

A guide has three kinds of step:

* **questions**, asked in the guide's order. A question may be skipped unless
  earlier answers match its ``ask_if``; a choice may jump (``next``) to a later
  question or straight to an outcome.
* **fixes**, each with the answers under which it applies (``when``) and a
  disruption ``cost``. Once every question on the path is answered, the
  engine recommends the applicable fix not yet tried that ranks first.
* **outcomes**: ``resolved``, ``not_applicable`` (with an explanation) or
  ``escalate``. A fix that works leads to the guide's ``resolved`` outcome; when
  no applicable fix is left, to its ``exhausted`` outcome.

``next_step(guide, answers, attempts)`` is the whole public contract.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

OUTCOME_KINDS = frozenset({"resolved", "not_applicable", "escalate"})


class Result(StrEnum):
    """What a person reports after trying a fix."""

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"
    CANNOT = "cannot"


class GuideError(ValueError):
    """A guide that cannot be used. ``step`` names the offending step, if any."""

    def __init__(self, message: str, *, step: str = "") -> None:
        self.step = step
        super().__init__(f"{step}: {message}" if step else message)


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    next: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: tuple[Choice, ...]
    help: str = ""
    ask_if: Mapping[str, frozenset[str]] = field(default_factory=dict)

    kind = "question"

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Fix:
    id: str
    title: str
    why: str
    steps: tuple[str, ...]
    cost: int
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)
    note: str = ""

    kind = "fix"


@dataclass(frozen=True)
class Outcome:
    id: str
    outcome: str  # one of OUTCOME_KINDS
    title: str
    body: str
    steps: tuple[str, ...] = ()

    kind = "outcome"


Step = Question | Fix | Outcome


@dataclass(frozen=True)
class Attempt:
    fix: str
    result: Result


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str
    questions: tuple[Question, ...]
    fixes: tuple[Fix, ...]
    outcomes: Mapping[str, Outcome]
    resolved: str
    exhausted: str

    def step(self, key: str) -> Step | None:
        """Look a step up by its key, e.g. ``"question:storage"``."""
        kind, _, step_id = key.partition(":")
        if kind == "question":
            return next((q for q in self.questions if q.id == step_id), None)
        if kind == "fix":
            return next((f for f in self.fixes if f.id == step_id), None)
        if kind == "outcome":
            return self.outcomes.get(step_id)
        return None

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def fix(self, fix_id: str) -> Fix | None:
        return next((f for f in self.fixes if f.id == fix_id), None)


def step_key(step: Step) -> str:
    """A stable string naming a step, stored with diagnoses and posted by forms."""
    return f"{step.kind}:{step.id}"


@dataclass(frozen=True)
class Progress:
    """Where a person stands: on question ``number`` of ``total``, or on fix
    ``number`` of at most ``total`` (the fixes that apply, tried ones included)."""

    kind: str  # "question", "fix" or "outcome"
    number: int
    total: int


# --- reading a guide ---------------------------------------------------------


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise GuideError(f"needs a non-empty text '{key}'", step=where)
    return value.strip()


def _texts(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> tuple:
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


def parse_guide(data: Mapping[str, Any]) -> Guide:
    """Build a :class:`Guide` from plain data (as read from a TOML file).

    Raises :class:`GuideError` for shape problems and broken references. Use
    :func:`validate_guide` for the whole-guide checks (reachability, endings).
    """
    meta = data.get("guide")
    if not isinstance(meta, dict):
        raise GuideError("needs a [guide] table with slug, title and summary")
    slug = _text(meta, "slug", "guide")
    seen: dict[str, str] = {}

    def claim(kind: str, step_id: object) -> str:
        if not isinstance(step_id, str) or not step_id.strip():
            raise GuideError(f"every {kind} needs an 'id'", step=kind)
        if step_id in seen:
            raise GuideError(f"duplicate id (already used by a {seen[step_id]})", step=step_id)
        seen[step_id] = kind
        return step_id

    questions = []
    for raw in _tables(data, "question", "guide"):
        qid = claim("question", raw.get("id"))
        where = f"question '{qid}'"
        choices: list[Choice] = []
        for raw_choice in _tables(raw, "choice", where, header="[[question.choice]]"):
            cid = raw_choice.get("id")
            if not isinstance(cid, str) or not cid:
                raise GuideError("every choice needs an 'id'", step=where)
            if any(c.id == cid for c in choices):
                raise GuideError(f"duplicate choice id '{cid}'", step=where)
            choices.append(
                Choice(
                    id=cid,
                    label=_text(raw_choice, "label", f"{where}, choice '{cid}'"),
                    next=str(raw_choice.get("next", "")),
                )
            )
        if len(choices) < 2:
            raise GuideError("needs at least two choices", step=where)
        questions.append(
            Question(
                id=qid,
                prompt=_text(raw, "prompt", where),
                help=_text(raw, "help", where, required=False),
                choices=tuple(choices),
                ask_if=_conditions(raw, "ask_if", where),
            )
        )

    fixes = []
    for raw in _tables(data, "fix", "guide"):
        fid = claim("fix", raw.get("id"))
        where = f"fix '{fid}'"
        cost = raw.get("cost")
        if not isinstance(cost, int) or isinstance(cost, bool) or cost < 1:
            raise GuideError("needs a whole-number 'cost' of 1 or more", step=where)
        fixes.append(
            Fix(
                id=fid,
                title=_text(raw, "title", where),
                why=_text(raw, "why", where),
                steps=_texts(raw, "steps", where),
                cost=cost,
                when=_conditions(raw, "when", where),
                note=_text(raw, "note", where, required=False),
            )
        )

    outcomes = {}
    for raw in _tables(data, "outcome", "guide"):
        oid = claim("outcome", raw.get("id"))
        where = f"outcome '{oid}'"
        kind = raw.get("kind")
        if kind not in OUTCOME_KINDS:
            raise GuideError(
                f"'kind' must be one of {', '.join(sorted(OUTCOME_KINDS))}", step=where
            )
        outcomes[oid] = Outcome(
            id=oid,
            outcome=kind,
            title=_text(raw, "title", where),
            body=_text(raw, "body", where),
            steps=_texts(raw, "steps", where, required=False),
        )

    guide = Guide(
        slug=slug,
        title=_text(meta, "title", "guide"),
        summary=_text(meta, "summary", "guide"),
        questions=tuple(questions),
        fixes=tuple(fixes),
        outcomes=outcomes,
        resolved=_text(meta, "resolved", "guide"),
        exhausted=_text(meta, "exhausted", "guide"),
    )
    _check_references(guide)
    return guide


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

    def check_conditions(conditions: Mapping[str, frozenset[str]], where: str) -> None:
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

    for question in guide.questions:
        where = f"question '{question.id}'"
        check_conditions(question.ask_if, where)
        for later in question.ask_if:
            if order[later] >= order[question.id]:
                raise GuideError(
                    f"'ask_if' must refer to an earlier question, not '{later}'", step=where
                )
        for choice in question.choices:
            if choice.next and choice.next not in order and choice.next not in guide.outcomes:
                raise GuideError(
                    f"choice '{choice.id}' leads to unknown step '{choice.next}'", step=where
                )
    for fix in guide.fixes:
        check_conditions(fix.when, f"fix '{fix.id}'")


# --- choosing the next step -------------------------------------------------


def _matches(conditions: Mapping[str, frozenset[str]], answers: Mapping[str, str]) -> bool:
    return all(answers.get(q) in allowed for q, allowed in conditions.items())


def question_path(guide: Guide, answers: Mapping[str, str]) -> Iterator[Question | Outcome]:
    """Walk the questions as the answers lead, yielding each question on the path.

    Stops after yielding the first unanswered question, or an outcome that a
    choice jumps to. Answers off the path (left over after an earlier answer
    changed) are ignored. Raises :class:`GuideError` on a loop.
    """
    index = {q.id: i for i, q in enumerate(guide.questions)}
    position = 0
    visited: set[str] = set()
    while position < len(guide.questions):
        question = guide.questions[position]
        if question.id in visited:
            raise GuideError(
                "is reached again on one path, so that path never ends", step=question.id
            )
        visited.add(question.id)
        if not _matches(question.ask_if, answers):
            position += 1
            continue
        yield question
        choice = question.choice(answers.get(question.id, ""))
        if choice is None:
            return
        if choice.next in guide.outcomes:
            yield guide.outcomes[choice.next]
            return
        position = index[choice.next] if choice.next else position + 1


def rank_fixes(guide: Guide, candidates: Sequence[Fix]) -> list[Fix]:
    """Order applicable fixes, best first.

    For now: least disruptive first, then the guide's own order. This is the one
    place to change when ranking learns from logged outcomes.
    """
    order = {fix.id: i for i, fix in enumerate(guide.fixes)}
    return sorted(candidates, key=lambda fix: (fix.cost, order[fix.id]))


def applicable_fixes(guide: Guide, answers: Mapping[str, str]) -> list[Fix]:
    """Every fix whose conditions the answers meet, ranked."""
    return rank_fixes(guide, [f for f in guide.fixes if _matches(f.when, answers)])


def next_step(guide: Guide, answers: Mapping[str, str], attempts: Sequence[Attempt] = ()) -> Step:
    """The step to show next: a needed question, the best untried fix, or an outcome."""
    last: Question | Outcome | None = None
    for last in question_path(guide, answers):  # noqa: B007
        pass
    if isinstance(last, Outcome):
        return last
    if isinstance(last, Question) and last.id not in answers:
        return last
    if any(a.result == Result.FIXED for a in attempts):
        return guide.outcomes[guide.resolved]
    tried = {a.fix for a in attempts}
    for fix in applicable_fixes(guide, answers):
        if fix.id not in tried:
            return fix
    return guide.outcomes[guide.exhausted]


def path_answers(guide: Guide, answers: Mapping[str, str]) -> dict[str, str]:
    """Only the answers on the current path, in the order they were asked."""
    return {
        step.id: answers[step.id]
        for step in question_path(guide, answers)
        if isinstance(step, Question) and step.id in answers
    }


def progress(guide: Guide, answers: Mapping[str, str], attempts: Sequence[Attempt]) -> Progress:
    """Which question or fix the person is on, and of how many.

    Questions: those answered on the path, this one, and the later ones whose
    ``ask_if`` could still hold. Fixes: every fix the answers make applicable.
    Both are upper bounds: an answer can end the questions early, and a fix
    that works ends the fixes.
    """
    current = next_step(guide, answers, attempts)
    on_path = path_answers(guide, answers)
    if isinstance(current, Question):
        later = guide.questions[guide.questions.index(current) + 1 :]
        ahead = sum(1 for q in later if _may_match(q.ask_if, on_path))
        return Progress(kind="question", number=len(on_path) + 1, total=len(on_path) + 1 + ahead)
    if isinstance(current, Fix):
        number = len(attempts) + 1
        return Progress(
            kind="fix", number=number, total=max(len(applicable_fixes(guide, on_path)), number)
        )
    return Progress(kind="outcome", number=0, total=0)


def _may_match(conditions: Mapping[str, frozenset[str]], answers: Mapping[str, str]) -> bool:
    """Whether ``conditions`` can still hold: those on questions already answered must."""
    return all(q not in answers or answers[q] in allowed for q, allowed in conditions.items())


# --- whole-guide validation -------------------------------------------------


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


def load_guide(data: Mapping[str, Any]) -> Guide:
    """Parse and fully validate a guide; raise the first problem found."""
    guide = parse_guide(data)
    errors = validate_guide(guide)
    if errors:
        raise errors[0]
    return guide
