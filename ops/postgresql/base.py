"""Django's PostgreSQL backend, with a circuit breaker in front of its pool.

``ENGINE = "ops.postgresql"`` (helpdesk/settings.py sets it for any
``postgres://`` DATABASE_URL). Everything is Django's own backend except how a
request gets a new connection; :mod:`ops.outage` explains the policy:

* while a recent connection failure marks the database down, the request fails
  at once (Django turns that into ``OperationalError``, and the error handler
  into the 503 page);
* the one request allowed to retry gets a fresh pool, which connects at once
  (the old pool would only have tried again after its back-off);
* when nothing has connected lately, or ``/healthz`` asks for a short wait,
  the request waits for a connection in short slices and gives up as soon as a
  connection attempt fails, or after :data:`ops.outage.COLD_WAIT_SECONDS`;
* otherwise (a connection worked since the last failure, so any wait is for a
  busy pool) it waits the pool timeout, exactly as Django does.

Every attempt the pool makes reports to the breaker through
:class:`GuardedConnection`, the pool's ``connection_class``.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout

from ops.outage import COLD_WAIT_SECONDS, Verdict, guard, wait_budget

# How often a short wait looks whether a connection attempt has failed meanwhile.
SLICE_SECONDS = 0.05
DOWN_MESSAGE = "the database is unavailable: a connection to it failed moments ago"


class GuardedConnection(psycopg.Connection):
    """A psycopg connection that tells the breaker whether connecting worked."""

    @classmethod
    def connect(cls, *args: Any, **kwargs: Any) -> GuardedConnection:
        try:
            connection = super().connect(*args, **kwargs)
        except psycopg.OperationalError:
            guard.failed()
            raise
        guard.succeeded()
        return connection


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        verdict = guard.admit()
        if verdict is Verdict.FAIL:
            raise psycopg.OperationalError(DOWN_MESSAGE)
        if self.pool is None:  # DATABASE_POOL=false: one connection per request
            try:
                connection = super().get_new_connection(conn_params)
            except psycopg.OperationalError:
                guard.failed()
                raise
            guard.succeeded()
            return connection
        if verdict is Verdict.RETRY:
            self._replace_pool()
        pool = self.pool
        pool.connection_class = GuardedConnection  # before the pool first connects
        pool.open()
        budget = wait_budget()
        if verdict is not Verdict.WAIT:
            budget = min(budget or COLD_WAIT_SECONDS, COLD_WAIT_SECONDS)
        if budget is not None:
            # Wait here, watching the breaker; then hand the connection back so
            # Django's own code below takes it straight from the pool.
            pool.putconn(self._wait_watching(pool, budget))
        return super().get_new_connection(conn_params)

    def _replace_pool(self) -> None:
        """Drop this process's pool (and its back-off); the next use builds a new one."""
        old: ConnectionPool | None = self._connection_pools.pop(self.alias, None)
        if old is not None:
            old.close(timeout=0)  # threads stuck connecting finish on their own

    @staticmethod
    def _wait_watching(pool: ConnectionPool, budget: float) -> psycopg.Connection:
        """A connection within ``budget`` seconds; fail as soon as an attempt fails."""
        failures = guard.failures
        deadline = time.monotonic() + min(budget, pool.timeout)
        while True:
            remaining = deadline - time.monotonic()
            try:
                return pool.getconn(timeout=max(min(SLICE_SECONDS, remaining), 0.001))
            except PoolTimeout:
                if guard.failures != failures:
                    raise psycopg.OperationalError(DOWN_MESSAGE) from None
                if remaining <= SLICE_SECONDS:
                    raise PoolTimeout(f"no database connection within {budget:.1f} s") from None
