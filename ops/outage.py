"""Telling a database that is down from one that is busy, per worker process.

Django's PostgreSQL pool (psycopg_pool) connects in background threads and
retries failed connections with a growing back-off; a request that wants a
connection simply waits, up to the pool timeout (``DATABASE_POOL_TIMEOUT``,
10 s), and never learns that every attempt meanwhile was refused. During an
outage every request, ``/healthz`` included, held a sync worker for 10 s
before its 503.

This module is a small circuit breaker that the database backend
(:mod:`ops.postgresql`) consults before it waits:

* Every connection attempt reports how it went (:meth:`DatabaseGuard.failed`,
  :meth:`DatabaseGuard.succeeded`), whether the pool's own threads made it or a
  request did. Refused, unreachable, timed-out and rejected (a wrong password,
  no such database) all count as failures; a busy pool makes no attempt fail.
* After a failure the database counts as **down** for :data:`OPEN_SECONDS`:
  requests get their 503 at once, without touching the pool.
* Then one request (per process) is let through to **retry**; the backend
  gives it a fresh pool, so a connection is attempted right away instead of
  at the old pool's next back-off, perhaps minutes later. Meanwhile the others
  still fail fast. A refused retry fails within milliseconds and re-arms the
  window; a successful one closes the breaker.
* A request waits the full pool timeout only when a connection has worked
  since the last failure, which is when waiting means "the pool is busy".
  Otherwise (a worker's first request, or a retry) it waits at most
  :data:`COLD_WAIT_SECONDS`: long enough for a healthy server to accept a
  new connection, short enough that an unresponsive one (a server that
  accepts TCP but never answers, where only the connect timeout would tell)
  costs a person about a second.
* :func:`wait_at_most` shortens any wait further for one block of code;
  ``/healthz`` uses it so a probe is always answered within about a second.

State is per process and guarded by a lock: each gunicorn worker learns of an
outage from its own first failure, which costs a refused connection (about a
millisecond) or one cold wait.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from enum import Enum

# How long a failed connection marks the database down before one request retries.
OPEN_SECONDS = 2.0
# The longest a request waits for a connection while none has worked lately.
COLD_WAIT_SECONDS = 1.0


def clock() -> float:
    """Monotonic seconds (a function, so tests can move it)."""
    return time.monotonic()


class Verdict(Enum):
    WAIT = "wait"  # a connection worked since the last failure: wait as long as the pool says
    COLD = "cold"  # nothing known to work: wait briefly
    RETRY = "retry"  # down, and this request is the one to try again (with a fresh pool)
    FAIL = "fail"  # down: give up at once


class DatabaseGuard:
    """The breaker's state for one process; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0  # connection failures seen in this process, ever
        self._down_until: float | None = None  # None: no failure since the last success
        self._ever_connected = False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            self._down_until = clock() + OPEN_SECONDS

    def succeeded(self) -> None:
        with self._lock:
            self._down_until = None
            self._ever_connected = True

    @property
    def failures(self) -> int:
        """How many connection attempts have failed so far (to notice a new one)."""
        return self._failures

    def is_down(self) -> bool:
        with self._lock:
            return self._down_until is not None

    def admit(self) -> Verdict:
        """How a request that needs a new connection should go about it."""
        with self._lock:
            if self._down_until is None:
                return Verdict.WAIT if self._ever_connected else Verdict.COLD
            moment = clock()
            if moment < self._down_until:
                return Verdict.FAIL
            # This request retries; the others keep failing fast until it knows.
            self._down_until = moment + OPEN_SECONDS
            return Verdict.RETRY

    def reset(self) -> None:
        """Forget everything (for tests)."""
        with self._lock:
            self._failures = 0
            self._down_until = None
            self._ever_connected = False


guard = DatabaseGuard()

_budget = threading.local()


@contextlib.contextmanager
def wait_at_most(seconds: float) -> Iterator[None]:
    """Inside this block, wait no more than ``seconds`` for a database connection."""
    previous = getattr(_budget, "seconds", None)
    _budget.seconds = seconds if previous is None else min(previous, seconds)
    try:
        yield
    finally:
        _budget.seconds = previous


def wait_budget() -> float | None:
    """The limit set by :func:`wait_at_most` around this code, if any."""
    return getattr(_budget, "seconds", None)
