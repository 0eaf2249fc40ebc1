"""Benchmark: the HTTP edge under trouble (issue 14). Prints figures; not a test.

    .venv/bin/python bench/edge.py [--only outage,flood,refused]

* **outage**: gunicorn (production settings, one sync worker, the default pool
  and connect timeouts) whose PostgreSQL is down, two ways: a port where
  nothing listens (connections refused) and a listener that accepts and then
  never says a word (an unresponsive server). Prints the answer time of
  ``/healthz`` and of a guide page, five of each.
* **flood**: 200 start POSTs from one address (127.0.0.1), each with a
  different forged ``X-Forwarded-For``, against gunicorn on SQLite with the
  default limit (60 a minute). Prints how many drew a 429, for each proxy
  setting the app accepts at start-up.
* **refused**: in-process (Django's test client, SQLite): the queries a POST
  costs once its client is over the limit, and the time and the warning lines
  of 1000 such POSTs.

Every loop is bounded. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers

GUIDE = servers.GUIDE_PATH


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never answers; yields the port."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        for sock in held:
            sock.close()


def timed(base: str, path: str) -> tuple[int, float]:
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    t0 = time.monotonic()
    try:
        status = servers.request(base, "GET", path, headers=headers, timeout=30).status
    except OSError:
        status = 0
    return status, time.monotonic() - t0


def outage(static_root: Path) -> None:
    closed = servers.free_port()  # bound then released: nothing listens there
    with silent_listener() as silent:
        for label, port in (("refused", closed), ("unresponsive", silent)):
            url = f"postgres://helpdesk@127.0.0.1:{port}/helpdesk"
            env = servers.production_env(url, DJANGO_STATIC_ROOT=str(static_root))
            server = servers.Gunicorn(env, workers=1, ready_status=(503,))
            try:
                server.start(timeout=60)
            except RuntimeError as error:
                print(f"outage/{label}: server did not start: {error}")
                continue
            try:
                for path in ("/healthz", GUIDE):
                    samples = [timed(server.base, path) for _ in range(5)]
                    figures = ", ".join(f"{s} in {t * 1000:.0f} ms" for s, t in samples)
                    print(f"outage/{label}: GET {path}: {figures}")
            finally:
                server.stop()


def flood(static_root: Path, workdir: Path) -> None:
    settings = {
        "HELPDESK_PROXY_COUNT=1 (the old README example)": {"HELPDESK_PROXY_COUNT": "1"},
        "HELPDESK_TRUSTED_PROXIES=10.0.0.0/8": {"HELPDESK_TRUSTED_PROXIES": "10.0.0.0/8"},
        "no proxy setting": {},
    }
    for label, extra in settings.items():
        with servers.fresh_database("sqlite", workdir, name=f"flood{len(extra)}") as url:
            env = servers.production_env(url, DJANGO_STATIC_ROOT=str(static_root), **extra)
            server = servers.Gunicorn(env, workers=2, log_path=workdir / "flood.log")
            try:
                server.start()
            except RuntimeError as error:
                last = str(error).strip().splitlines()[-1]
                print(f"flood/{label}: refuses to start: {last}")
                continue
            try:
                browser = servers.Browser(server.base, htmx=True)
                browser.get()
                token = browser.fields()["csrfmiddlewaretoken"]
                codes: list[int] = []
                t0 = time.monotonic()
                for i in range(200):
                    headers = browser._headers(post=True, htmx=True)
                    headers["X-Forwarded-For"] = f"203.0.{i // 250}.{i % 250 + 1}"
                    response = servers.request(
                        server.base,
                        "POST",
                        f"{GUIDE}start/",
                        body=f"csrfmiddlewaretoken={token}".encode(),
                        headers=headers,
                    )
                    codes.append(response.status)
                seconds = time.monotonic() - t0
                print(
                    f"flood/{label}: {codes.count(429)} of 200 forged-address POSTs drew 429 "
                    f"({codes.count(200)} got through; {seconds:.1f} s)"
                )
            finally:
                server.stop()


def refused(static_root: Path, workdir: Path) -> None:
    os.environ.update(
        servers.production_env(
            f"sqlite:///{workdir / 'refused.sqlite3'}",
            DJANGO_STATIC_ROOT=str(static_root),
            DJANGO_SECURE_SSL_REDIRECT="false",
            DJANGO_ALLOWED_HOSTS="testserver",
            HELPDESK_RATE_LIMIT_POSTS="5",
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="helpdesk.settings",
        )
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()

    class Count(logging.Handler):
        lines = 0

        def emit(self, record: logging.LogRecord) -> None:
            Count.lines += 1

    for name in ("", "django", "django.request"):  # count warnings instead of printing them
        logging.getLogger(name).handlers = [Count()] if name == "" else []
        logging.getLogger(name).propagate = True
    logging.getLogger().setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    call_command("load_guides", verbosity=0)
    client = Client(REMOTE_ADDR="198.51.100.9")
    start = f"{GUIDE}start/"
    codes = [client.post(start).status_code for _ in range(6)]
    assert codes[-1] == 429, codes
    with CaptureQueriesContext(connection) as queries:
        assert client.post(start).status_code == 429
    print(f"refused: one refused POST makes {len(queries.captured_queries)} queries")
    Count.lines = 0
    t0 = time.monotonic()
    for _ in range(1000):
        client.post(start)
    seconds = time.monotonic() - t0
    print(f"refused: 1000 refused POSTs in {seconds:.2f} s ({seconds:.2f} ms each)")
    print(f"refused: {Count.lines} warning lines logged for them")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="outage,flood,refused")
    parts = set(parser.parse_args().only.split(","))
    with tempfile.TemporaryDirectory(prefix="helpdesk-edge-") as folder:
        workdir = Path(folder)
        static_root = servers.collect_static(workdir)
        if "outage" in parts:
            outage(static_root)
        if "flood" in parts:
            flood(static_root, workdir)
        if "refused" in parts:
            refused(static_root, workdir)


if __name__ == "__main__":
    main()
