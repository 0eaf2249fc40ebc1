"""The guide as plain data: its steps, the keys that name them, and a person's attempts.

Nothing here knows about Django, a database or the web. A guide is built by
:mod:`diagnostics.engine.parse` and walked by :mod:`diagnostics.engine.flow`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

OUTCOME_KINDS = frozenset({"resolved", "not_applicable", "escalate"})
STEP_KINDS = ("question", "fix", "outcome")


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


class InvalidAnswer(ValueError):
    """An answer that is not one of its question's choices, or names no question.

    The flow never stores one (it checks the choice before saving), so meeting
    one means the answers were tampered with or written by hand.
    """


# --- step keys ----------------------------------------------------------------
# A step key ("question:storage", "fix:restart", "outcome:fixed") names a step
# in stored diagnoses, posted forms, events and reports. It is built and split
# here and nowhere else.


def make_key(kind: str, step_id: str) -> str:
    """The key of the step of ``kind`` with id ``step_id``."""
    return f"{kind}:{step_id}"


def split_key(key: str) -> tuple[str, str]:
    """``("fix", "restart")`` for ``"fix:restart"``; the kind is '' for a key of no known kind."""
    kind, _, step_id = key.partition(":")
    return (kind, step_id) if kind in STEP_KINDS else ("", key)


def step_key(step: Step) -> str:
    """A stable string naming a step, stored with diagnoses and posted by forms."""
    return make_key(step.kind, step.id)


# --- steps -------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    next: str = ""
    chance: float | None = None  # the author's prior share of people giving this answer


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: tuple[Choice, ...]
    help: str = ""
    ask_if: Mapping[str, frozenset[str]] = field(default_factory=dict)
    minutes: float = 0.0  # a person's effort to answer it
    gate: bool = False  # may end the diagnosis at once, so it may be asked early
    device: str = ""  # what the person needs to answer it, e.g. "a computer"

    kind = "question"

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class ChanceRule:
    """A context-dependent prior: where the answers meet ``when``, the chance is ``chance``."""

    when: Mapping[str, frozenset[str]]
    chance: float


@dataclass(frozen=True)
class Fix:
    id: str
    title: str
    why: str
    steps: tuple[str, ...]
    minutes: float  # the person's effort
    chance: float  # the author's prior probability that this fix solves the problem
    penalty: float = 0.0  # disruption, in minutes (Reset All Settings: large)
    chance_if: tuple[ChanceRule, ...] = ()  # first match wins over ``chance``
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)
    note: str = ""

    kind = "fix"

    @property
    def cost(self) -> float:
        """What trying it costs a person, in minutes: effort plus disruption."""
        return self.minutes + self.penalty


@dataclass(frozen=True)
class Outcome:
    id: str
    outcome: str  # one of OUTCOME_KINDS
    title: str
    body: str
    steps: tuple[str, ...] = ()

    kind = "outcome"


type Step = Question | Fix | Outcome


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
    support_minutes: float = 60.0  # what an escalation costs a person, in minutes
    prior_strength: float = 5.0  # how many diagnoses of evidence the priors are worth

    def step(self, key: str) -> Step | None:
        """Look a step up by its key, e.g. ``"question:storage"``."""
        kind, step_id = split_key(key)
        if kind == "question":
            return self.question(step_id)
        if kind == "fix":
            return self.fix(step_id)
        if kind == "outcome":
            return self.outcomes.get(step_id)
        return None

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def fix(self, fix_id: str) -> Fix | None:
        return next((f for f in self.fixes if f.id == fix_id), None)

    def label(self, key: str) -> str:
        """A step in the guide's words (its prompt or title); the key itself if unknown."""
        step = self.step(key)
        if isinstance(step, Question):
            return step.prompt
        return step.title if step is not None else key


@dataclass(frozen=True)
class Progress:
    """Where a person stands: on question ``number`` of ``total``, or on fix
    ``number`` of at most ``total`` (the fixes that apply, tried ones included)."""

    kind: str  # "question", "fix" or "outcome"
    number: int
    total: int
