"""A database that is down costs people a second at most, never the pool's 10 s.

gunicorn runs with the production settings and the default pool and connect
timeouts (10 s and 5 s) against a PostgreSQL that is down two ways: a port
where nothing listens (every connection refused) and a listener that accepts
and then never says a word (an unresponsive server). No PostgreSQL server is
needed. The SQLite half: a production server never creates a database file.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler

from ops import outage
from ops.startup import forbid_new_sqlite_file
from tests import servers
from tests.conftest import SLUG
from tests.local_services import needs_postgres

GUIDE = f"/guides/{SLUG}/"
BOUND_SECONDS = 3.0  # generous: the point is "not the pool timeout (10 s)"


@pytest.fixture
def live_env(collected_static: Path) -> dict[str, str]:
    return {"DJANGO_STATIC_ROOT": str(collected_static)}


@contextlib.contextmanager
def silent_postgres() -> Iterator[int]:
    """A port that accepts TCP connections and never answers; yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        for sock in held:
            sock.close()


def timed_get(base: str, path: str) -> tuple[servers.Response, float]:
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    t0 = time.monotonic()
    response = servers.request(base, "GET", path, headers=headers, timeout=30)
    return response, time.monotonic() - t0


def assert_fast_503s(base: str, label: str) -> None:
    for path in ("/healthz", GUIDE, "/healthz", GUIDE, GUIDE):
        response, seconds = timed_get(base, path)
        print(f"{label}: GET {path} -> {response.status} in {seconds * 1000:.0f} ms")
        assert response.status == 503
        assert seconds < BOUND_SECONDS, f"{path} took {seconds:.1f} s"
        if path == GUIDE:
            assert "We'll be back in a minute" in response.body
        else:
            assert '"database": "unavailable"' in response.body


def test_a_postgres_that_refuses_connections_gets_fast_503s(live_env: dict[str, str]) -> None:
    url = f"postgres://helpdesk@127.0.0.1:{servers.free_port()}/helpdesk"  # nothing listens
    env = servers.production_env(url, **live_env)
    with servers.Gunicorn(env, workers=1, ready_status=(503,)) as server:
        assert_fast_503s(server.base, "refused")


def test_an_unresponsive_postgres_gets_503s_within_a_second_or_so(
    live_env: dict[str, str],
) -> None:
    with silent_postgres() as port:
        env = servers.production_env(f"postgres://helpdesk@127.0.0.1:{port}/helpdesk", **live_env)
        with servers.Gunicorn(env, workers=1, ready_status=(503,)) as server:
            assert_fast_503s(server.base, "unresponsive")


def test_a_busy_pool_still_waits_for_a_connection(django_db_blocker: Any) -> None:
    """Waiting is right when the database works and the pool is merely in use."""
    needs_postgres()
    config = dj_database_url.parse(servers.POSTGRES_ADMIN_URL)
    config |= {
        "ENGINE": "ops.postgresql",
        "OPTIONS": {"pool": {"min_size": 1, "max_size": 1, "timeout": 8}},
    }
    memory = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    handler = ConnectionHandler({"default": memory, "busy_pool_test": config})
    holding = threading.Event()
    waited: list[float] = []

    def hold() -> None:
        connection = handler["busy_pool_test"]
        connection.ensure_connection()
        holding.set()
        time.sleep(1.5)  # longer than a cold wait (ops.outage.COLD_WAIT_SECONDS)
        connection.close()  # back to the pool

    def wait() -> None:
        holding.wait(10)
        connection = handler["busy_pool_test"]
        t0 = time.monotonic()
        connection.ensure_connection()
        waited.append(time.monotonic() - t0)
        connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=wait)]
    with django_db_blocker.unblock():  # a server's own database, not the test database
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        handler["busy_pool_test"].close_pool()
    assert len(waited) == 1
    assert 1.0 < waited[0] < 8


# --- the breaker's rules, step by step ---------------------------------------------------


def test_the_breaker_fails_fast_after_a_failure_and_lets_one_request_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moment = [1000.0]
    monkeypatch.setattr(outage, "clock", lambda: moment[0])
    guard = outage.DatabaseGuard()
    assert guard.admit() is outage.Verdict.COLD  # nothing known yet: a short wait
    guard.succeeded()
    assert guard.admit() is outage.Verdict.WAIT  # works: waiting means busy
    guard.failed()
    assert guard.admit() is outage.Verdict.FAIL
    moment[0] += outage.OPEN_SECONDS
    assert guard.admit() is outage.Verdict.RETRY  # one request tries again...
    assert guard.admit() is outage.Verdict.FAIL  # ...while the others still fail fast
    guard.succeeded()
    assert guard.admit() is outage.Verdict.WAIT


# --- SQLite: never a fresh, empty file in production -------------------------------------


def test_a_production_server_refuses_to_start_without_its_sqlite_file(
    tmp_path: Path, live_env: dict[str, str]
) -> None:
    path = tmp_path / "missing.sqlite3"
    env = servers.production_env(f"sqlite:///{path}", **live_env)
    server = servers.Gunicorn(env, workers=1, log_path=tmp_path / "gunicorn.log")
    with pytest.raises(RuntimeError, match="exited early") as failure:
        server.start()
    assert f"error: The SQLite database {path} (SQLITE_PATH) does not exist" in (str(failure.value))
    assert not path.exists()
    # The entrypoint's prepare step creates it; then the server starts and is healthy.
    servers.manage(env, "prepare_database")
    with servers.Gunicorn(env, workers=1) as server:
        assert servers.request(server.base, "GET", "/healthz").status == 200


def test_an_empty_sqlite_file_makes_healthz_say_unmigrated(
    tmp_path: Path, live_env: dict[str, str]
) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    env = servers.production_env(f"sqlite:///{path}", **live_env)
    with servers.Gunicorn(env, workers=1, ready_status=(503,)) as server:
        health = servers.request(server.base, "GET", "/healthz")
    assert health.status == 503
    assert '"database": "ok"' in health.body
    assert '"schema": "unmigrated"' in health.body


def test_a_sqlite_file_removed_while_serving_is_not_created_again(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    sqlite3.connect(path).close()
    databases = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    forbid_new_sqlite_file(databases, debug=False)
    path.unlink()
    with pytest.raises(sqlite3.OperationalError):
        sqlite3.connect(databases["default"]["NAME"], uri=True)  # as Django opens it
    assert not path.exists()


def test_with_debug_on_a_missing_sqlite_file_is_created_as_before(tmp_path: Path) -> None:
    databases = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "x")}}
    forbid_new_sqlite_file(databases, debug=True)
    assert databases["default"]["NAME"] == str(tmp_path / "x")
    with pytest.raises(ImproperlyConfigured, match="SQLITE_PATH"):
        forbid_new_sqlite_file(databases, debug=False)
