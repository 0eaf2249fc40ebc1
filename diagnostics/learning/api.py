"""The engine's learning API, in one place for the store.

TEMPORARY: until h-ranking-engine's ``decide``, ``knowledge`` and ``tallies``
are merged, they come from :mod:`diagnostics.learning._interim`, which learns
nothing (the author's order). This module then re-exports the engine's.
"""

from __future__ import annotations

from diagnostics.learning._interim import (
    MIN_SAMPLE,
    Decision,
    EndedDiagnosis,
    EvidenceTable,
    Knowledge,
    Reason,
    Stat,
    Tally,
    context_key,
    decide,
    knowledge,
    tallies,
)

__all__ = [
    "MIN_SAMPLE",
    "Decision",
    "EndedDiagnosis",
    "EvidenceTable",
    "Knowledge",
    "Reason",
    "Stat",
    "Tally",
    "context_key",
    "decide",
    "knowledge",
    "tallies",
]
