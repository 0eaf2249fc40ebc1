"""The diagnosis engine: a guide as plain data, and the next step for a person.

This package is pure Python. It imports nothing from Django and touches no
database (a contract in ``make test`` keeps it so), so it can be read,
reasoned about and tested on its own.

A guide has three kinds of step:

* **questions**, asked in the guide's order. A question may be skipped unless
  earlier answers on the path match its ``ask_if``; a choice may jump
  (``next``) to a later question or straight to an outcome.
* **fixes**, each with the answers under which it applies (``when``). Once
  every question on the path is answered, the engine recommends the
  applicable fix not yet tried that the planner ranks first.
* **outcomes**: ``resolved``, ``not_applicable`` (with an explanation) or
  ``escalate``. A fix that works leads to the guide's ``resolved`` outcome;
  when no applicable fix is left, to its ``exhausted`` outcome.

The public API, re-exported here:

* reading: :func:`parse_guide` (shape), :func:`validate_guide` (every path),
  :func:`load_guide` (both, raising the first problem) and
  :func:`guide_problems` (both, listing every problem);
* walking: :func:`next_step`, :func:`progress`, :func:`path_answers`,
  :func:`question_path`;
* planning: :func:`applicable_fixes`, :func:`rank_fixes`;
* step keys: :func:`step_key`, :func:`make_key`, :func:`split_key`;
* the data: :class:`Guide`, :class:`Question`, :class:`Choice`, :class:`Fix`,
  :class:`Outcome`, :class:`Attempt`, :class:`Result`, :class:`Progress`,
  and the errors :class:`GuideError` and :class:`InvalidAnswer`.

Modules: ``model`` (the data and step keys), ``parse``, ``validate``,
``flow`` (walking) and ``planning`` (the order of fixes).
"""

from __future__ import annotations

from diagnostics.engine.flow import next_step, path_answers, progress, question_path
from diagnostics.engine.model import (
    OUTCOME_KINDS,
    Attempt,
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
from diagnostics.engine.planning import applicable_fixes, rank_fixes
from diagnostics.engine.validate import guide_problems, load_guide, validate_guide

__all__ = [
    "OUTCOME_KINDS",
    "Attempt",
    "Choice",
    "Fix",
    "Guide",
    "GuideError",
    "InvalidAnswer",
    "Outcome",
    "Progress",
    "Question",
    "Result",
    "Step",
    "applicable_fixes",
    "guide_problems",
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
    "validate_guide",
]
