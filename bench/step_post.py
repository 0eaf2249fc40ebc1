"""Benchmark: the step POST under load, against the floor, on SQLite and PostgreSQL.

    .venv/bin/python bench/step_post.py [--seconds 8] [--rounds 2] [--databases sqlite,postgres]

Starts gunicorn on 127.0.0.1 with the production settings, gunicorn.conf.py
and 2 sync workers, and drives complete diagnoses through it like browsers:
real cookies, real CSRF tokens, one answer per step. With htmx each answer is
one POST that the server answers with the next step's panel; without
JavaScript it is a post/redirect/get pair (a POST answered 303, then the GET
of the step's page), timed as one. Per concurrency level (8 and 32
connections) it prints steps per second, p50 and p99 latency and errors, for
both, side by side. Afterwards it checks that the database holds exactly one
answer or fix-result row per step the server acknowledged.

The yardstick is the floor (floor_settings.py, floor_urls.py): a POST through
every production middleware that loads the session, reads the diagnosis,
moves it with a compare-and-swap UPDATE and inserts an answer row, but works
out no next step and renders nothing. No step POST that records an answer can
be faster than that on this stack and machine. The floor's server runs beside
the step's for the whole run, and the two are measured in turns (floor, htmx
step POSTs only, htmx step with page loads and starts, no-JavaScript pair,
``--rounds`` times per concurrency level), so a machine shared with other work
slows both alike; the ratio of their totals is the figure.

The floor's server serves floor POSTs only. The htmx step is measured twice:
"only" starts its diagnoses (the guide page and the Start POST, about 10 ms of
the server's time each) before the window opens, so the window holds step
POSTs alone, as the floor's holds floor POSTs (a connection that runs out of
started diagnoses starts another in the window: printed as req/s of page loads
and starts); the other run starts each diagnosis as it goes, so its server
also serves those page loads and starts in the window (also printed). The
target is on the first, the step POST; the second is what a mix of new
visitors and steps gives.

With ``--baselines`` it also measures a bare WSGI hello-world app and a static
file served by WhiteNoise under the same gunicorn settings, for context.

Targets (issue 9): on SQLite at 8 connections, htmx step POSTs ("only")
>= 0.75x the floor POSTs per second; p99 <= 50 ms at 8 connections; no errors at 32. The
same ratio is printed for PostgreSQL. Everything here shares the machine's
cores with the load generator, so figures are for comparing, not for
capacity planning. It prints figures; it is not a test. Every loop is bounded
by time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers

WORKERS = 2
CONCURRENCY = (8, 32)
PROCESSES = 2  # load-generating processes, so the client is not one GIL
TARGET_FLOOR_RATIO = 0.75  # htmx step POSTs / floor POSTs, SQLite, 8 connections
TARGET_P99_MS = 50.0


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)  # seconds, inside the window
    errors: list[str] = field(default_factory=list)
    acknowledged: int = 0  # step POSTs acknowledged at any time (for the rows check)
    other_requests: int = 0  # GETs and start POSTs inside the window


def _user_get(base: str, path: str, window: tuple[float, float], out: Sample) -> None:
    start, end = window
    # As a browser behind the TLS proxy asks (the app would redirect plain HTTP).
    headers = {"Host": base, "X-Forwarded-Proto": "https"}
    while time.time() < end:
        began = time.perf_counter()
        try:
            response = servers.request(base, "GET", path, headers=headers)
            ok = response.status == 200
        except OSError as error:
            ok, response = False, None
            out.errors.append(repr(error))
        finished = time.time()
        if not ok and response is not None:
            out.errors.append(f"GET {path} -> {response.status}")
        if ok and start <= finished <= end:
            out.latencies.append(time.perf_counter() - began)


def _walk(browser: servers.Browser, rng: Random, window: tuple[float, float], out: Sample) -> None:
    """Walk one started diagnosis to its end (or the window's), timing the steps in the window."""
    start, end = window
    for step in servers.walk(browser, rng):
        out.acknowledged += 1
        if start <= time.time() <= end:
            out.latencies.append(step.seconds)
        if time.time() >= end:
            break


def _user_diagnoses(
    base: str, seed: int, window: tuple[float, float], out: Sample, *, htmx: bool
) -> None:
    start, end = window
    rng = Random(seed)
    while time.time() < end:
        browser = servers.Browser(base, htmx=htmx)
        try:
            began = time.time()
            if browser.start().status not in (200, 303):  # 303: on to the step's page
                raise RuntimeError(f"start answered {browser.html[:200]}")
            if start <= began and time.time() <= end:
                # The guide page and the Start POST (plus the step page it leads to, without htmx).
                out.other_requests += 2 if htmx else 3
            _walk(browser, rng, (start, end), out)
        except (OSError, RuntimeError, KeyError) as error:
            out.errors.append(repr(error)[:200])


def _user_started(base: str, seed: int, prepare: _Prepare, out: Sample, *, prestart: int) -> None:
    """Like ``_user_diagnoses`` (htmx), but its diagnoses are started before the window.

    The browser loads the guide page and posts Start for ``prestart`` diagnoses
    first; once every user of every process has, the window opens and only
    step POSTs are sent. A user that runs out starts another one in the
    window, counted (as other requests) and printed.
    """
    rng = Random(seed)
    ready: list[servers.Browser] = []
    for _ in range(prestart):
        browser = servers.Browser(base, htmx=True)
        try:
            if browser.start().status != 200:
                raise RuntimeError(f"start answered {browser.html[:200]}")
        except (OSError, RuntimeError, KeyError) as error:
            out.errors.append(repr(error)[:200])
            continue
        ready.append(browser)
    start, end = prepare.wait()
    while time.time() < end:
        if ready:
            browser = ready.pop()
        else:
            browser = servers.Browser(base, htmx=True)
            try:
                began = time.time()
                if browser.start().status != 200:
                    raise RuntimeError(f"start answered {browser.html[:200]}")
                if start <= began and time.time() <= end:
                    out.other_requests += 2
            except (OSError, RuntimeError, KeyError) as error:
                out.errors.append(repr(error)[:200])
                continue
        try:
            _walk(browser, rng, (start, end), out)
        except (OSError, RuntimeError, KeyError) as error:
            out.errors.append(repr(error)[:200])


class _Prepare:
    """Opens the window once every user of every process has started its diagnoses."""

    def __init__(self, users: int, processes: Any, warmup: float, seconds: float) -> None:
        self._threads = threading.Barrier(users, action=self._all_here)
        self._processes = processes  # a multiprocessing.Barrier, inherited through fork
        self._warmup, self._seconds = warmup, seconds
        self.window = (0.0, 0.0)

    def _all_here(self) -> None:
        self._processes.wait(timeout=600)
        begin = _OPENED.value
        self.window = (begin + self._warmup, begin + self._warmup + self._seconds)

    def wait(self) -> tuple[float, float]:
        self._threads.wait(timeout=660)
        return self.window


def _user_floor(base: str, window: tuple[float, float], out: Sample) -> None:
    """One browser with a diagnosis posting to the floor view over and over."""
    start, end = window
    browser = servers.Browser(base, htmx=True)
    try:
        if browser.start().status != 200:
            raise RuntimeError(f"start answered {browser.html[:200]}")
    except (OSError, RuntimeError) as error:
        out.errors.append(repr(error)[:200])
        return
    token = browser.fields()["csrfmiddlewaretoken"]
    while time.time() < end:
        began = time.perf_counter()
        try:
            response = browser.post("/floor/", {"csrfmiddlewaretoken": token})
        except OSError as error:
            out.errors.append(repr(error))
            continue
        if response.status != 200:
            out.errors.append(f"POST /floor/ -> {response.status}")
            continue
        out.acknowledged += 1
        if start <= time.time() <= end:
            out.latencies.append(time.perf_counter() - began)


def _process(args: tuple[str, str, str, int, int, tuple[float, float], int]) -> dict:
    kind, base, path, users, seed, window, prestart = args
    samples = [Sample() for _ in range(users)]
    threads = []
    prepare = _Prepare(users, _BARRIER, window[0], window[1]) if kind == "started" else None
    for i, sample in enumerate(samples):
        if prepare is not None:
            threads.append(
                threading.Thread(
                    target=_user_started,
                    args=(base, seed * 1000 + i, prepare, sample),
                    kwargs={"prestart": prestart},
                    daemon=True,
                )
            )
            continue
        if kind == "get":
            target, targs = _user_get, (base, path, window, sample)
        elif kind == "floor":
            target, targs = _user_floor, (base, window, sample)
        else:
            target, targs = _user_diagnoses, (base, seed * 1000 + i, window, sample)
        kwargs = {"htmx": kind == "diagnoses"} if target is _user_diagnoses else {}
        threads.append(threading.Thread(target=target, args=targs, kwargs=kwargs, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        if prepare is not None:
            thread.join(timeout=600 + window[0] + window[1] + 60)
        else:
            thread.join(timeout=window[1] - time.time() + 60)
    return {
        "latencies": [x for s in samples for x in s.latencies],
        "errors": [x for s in samples for x in s.errors],
        "acknowledged": sum(s.acknowledged for s in samples),
        "other": sum(s.other_requests for s in samples),
    }


@dataclass
class Result:
    label: str
    concurrency: int
    seconds: float
    latencies: list[float]
    errors: list[str]
    acknowledged: int = 0
    other: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"  {self.label:<26} c={self.concurrency:<3} {self.rps:8.1f} req/s   "
            f"p50 {self.percentile(50):6.1f} ms   p99 {self.percentile(99):6.1f} ms   "
            f"errors {len(self.errors)}"
        )


def run_load(
    kind: str,
    base: str,
    concurrency: int,
    seconds: float,
    warmup: float,
    *,
    path: str = "",
    seed: int = 1,
    prestart: int = 0,
) -> Result:
    """``kind`` "started": ``prestart`` diagnoses per connection are started before
    the window opens (``_user_started``); the window is then (warmup, seconds)
    after the last of them."""
    global _BARRIER
    begin = time.time() + 0.5
    window = (begin + warmup, begin + warmup + seconds)
    share, rest = divmod(concurrency, PROCESSES)
    per_process = [share + (i < rest) for i in range(PROCESSES)]
    if kind == "started":
        window = (warmup, seconds)  # relative to the moment every diagnosis is started
    jobs = [
        (kind, base, path, n, seed * 10 + i, window, prestart)
        for i, n in enumerate(per_process)
        if n
    ]
    context = multiprocessing.get_context("fork")
    _BARRIER = context.Barrier(len(jobs), action=_open_window)
    with context.Pool(len(jobs)) as pool:
        parts = pool.map(_process, jobs)
    return Result(
        label=LABELS.get(kind, f"GET {path}"),
        concurrency=concurrency,
        seconds=seconds,
        latencies=[x for p in parts for x in p["latencies"]],
        errors=[x for p in parts for x in p["errors"]],
        acknowledged=sum(p["acknowledged"] for p in parts),
        other=sum(p["other"] for p in parts),
    )


# The pre-started kind's window: its processes meet at _BARRIER (inherited through
# fork), whose action writes the moment they all did into _OPENED.
_BARRIER: Any = None
_OPENED: Any = multiprocessing.get_context("fork").Value("d", 0.0)


def _open_window() -> None:
    _OPENED.value = time.time() + 0.2


LABELS = {
    "started": "step POST (htmx), only",
    "diagnoses": "step POST (htmx)",
    "diagnoses-nojs": "POST + GET (no JavaScript)",
    "floor": "floor POST",
}


def combined(results: list[Result]) -> Result:
    """Runs of one kind at one concurrency, taken together."""
    first = results[0]
    return Result(
        label=first.label,
        concurrency=first.concurrency,
        seconds=sum(r.seconds for r in results),
        latencies=[x for r in results for x in r.latencies],
        errors=[x for r in results for x in r.errors],
        acknowledged=sum(r.acknowledged for r in results),
        other=sum(r.other for r in results),
    )


def static_path(static_root: Path) -> str:
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["diagnostics/site.css"]


def measure_baselines(
    static_root: Path, workdir: Path, extra: dict[str, str], seconds: float, warmup: float
) -> None:
    """Bare WSGI and a static file under the same gunicorn settings (context only)."""
    baseline: dict[tuple[str, int], Result] = {}
    hello_env = servers.production_env("sqlite://:memory:", **extra)
    with servers.Gunicorn(
        hello_env,
        workers=WORKERS,
        app="hello_wsgi:application",
        extra_args=["--pythonpath", str(servers.ROOT / "bench")],
        ready_path="/",
    ) as server:
        for c in CONCURRENCY:
            baseline["wsgi", c] = run_load("get", server.base, c, seconds, warmup, path="/")
    with servers.fresh_database("sqlite", workdir, name="static") as url:
        env = servers.production_env(url, **extra)
        with servers.Gunicorn(env, workers=WORKERS) as server:
            css = static_path(static_root)
            for c in CONCURRENCY:
                baseline["static", c] = run_load("get", server.base, c, seconds, warmup, path=css)
    print("\nBaselines")
    for c in CONCURRENCY:
        print(baseline["wsgi", c].line().replace("GET /  ", "bare WSGI", 1))
        print(baseline["static", c].line())


def measure_database(
    kind: str,
    workdir: Path,
    extra: dict[str, str],
    *,
    seconds: float,
    warmup: float,
    rounds: int,
    failures: list[str],
) -> None:
    """The floor, the htmx step and the no-JavaScript pair, in turns, on one kind of database."""
    log = workdir / f"gunicorn-{kind}.log"
    runs: dict[tuple[str, int], list[Result]] = {}
    with (
        servers.fresh_database(kind, workdir, name="bench") as url,
        servers.fresh_database(kind, workdir, name="floor") as floor_url,
    ):
        env = servers.production_env(url, **extra)
        # PYTHONPATH, not only --pythonpath: gunicorn.conf.py checks the settings
        # in a child process before any worker starts.
        bench_dir = str(servers.ROOT / "bench")
        floor_env = servers.production_env(
            floor_url, DJANGO_SETTINGS_MODULE="floor_settings", PYTHONPATH=bench_dir, **extra
        )
        with (
            servers.Gunicorn(env, workers=WORKERS, log_path=log) as server,
            servers.Gunicorn(floor_env, workers=WORKERS, log_path=workdir / "floor.log") as floor,
        ):
            for c in CONCURRENCY:
                for turn in range(rounds):
                    for load, base in (
                        ("floor", floor.base),
                        ("diagnoses", server.base),
                        ("started", server.base),
                        ("diagnoses-nojs", server.base),
                    ):
                        prestart = (
                            _prestart(runs["diagnoses", c][-1], c) if load == "started" else 0
                        )
                        result = run_load(
                            load, base, c, seconds, warmup, seed=turn + 1, prestart=prestart
                        )
                        runs.setdefault((load, c), []).append(result)
        rows = servers.step_rows(url)
    acknowledged = sum(
        r.acknowledged for (load, _), results in runs.items() if load != "floor" for r in results
    )
    locked = log.read_text(errors="replace").count("database is locked")
    print(f"\n{kind}: complete diagnoses, {rounds} round(s) of {seconds:g} s per kind and level")
    for c in CONCURRENCY:
        floor = combined(runs["floor", c])
        mixed = combined(runs["diagnoses", c])
        step = combined(runs["started", c])
        pair = combined(runs["diagnoses-nojs", c])
        ratio = _share(step.rps, floor.rps)
        print(floor.line())
        print(step.line())
        print(
            f"    = {ratio:.2f}x the floor (each round: {_turns(runs, 'started', c)}); "
            f"diagnoses started before the window, plus {step.other / step.seconds:.0f} "
            "req/s of page loads and starts in it"
        )
        print(mixed.line())
        print(
            f"    = {_share(mixed.rps, floor.rps):.2f}x the floor (each round: "
            f"{_turns(runs, 'diagnoses', c)}), serving also "
            f"{mixed.other / mixed.seconds:.0f} req/s of page loads and starts"
        )
        print(pair.line())
        print(
            f"    = {_share(pair.rps, mixed.rps):.2f}x the htmx step with page loads "
            f"({2 * pair.rps:.0f} requests/s); plus "
            f"{pair.other / pair.seconds:.0f} req/s of page loads and starts"
        )
        for result in (floor, step, mixed, pair):
            for error in sorted(set(result.errors))[:5]:
                print(f"    {result.label} error: {error}")
        if kind == "sqlite" and c == 8 and ratio < TARGET_FLOOR_RATIO:
            failures.append(f"{kind} c=8: step {ratio:.2f}x the floor < {TARGET_FLOOR_RATIO}x")
        if c == 8 and step.percentile(99) > TARGET_P99_MS:
            failures.append(f"{kind} c=8: p99 {step.percentile(99):.1f} ms > 50 ms")
        if c == 32 and (step.errors or mixed.errors or pair.errors):
            errors = len(step.errors) + len(mixed.errors) + len(pair.errors)
            failures.append(f"{kind} c=32: {errors} errors")
    same = "OK" if rows == acknowledged else "MISMATCH"
    print(
        f"  rows check: {rows} answer/fix rows in the database, {acknowledged} steps "
        f"acknowledged: {same}; 'database is locked' in the server log: {locked}"
    )
    if rows != acknowledged:
        failures.append(f"{kind}: {rows} rows != {acknowledged} acknowledged")
    if locked:
        failures.append(f"{kind}: 'database is locked' x{locked}")


def _turns(runs: dict[tuple[str, int], list[Result]], load: str, c: int) -> str:
    """The ratio to the floor of each round of ``load`` at ``c`` connections."""
    return ", ".join(
        f"{_share(s.rps, f.rps):.2f}x" for s, f in zip(runs[load, c], runs["floor", c], strict=True)
    )


def _prestart(mixed: Result, concurrency: int) -> int:
    """Diagnoses to start per connection before a steps-only run: three times as
    many as the run with page loads and starts began in its window, plus two."""
    starts = mixed.other / 2  # each: the guide page and the Start POST
    return int(3 * starts / concurrency) + 2


def _share(part: float, whole: float) -> float:
    return part / whole if whole else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.5, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=2, help="turns of floor/step/pair")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--baselines", action="store_true", help="also measure bare WSGI and a static file"
    )
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 120.0)
    warmup = min(max(args.warmup, 0.0), 30.0)
    rounds = min(max(args.rounds, 1), 10)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if "postgres" in kinds and not servers.postgres_reachable():
        print(f"PostgreSQL not reachable at {servers.POSTGRES_ADMIN_URL}: skipping it.")
        kinds.remove("postgres")

    print(
        f"gunicorn.conf.py, {WORKERS} sync workers, 127.0.0.1; {seconds:g} s measured per run "
        f"after {warmup:g} s warm-up; load from {PROCESSES} client processes on the same cores."
    )
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as tmp:
        workdir = Path(tmp)
        static_root = servers.collect_static(workdir)
        extra = {"DJANGO_STATIC_ROOT": str(static_root), "HELPDESK_RATE_LIMIT_POSTS": "100000000"}
        if args.baselines:
            measure_baselines(static_root, workdir, extra, seconds, warmup)
        for kind in kinds:
            measure_database(
                kind,
                workdir,
                extra,
                seconds=seconds,
                warmup=warmup,
                rounds=rounds,
                failures=failures,
            )

    print("\nTargets: " + ("all met" if not failures else "NOT met: " + "; ".join(failures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
