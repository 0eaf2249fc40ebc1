"""The engine's learning API, in one place for the store."""

from __future__ import annotations

from diagnostics.engine import (
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
from diagnostics.engine.learning import parse_context_key

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
    "parse_context_key",
    "tallies",
]
