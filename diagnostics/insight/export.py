"""CSV export of diagnoses, with every answer and fix result: one row per entry.

Streamed: the diagnoses are read with ``.iterator()``, and their answers and
fix attempts a chunk of diagnoses at a time, so memory stays flat however many
rows there are (``bench/export.py`` prints the peak). Each cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is prefixed with ``'`` (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import batched

from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

from diagnostics.models import Answer, Diagnosis, FixAttempt, guide_for_version

CHUNK = 1000  # diagnoses whose entries are read together

HEADER = (
    "support_code",
    "guide",
    "guide_version",
    "status",
    "kind",
    "embedding_site",
    "started",
    "last_change",
    "last_step",
    "entry",
    "entry_kind",
    "step",
    "step_text",
    "answer",
    "answer_text",
    "answered",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

type Cell = str | int


def export_list(changelist: type[ChangeList]) -> type[ChangeList]:
    """``changelist`` for the export: its filters and search, without a page or counts.

    A changelist counts its rows and reads one page of them; the export reads
    them all, streamed, so it skips both, and goes newest first.
    """

    class ExportList(changelist):  # type: ignore[misc, valid-type]
        def get_results(self, request: HttpRequest) -> None:
            self.result_count = self.full_result_count = 0
            self.result_list = []
            self.can_show_all = self.multi_page = self.show_all = False

        def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[str]:
            return ["-created", "-pk"]

    return ExportList


def safe_cell(value: object) -> Cell:
    """``value`` as a CSV cell no spreadsheet will run as a formula."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def export_rows(diagnoses: QuerySet[Diagnosis]) -> Iterator[tuple[Cell, ...]]:
    """The header, then one row per answer or fix result of each diagnosis, in order.

    A diagnosis with neither gets one row with the entry columns empty.
    """
    yield HEADER
    rows = diagnoses.values_list(
        "pk",
        "support_code",
        "guide_version_id",
        "guide_version__guide__slug",
        "guide_version__number",
        "status",
        "kind",
        "embed_site__origin",
        "created",
        "updated",
        "last_step",
    ).iterator(chunk_size=CHUNK)
    for chunk in batched(rows, CHUNK):
        entries = _entries([row[0] for row in chunk])
        for pk, code, version_id, slug, number, status, kind, site, created, updated, last in chunk:
            guide = guide_for_version(version_id)
            head = (
                code,
                slug,
                number,
                status,
                kind,
                site or "",
                _when(created),
                _when(updated),
                last,
            )
            found = sorted(entries.pop(pk, ()))
            if not found:
                yield tuple(safe_cell(cell) for cell in head) + ("",) * 7
            for position, entry_kind, step_id, choice, at in found:
                if entry_kind == "question":
                    question = guide.question(step_id)
                    picked = question.choice(choice) if question else None
                    step_text = question.prompt if question else ""
                    answer_text = picked.label if picked else ""
                else:
                    fix = guide.fix(step_id)
                    step_text = fix.title if fix else ""
                    answer_text = FixAttempt.Result(choice).label if choice in RESULTS else ""
                yield tuple(
                    safe_cell(cell)
                    for cell in (
                        *head,
                        position,
                        entry_kind,
                        step_id,
                        step_text,
                        choice,
                        answer_text,
                        _when(at),
                    )
                )


RESULTS = frozenset(FixAttempt.Result.values)


def _entries(ids: list[object]) -> dict[object, list[tuple]]:
    """The answers and fix attempts of the diagnoses ``ids``: two queries."""
    entries: dict[object, list[tuple]] = defaultdict(list)
    answers = Answer.objects.filter(diagnosis_id__in=ids).values_list(
        "diagnosis_id", "position", "question", "choice", "created"
    )
    for diagnosis, position, question, choice, at in answers.iterator(chunk_size=CHUNK * 8):
        entries[diagnosis].append((position, "question", question, choice, at))
    attempts = FixAttempt.objects.filter(diagnosis_id__in=ids).values_list(
        "diagnosis_id", "position", "fix", "result", "created"
    )
    for diagnosis, position, fix, result, at in attempts.iterator(chunk_size=CHUNK * 8):
        entries[diagnosis].append((position, "fix", fix, result, at))
    return entries


class _Echo:
    """A file-like object whose ``write`` returns the line (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[tuple[Cell, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)
