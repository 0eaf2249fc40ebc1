"""Benchmark: the diagnosis CSV export's peak memory, small and large.

    .venv/bin/python bench/export.py [--diagnoses 250000] [--attempts 4] [--answers 6]
                                     [--database sqlite|postgres]

Migrates a fresh database (SQLite in a temporary folder, or with
``--database postgres`` a database named ``bench_export`` at
``$BENCH_POSTGRES``, default ``postgres://postgres@127.0.0.1:5432``), loads the
guides, and writes ``--diagnoses`` escalated diagnoses, each with ``--answers``
answers and ``--attempts`` fix attempts (a million attempts by default),
in batches. Then it downloads the export as staff do, through the admin's
export address with Django's test client, reading the streamed response and
dropping each piece: first for a tenth of the diagnoses (the status filter), then
for all of them. For each it prints the rows, the bytes, the time, and the
peak memory Python allocated meanwhile (``tracemalloc``, which slows Python
down a lot); then all of them again untraced, for the export's real speed.

Flat memory means the two peaks are about the same although one export is ten
times the other. It prints figures; it is not a test.

On the 2-core test machine, shared with other work (SQLite, the defaults: 250,000
diagnoses, 1,500,000 answers, 1,000,000 fix attempts; seeding took 19 minutes):

            export       rows   MB out  seconds  peak MB
           a tenth    250,000     56.3     99.3     8.03
               all  2,500,000    564.8   1021.0     5.19
     all, untraced  2,500,000    564.8    205.1        -

The peak stays at a few megabytes for ten times the rows: the CSV is never
held whole, only a chunk of 1,000 diagnoses and their entries at a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers

BATCH = 5000  # diagnoses written per bulk insert


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--diagnoses", type=int, default=250_000)
    parser.add_argument("--attempts", type=int, default=4, help="fix attempts per diagnosis")
    parser.add_argument("--answers", type=int, default=6, help="answers per diagnosis")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="helpdesk-export-"))
    if args.database == "sqlite":
        url = f"sqlite:///{folder / 'export.sqlite3'}"
    else:
        server = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
        url = f"{server}/bench_export"
        _fresh_postgres_database(server, "bench_export")
    env = servers.production_env(
        url, DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_STATIC_ROOT=str(folder / "static")
    )
    (folder / "static").mkdir()
    servers.manage(env, "prepare_database", timeout=600)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    began = time.perf_counter()
    _seed(args.diagnoses, answers=args.answers, attempts=args.attempts)
    print(
        f"{args.database}: wrote {args.diagnoses:,} diagnoses, "
        f"{args.diagnoses * args.answers:,} answers, {args.diagnoses * args.attempts:,} fix"
        f" attempts in {time.perf_counter() - began:.0f} s"
    )
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.create_superuser("bench", password=None))

    # A tenth of the diagnoses are resolved: the changelist's status filter.
    runs = [("a tenth", {"status__exact": "resolved"}, True), ("all", {}, True)]
    runs.append(("all, untraced", {}, False))  # the time without tracemalloc's cost
    print(f"{'export':>14} {'rows':>10} {'MB out':>8} {'seconds':>8} {'peak MB':>8}")
    for name, query, traced in runs:
        rows, size, seconds, peak = _download(staff, query, traced=traced)
        shown = f"{peak / 1e6:>8.2f}" if traced else f"{'-':>8}"
        print(f"{name:>14} {rows:>10,} {size / 1e6:>8.1f} {seconds:>8.1f} {shown}")
    shutil.rmtree(folder)  # the SQLite file is about a gigabyte at the default size
    return 0


def _download(staff: object, query: dict[str, str], *, traced: bool) -> tuple[int, int, float, int]:
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    response = staff.get("/admin/diagnostics/diagnosis/export/", query, secure=True)
    assert response.status_code == 200, response.status_code
    rows = size = 0
    for piece in response.streaming_content:
        size += len(piece)
        rows += 1
    seconds = time.perf_counter() - began
    peak = 0
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return rows - 1, size, seconds, peak  # less the header


def _seed(count: int, *, answers: int, attempts: int) -> None:
    from django.db import transaction

    from diagnostics.models import (
        Answer,
        Diagnosis,
        FixAttempt,
        Guide,
        guide_for_version,
        new_support_code,
    )

    guide = Guide.objects.select_related("current_version").get(slug="icloud-contacts")
    version = guide.current_version
    parsed = guide_for_version(version.pk)
    questions = [(q.id, q.choices[0].id) for q in parsed.questions][:answers]
    fixes = [fix.id for fix in parsed.fixes][:attempts]
    codes: set[str] = set()
    for start in range(0, count, BATCH):
        batch = []
        for number in range(start, min(start + BATCH, count)):
            code = new_support_code()
            while code in codes:
                code = new_support_code()
            codes.add(code)
            batch.append(
                Diagnosis(
                    guide_version=version,
                    # One in ten resolved: the small export filters on it.
                    status=Diagnosis.Status.RESOLVED
                    if number % 10 == 0
                    else Diagnosis.Status.ESCALATED,
                    support_code=code,
                    last_step="outcome:escalate",
                    revision=len(questions) + len(fixes),
                    kind=Diagnosis.Kind.DEMO,
                )
            )
        with transaction.atomic():
            Diagnosis.objects.bulk_create(batch)
            Answer.objects.bulk_create(
                Answer(diagnosis=d, position=i + 1, question=q, choice=c)
                for d in batch
                for i, (q, c) in enumerate(questions)
            )
            FixAttempt.objects.bulk_create(
                FixAttempt(
                    diagnosis=d, position=len(questions) + i + 1, fix=fix, result="not_fixed"
                )
                for d in batch
                for i, fix in enumerate(fixes)
            )


def _fresh_postgres_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
