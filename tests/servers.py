"""Run the help desk as in production, on loopback: a fresh database, gunicorn
with the production settings and gunicorn.conf.py, and a small HTTP client that
keeps cookies and posts real CSRF tokens like a browser behind a TLS proxy.
Traffic goes to 127.0.0.1 only.

Who uses it: the tests that need a real server (faults, rate limits, scale-out,
the Dockerfile's start-up) and the benchmark (bench/step_post.py). The tests
own it, because CI runs them on every change and so keeps it working; the
benchmark imports it from here. The dependency points one way: bench imports
tests.servers, and nothing under tests imports bench.

It uses no pytest and no Django, so a script can import it before Django is
set up.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SLUG = "icloud-contacts"
GUIDE_PATH = f"/guides/{SLUG}/"
POSTGRES_ADMIN_URL = os.environ.get(
    "HELPDESK_TEST_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)

# Settings that must come from here, never from the caller's environment.
_OWN_PREFIXES = (
    "DJANGO_",
    "HELPDESK_",
    "DATABASE_",
    "REDIS_",
    "GUNICORN_",
    "SQLITE_",
    "WEB_CONCURRENCY",
    "PORT",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production settings (DEBUG off, HTTPS expected from a proxy) for ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            # Not a developer's .env (written by `make run`), which manage.py would read.
            "HELPDESK_ENV_FILE": os.devnull,
        }
    )
    env.update(extra)
    return env


def collect_static(workdir: Path) -> Path:
    """Collect static files as the image build does; returns the folder to serve."""
    root = workdir / "staticfiles"
    manage(
        production_env("sqlite://:memory:", DJANGO_STATIC_ROOT=str(root)),
        "collectstatic",
        "--noinput",
        "--verbosity=0",
    )
    return root


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``manage.py`` with ``env``; return its output, raise with it on failure."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def postgres_reachable(url: str = POSTGRES_ADMIN_URL) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _postgres_url(database: str) -> str:
    parts = urllib.parse.urlsplit(POSTGRES_ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


# Migrated, guide-loaded databases to copy from: one per kind, per process.
_TEMPLATES: dict[str, str] = {}


def _sqlite_template() -> str:
    if "sqlite" not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="helpdesk-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite3"
        manage(production_env(f"sqlite:///{path}"), "prepare_database")
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file
        _TEMPLATES["sqlite"] = str(path)
    return _TEMPLATES["sqlite"]


def _drop_postgres(database: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _postgres_template() -> str:
    import psycopg

    if "postgres" not in _TEMPLATES:
        database = f"helpdesk_template_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        atexit.register(_drop_postgres, database)
        manage(production_env(_postgres_url(database)), "prepare_database")
        _TEMPLATES["postgres"] = database
    return _TEMPLATES["postgres"]


@contextlib.contextmanager
def fresh_database(kind: str, workdir: Path, *, name: str = "helpdesk") -> Iterator[str]:
    """A new, migrated database with the guides loaded; yields its DATABASE_URL.

    ``kind`` is ``sqlite`` (a file in ``workdir``) or ``postgres`` (a database
    created on the local server and dropped afterwards). Each is a copy of one
    database migrated once per process, so only the first costs a migration.
    """
    import psycopg

    if kind == "sqlite":
        path = workdir / f"{name}.sqlite3"
        shutil.copyfile(_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    template = _postgres_template()
    database = f"{name}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    try:
        yield _postgres_url(database)
    finally:
        _drop_postgres(database)


def count_rows(database_url: str, sql: str) -> int:
    """Run a COUNT query straight against the database (not through Django)."""
    if database_url.startswith("sqlite:"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            return int(conn.execute(sql).fetchone()[0])
    import psycopg

    with psycopg.connect(database_url) as conn:
        return int(conn.execute(sql).fetchone()[0])


def step_rows(database_url: str) -> int:
    """Answers plus fix results stored: one row per acknowledged step POST."""
    return count_rows(
        database_url,
        "SELECT (SELECT COUNT(*) FROM diagnostics_answer)"
        " + (SELECT COUNT(*) FROM diagnostics_fixattempt)",
    )


class Gunicorn:
    """gunicorn with gunicorn.conf.py on a free loopback port, as a context manager."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        workers: int = 2,
        app: str = "",
        log_path: Path | None = None,
        extra_args: Sequence[str] = (),
        ready_path: str = "/healthz",
        ready_status: Sequence[int] = (200,),
    ) -> None:
        self.port = free_port()
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
        }
        self.app = app
        self.extra_args = list(extra_args)
        self.log_path = log_path or Path(os.devnull)
        self.ready_path = ready_path
        self.ready_status = tuple(ready_status)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 40) -> None:
        command = [PYTHON, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
        command += [*self.extra_args, *([self.app] if self.app else [])]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()  # closes the log file
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if request(self.base, "GET", self.ready_path).status in self.ready_status:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()
        self.process = None

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- a tiny browser ---------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


def request(
    base: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> Response:
    """One HTTP/1.1 request on a new connection (gunicorn's sync workers close each).

    A connection dropped part-way (a worker killed while answering) raises
    :class:`ConnectionError`, an :class:`OSError`, whether it broke before the
    headers or in the middle of the body (``http.client.IncompleteRead``).
    """
    host, port = base.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        raw = conn.getresponse()
        try:
            data = raw.read()
        except http.client.IncompleteRead as cut:
            raise ConnectionError(f"the connection dropped mid-answer: {cut!r}") from cut
        found: dict[str, str] = {}
        for name, value in raw.getheaders():
            key = name.lower()
            found[key] = f"{found[key]}\n{value}" if key in found else value
        return Response(raw.status, found, data.decode("utf-8", "replace"))
    finally:
        conn.close()


_FIELD = re.compile(r'name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)"')


@dataclass
class Browser:
    """Cookies and CSRF like a browser; says it came through an HTTPS proxy."""

    base: str
    htmx: bool = True
    cookies: dict[str, str] = field(default_factory=dict)
    html: str = ""

    def _headers(self, *, post: bool, htmx: bool) -> dict[str, str]:
        headers = {"Host": self.base, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if post:
            headers["Origin"] = f"https://{self.base}"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    def _keep_cookies(self, response: Response) -> None:
        for line in response.headers.get("set-cookie", "").split("\n"):
            if "=" not in line:
                continue
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", "") or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def get(self, path: str = GUIDE_PATH, *, timeout: float = 15) -> Response:
        response = request(
            self.base, "GET", path, headers=self._headers(post=False, htmx=False), timeout=timeout
        )
        self._keep_cookies(response)
        if response.status == 302:  # a guide's address leads on to the current step's
            return self.get(response.headers["location"], timeout=timeout)
        if response.status == 200:
            self.html = response.body
        return response

    def post(
        self, path: str, fields: dict[str, str], *, htmx: bool | None = None, timeout: float = 15
    ) -> Response:
        htmx = self.htmx if htmx is None else htmx
        body = urllib.parse.urlencode(fields).encode()
        response = request(
            self.base,
            "POST",
            path,
            body=body,
            headers=self._headers(post=True, htmx=htmx),
            timeout=timeout,
        )
        self._keep_cookies(response)
        if response.status == 200:
            self.html = response.body
        elif response.status == 303:
            self.get(response.headers["location"], timeout=timeout)
        return response

    # What the current page or panel shows.
    def fields(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for match in _FIELD.finditer(self.html):
            found.setdefault(match["name"], match["value"])
        return found

    def choices(self) -> list[str]:
        return re.findall(r'name="choice" value="([^"]*)"', self.html)

    def start(self) -> Response:
        self.get()
        form = self.fields()
        fields = {"csrfmiddlewaretoken": form["csrfmiddlewaretoken"], "ticket": form["ticket"]}
        return self.post(f"{GUIDE_PATH}start/", fields)

    def answer(self, choice: str) -> Response:
        form = self.fields()
        return self.post(
            f"{GUIDE_PATH}answer/",
            {
                "csrfmiddlewaretoken": form["csrfmiddlewaretoken"],
                "diagnosis": form["diagnosis"],
                "step": form["step"],
                "choice": choice,
            },
        )


@dataclass(frozen=True)
class Step:
    """One acknowledged step POST: what was answered, and how long it took."""

    diagnosis: str
    step: str
    choice: str
    seconds: float


def pick(rng: Random, step: str, choices: list[str]) -> str:
    """A plausible answer: at fixes mostly "not fixed", so diagnoses run long."""
    if step.startswith("fix:"):
        return rng.choices(["not_fixed", "fixed", "cannot"], weights=[6, 1, 1])[0]
    return rng.choice(choices)


def walk(browser: Browser, rng: Random, *, max_steps: int = 40) -> Iterator[Step]:
    """Answer from wherever the browser's page stands until an outcome.

    Yields each step the server acknowledged (200 panel or 303 redirect).
    Raises :class:`OSError` on a dropped connection and :class:`RuntimeError`
    on any other status, leaving the caller to reload and carry on.
    """
    for _ in range(max_steps):
        choices = browser.choices()
        if not choices:
            return
        form = browser.fields()
        choice = pick(rng, form["step"], choices)
        started = time.perf_counter()
        response = browser.answer(choice)
        elapsed = time.perf_counter() - started
        if response.status not in (200, 303):
            raise RuntimeError(f"step POST answered {response.status}: {response.body[:300]}")
        yield Step(form["diagnosis"], form["step"], choice, elapsed)
    raise RuntimeError(f"no outcome after {max_steps} steps")
