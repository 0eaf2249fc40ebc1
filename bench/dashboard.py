"""Benchmark: the staff dashboard and the diagnosis changelist at 300,000 diagnoses.

    .venv/bin/python bench/dashboard.py [--diagnoses 300000] [--repeat 5]
                                        [--databases sqlite,postgres]

For each database (PostgreSQL only when a server answers at
``HELPDESK_TEST_POSTGRES_ADMIN_URL``, default 127.0.0.1:5432; the database is
made for the run and dropped after it): a fresh, migrated database with the
guides and two embedding sites, ``manage.py seed_demo_data --diagnoses N``
(timed), ``manage.py rollup_dashboard`` (timed), then gunicorn with the
production settings and gunicorn.conf.py, one sync worker, and a staff
session. Each view is requested once to warm up, then ``--repeat`` times one
after another; the median, fastest and slowest times of the whole HTTP
request are printed, the time of the first (the dashboard's live counts are
then reused for a minute), and the CPU time the worker spent per request (from
/proc: on a machine shared with other work the wall time grows, the CPU time
much less), with the bare-WSGI figure of this machine (a hello-world
WSGI app under the same gunicorn settings, bench/hello_wsgi.py) beside them
for scale.

Target (issue 11): each dashboard view answers in 150 ms or less, median of
5, on SQLite. The demo data is shown with the dashboard's "demo data only"
filter, as live data would be. ``--existing DATABASE_URL`` measures a database
seeded before (``manage.py seed_demo_data``) instead of making one. It prints
figures; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers

TARGET_MS = 150.0
TIMEOUT = 120.0
DASHBOARD = "/admin/diagnostics/dashboard/"

SETUP = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from diagnostics.models import EmbedSite, Guide
EmbedSite.objects.get_or_create(origin="https://shop.example.com", defaults={"name": "Shop"})
EmbedSite.objects.get_or_create(origin="https://blog.example.org", defaults={"name": "Blog"})
user = User.objects.filter(username="bench").first()
user = user or User.objects.create_superuser("bench", "bench@example.com", password=None)
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
guide = Guide.objects.order_by("pk").first()
site = EmbedSite.objects.order_by("pk").first()
print(session.session_key, guide.slug, guide.current_version_id, site.pk)
"""


COUNTS = """
from diagnostics.models import Diagnosis, FixAttempt, StepEvent, Answer
print(f"{Diagnosis.objects.filter(kind='demo').count()} demo diagnoses,"
      f" {Answer.objects.count()} answers, {FixAttempt.objects.count()} fix attempts,"
      f" {StepEvent.objects.count()} step events in the database")
"""


def views(slug: str, version: int, site: int) -> list[tuple[str, str]]:
    demo = f"{DASHBOARD}?demo=on"
    return [
        ("dashboard, live data, last 30 days", DASHBOARD),
        ("dashboard, demo data, last 30 days", demo),
        ("dashboard, demo, one guide, 30 days", f"{demo}&guide={slug}"),
        ("dashboard, demo, one version, 90 days", f"{demo}&version={version}&{_days(90)}"),
        ("dashboard, demo, one site, 30 days", f"{demo}&site={site}"),
        ("dashboard, demo, help desk itself, 7 days", f"{demo}&site=none&{_days(7)}"),
        ("dashboard, demo, last 2 days (live part)", f"{demo}&{_days(2)}"),
        ("dashboard, demo, one year", f"{demo}&{_days(366)}"),
        ("diagnosis changelist", "/admin/diagnostics/diagnosis/"),
    ]


def _days(n: int) -> str:
    end = time.gmtime()
    start = time.gmtime(time.time() - (n - 1) * 86400)
    return f"start={time.strftime('%Y-%m-%d', start)}&end={time.strftime('%Y-%m-%d', end)}"


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Timing:
    wall_ms: list[float]
    cpu_ms: float | None  # the worker's CPU per request, mean over the timed ones
    status: int
    first_ms: float = 0.0  # the warm-up request: live counts not yet cached


def timed_get(
    base: str, path: str, cookie: str, repeat: int, pids: list[int] | None = None
) -> Timing:
    headers = {"Host": base, "X-Forwarded-Proto": "https", "Cookie": cookie}
    began = time.perf_counter()
    first = servers.request(base, "GET", path, headers=headers, timeout=TIMEOUT)  # warm-up
    cold = 1000 * (time.perf_counter() - began)
    times = []
    cpu_before = cpu_seconds(pids) if pids else 0.0
    for _ in range(repeat):
        began = time.perf_counter()
        response = servers.request(base, "GET", path, headers=headers, timeout=TIMEOUT)
        times.append(1000 * (time.perf_counter() - began))
        if response.status != first.status:
            raise RuntimeError(f"{path}: {first.status} then {response.status}")
    cpu = 1000 * (cpu_seconds(pids) - cpu_before) / repeat if pids else None
    return Timing(times, cpu, first.status, cold)


def line(name: str, timing: Timing, wsgi: float, target: bool) -> str:
    times = timing.wall_ms
    median = statistics.median(times)
    mark = ""
    if target:
        mark = "  ok" if median <= TARGET_MS else f"  OVER {TARGET_MS:.0f} ms"
    cpu = f"{timing.cpu_ms:6.0f}" if timing.cpu_ms is not None else "     -"
    return (
        f"  {name:<44} {median:8.1f} ms  (min {min(times):7.1f}, max {max(times):7.1f})"
        f"  cpu {cpu} ms  first {timing.first_ms:7.1f} ms  {median / wsgi:7.1f}x bare WSGI"
        f"  [{timing.status}]{mark}"
    )


def bare_wsgi(repeat: int) -> float:
    env = servers.production_env("sqlite://:memory:")
    with servers.Gunicorn(
        env,
        workers=1,
        app="hello_wsgi:application",
        extra_args=["--pythonpath", str(servers.ROOT / "bench")],
        ready_path="/",
    ) as server:
        return statistics.median(timed_get(server.base, "/", "", max(repeat, 25)).wall_ms)


@contextlib.contextmanager
def database(kind: str, workdir: Path, existing: str) -> Iterator[str]:
    if existing:
        yield existing
    else:
        with servers.fresh_database(kind, workdir, name="h_dashboard_bench") as url:
            yield url


def measure(
    kind: str,
    workdir: Path,
    static_root: Path,
    diagnoses: int,
    repeat: int,
    wsgi: float,
    existing: str = "",
) -> None:
    print(f"\n{kind}: {existing or f'{diagnoses} demo diagnoses'}")
    with database(kind, workdir, existing) as url:
        env = servers.production_env(url, DJANGO_STATIC_ROOT=str(static_root))
        printed = servers.manage(env, "shell", "--no-imports", "-c", SETUP).split()
        session, slug, version, site = printed[-4:]
        if not existing:
            began = time.monotonic()
            out = servers.manage(
                env, "seed_demo_data", "--diagnoses", str(diagnoses), "--seed", "1", timeout=7200
            )
            print(f"  seed_demo_data: {time.monotonic() - began:.0f} s: {out.strip()}")
        print(f"  {servers.manage(env, 'shell', '--no-imports', '-c', COUNTS).strip()}")
        began = time.monotonic()
        out = servers.manage(env, "rollup_dashboard", timeout=7200)
        print(f"  rollup_dashboard: {time.monotonic() - began:.0f} s: {out.strip()}")
        log = workdir / f"gunicorn-{kind}.log"
        with servers.Gunicorn(env, workers=1, log_path=log) as server:
            cookie = f"sessionid={session}"
            print(f"  bare WSGI on this machine: {wsgi:.1f} ms (median)")
            print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            for name, path in views(slug, int(version), int(site)):
                try:
                    timing = timed_get(server.base, path, cookie, repeat, server.worker_pids())
                except TimeoutError:
                    print(f"  {name:<44} no answer within {TIMEOUT:.0f} s")
                    continue
                if timing.status != 200:
                    print(f"  {name}: status {timing.status}\n{server.log_tail()}")
                    continue
                print(line(name, timing, wsgi, kind == "sqlite" and "dashboard" in name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--diagnoses", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--existing",
        default="",
        help="measure this database (a DATABASE_URL, already seeded) instead of a fresh one;"
        " with --databases naming its one kind",
    )
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.databases.split(",") if kind.strip()]
    wsgi = bare_wsgi(args.repeat)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        static_root = servers.collect_static(Path(folder))
        for kind in kinds:
            if kind == "postgres" and not servers.postgres_reachable():
                print("\npostgres: no server answers; skipped")
                continue
            measure(
                kind,
                Path(folder),
                static_root,
                args.diagnoses,
                args.repeat,
                wsgi,
                existing=args.existing,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
