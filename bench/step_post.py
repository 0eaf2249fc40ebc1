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
step, no-JavaScript pair, ``--rounds`` times per concurrency level), so a
machine shared with other work slows both alike; the ratio of their totals is
the figure. (The floor's server serves floor POSTs only; the step's also
serves the page loads and starts of complete diagnoses, printed beside it.)

With ``--baselines`` it also measures a bare WSGI hello-world app and a static
file served by WhiteNoise under the same gunicorn settings, for context.

Targets (issue 9): on SQLite at 8 connections, htmx step POSTs >= 0.75x the
floor POSTs per second; p99 <= 50 ms at 8 connections; no errors at 32. The
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
            for step in servers.walk(browser, rng):
                out.acknowledged += 1
                if start <= time.time() <= end:
                    out.latencies.append(step.seconds)
                if time.time() >= end:
                    break
        except (OSError, RuntimeError, KeyError) as error:
            out.errors.append(repr(error)[:200])


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


def _process(args: tuple[str, str, str, int, int, tuple[float, float]]) -> dict:
    kind, base, path, users, seed, window = args
    samples = [Sample() for _ in range(users)]
    threads = []
    for i, sample in enumerate(samples):
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
) -> Result:
    begin = time.time() + 0.5
    window = (begin + warmup, begin + warmup + seconds)
    share, rest = divmod(concurrency, PROCESSES)
    per_process = [share + (i < rest) for i in range(PROCESSES)]
    jobs = [(kind, base, path, n, seed * 10 + i, window) for i, n in enumerate(per_process) if n]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
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


LABELS = {
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
                        ("diagnoses-nojs", server.base),
                    ):
                        result = run_load(load, base, c, seconds, warmup, seed=turn + 1)
                        runs.setdefault((load, c), []).append(result)
        rows = servers.step_rows(url)
    acknowledged = sum(
        r.acknowledged for (load, _), results in runs.items() if load != "floor" for r in results
    )
    locked = log.read_text(errors="replace").count("database is locked")
    print(f"\n{kind}: complete diagnoses, {rounds} round(s) of {seconds:g} s per kind and level")
    for c in CONCURRENCY:
        floor = combined(runs["floor", c])
        step = combined(runs["diagnoses", c])
        pair = combined(runs["diagnoses-nojs", c])
        ratio = _share(step.rps, floor.rps)
        turns = ", ".join(
            f"{_share(s.rps, f.rps):.2f}x"
            for s, f in zip(runs["diagnoses", c], runs["floor", c], strict=True)
        )
        print(floor.line())
        print(step.line())
        print(
            f"    = {ratio:.2f}x the floor (each round: {turns}); plus "
            f"{step.other / step.seconds:.0f} req/s of page loads and starts"
        )
        print(pair.line())
        print(
            f"    = {_share(pair.rps, step.rps):.2f}x the htmx step "
            f"({2 * pair.rps:.0f} requests/s); plus "
            f"{pair.other / pair.seconds:.0f} req/s of page loads and starts"
        )
        for result in (floor, step, pair):
            for error in sorted(set(result.errors))[:5]:
                print(f"    {result.label} error: {error}")
        if kind == "sqlite" and c == 8 and ratio < TARGET_FLOOR_RATIO:
            failures.append(f"{kind} c=8: step {ratio:.2f}x the floor < {TARGET_FLOOR_RATIO}x")
        if c == 8 and step.percentile(99) > TARGET_P99_MS:
            failures.append(f"{kind} c=8: p99 {step.percentile(99):.1f} ms > 50 ms")
        if c == 32 and (step.errors or pair.errors):
            failures.append(f"{kind} c=32: {len(step.errors) + len(pair.errors)} errors")
    same = "OK" if rows == acknowledged else "MISMATCH"
    print(
        f"  rows check: {rows} answer/fix rows in the database, {acknowledged} steps "
        f"acknowledged: {same}; 'database is locked' in the server log: {locked}"
    )
    if rows != acknowledged:
        failures.append(f"{kind}: {rows} rows != {acknowledged} acknowledged")
    if locked:
        failures.append(f"{kind}: 'database is locked' x{locked}")


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
