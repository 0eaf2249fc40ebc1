"""The diagnosis engine: a guide as plain data, and the next step for a person.

This package is pure Python. It imports nothing from Django and touches no
database (a contract in ``make test`` keeps it so), so it can be read,
reasoned about and tested on its own.

A guide has three kinds of step:

* **questions**, listed in the guide's order. A question is off the path unless
  earlier answers on the path match its ``ask_if``; a choice may jump
  (``next``) to a later question or straight to an outcome. The planner asks
  a question only when its answer is worth its cost (value of information),
  possibly between fixes.
* **fixes**, each with the answers under which it applies (``when``), its
  cost in minutes and the author's chance that it works. The engine
  recommends the fix the planner ranks first: chance (learned from ended
  diagnoses, starting from the author's) per minute of cost.
* **outcomes**: ``resolved``, ``not_applicable`` (with an explanation) or
  ``escalate``. A fix that works leads to the guide's ``resolved`` outcome;
  when no applicable fix is left, to its ``exhausted`` outcome.

The public API, re-exported here:

* reading: :func:`parse_guide` (shape), :func:`validate_guide` (every path),
  :func:`load_guide` (both, raising the first problem) and
  :func:`guide_problems` (both, listing every problem);
* walking: :func:`next_step`, :func:`progress`, :func:`path_answers`,
  :func:`question_path`, :func:`walk`;
* planning: :func:`decide` (with :class:`Decision`, :class:`Reason`,
  :data:`MIN_SAMPLE`), :func:`expected_cost`, :func:`applicable_fixes`,
  :func:`rank_fixes`;
* learning: :func:`knowledge` (:class:`Knowledge`, :class:`FixEstimate`),
  :func:`tallies` (:class:`EndedDiagnosis`, :class:`Tally`), :class:`Stat`,
  :data:`EvidenceTable`, :func:`context_key`;
* step keys: :func:`step_key`, :func:`make_key`, :func:`split_key`;
* the data: :class:`Guide`, :class:`Question`, :class:`Choice`, :class:`Fix`,
  :class:`ChanceRule`,
  :class:`Outcome`, :class:`Attempt`, :class:`Result`, :class:`Progress`,
  and the errors :class:`GuideError` and :class:`InvalidAnswer`.

Modules: ``model`` (the data and step keys), ``parse``, ``validate``,
``conditions``, ``paths`` (which questions are on the path), ``flow``
(walking), ``planning`` (what comes next) and ``learning`` (estimates from
ended diagnoses).
"""

from __future__ import annotations

from diagnostics.engine.flow import next_step, progress
from diagnostics.engine.learning import (
    EndedDiagnosis,
    EvidenceTable,
    FixEstimate,
    Knowledge,
    Stat,
    Tally,
    answers_before_fixes,
    context_key,
    knowledge,
    tallies,
)
from diagnostics.engine.model import (
    OUTCOME_KINDS,
    Attempt,
    ChanceRule,
    Choice,
    Fix,
    Guide,
    GuideError,
    InvalidAnswer,
    Outcome,
    Progress,
    Question,
    Result,
    Step,
    make_key,
    split_key,
    step_key,
)
from diagnostics.engine.parse import parse_guide
from diagnostics.engine.paths import Walk, path_answers, question_path, walk
from diagnostics.engine.planning import (
    MIN_SAMPLE,
    Decision,
    Reason,
    applicable_fixes,
    decide,
    expected_cost,
    rank_fixes,
)
from diagnostics.engine.validate import guide_problems, load_guide, validate_guide

__all__ = [
    "MIN_SAMPLE",
    "OUTCOME_KINDS",
    "Attempt",
    "ChanceRule",
    "Choice",
    "Decision",
    "EndedDiagnosis",
    "EvidenceTable",
    "Fix",
    "FixEstimate",
    "Guide",
    "GuideError",
    "InvalidAnswer",
    "Knowledge",
    "Outcome",
    "Progress",
    "Question",
    "Reason",
    "Result",
    "Stat",
    "Step",
    "Tally",
    "Walk",
    "answers_before_fixes",
    "applicable_fixes",
    "context_key",
    "decide",
    "expected_cost",
    "guide_problems",
    "knowledge",
    "load_guide",
    "make_key",
    "next_step",
    "parse_guide",
    "path_answers",
    "progress",
    "question_path",
    "rank_fixes",
    "split_key",
    "step_key",
    "tallies",
    "validate_guide",
    "walk",
]
