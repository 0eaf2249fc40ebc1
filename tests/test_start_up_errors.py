"""A missing or bad setting stops start-up with one line naming the variable.

No traceback: `error: <what is wrong>` on stderr and exit status 1, from
manage.py, from importing the WSGI or ASGI application, and from gunicorn
before it starts any worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MISSING_KEY = "error: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.\n"
BAD_LOG_LEVEL = (
    "error: LOG_LEVEL must be one of debug, info, warning, warn, error, critical, not 'verbose'.\n"
)


def clean_env(**variables: str) -> dict[str, str]:
    """The machine's environment without our settings or an env file, plus ``variables``."""
    ours = ("DJANGO_", "HELPDESK_", "DATABASE_", "REDIS_", "SQLITE_", "SESSION_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return {**env, "HELPDESK_ENV_FILE": os.devnull, **variables}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


STARTS = {
    "manage.py": ["manage.py", "check"],
    "wsgi": ["-c", "import helpdesk.wsgi"],
    "asgi": ["-c", "import helpdesk.asgi"],
}


@pytest.mark.parametrize("start", STARTS.values(), ids=STARTS.keys())
def test_a_missing_secret_key_is_one_line(start: list[str]) -> None:
    result = run(start, clean_env())
    assert result.returncode == 1
    assert result.stderr == MISSING_KEY


@pytest.mark.parametrize("start", STARTS.values(), ids=STARTS.keys())
def test_a_bad_log_level_is_one_line(start: list[str]) -> None:
    result = run(start, clean_env(DJANGO_SECRET_KEY="a-key", LOG_LEVEL="verbose"))
    assert result.returncode == 1
    assert result.stderr == BAD_LOG_LEVEL


def test_every_manage_py_command_stops_the_same_way() -> None:
    result = run(["manage.py", "createsuperuser", "--noinput"], clean_env(DJANGO_DEBUG="maybe"))
    assert result.returncode == 1
    assert result.stderr == "error: DJANGO_DEBUG must be true or false, not 'maybe'.\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_stops_before_starting_workers_with_the_line() -> None:
    """Not a worker failing over and over: the master stops with the one line."""
    env = clean_env(PORT=str(free_port()), WEB_CONCURRENCY="2", LOG_LEVEL="verbose")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    result = subprocess.run(
        [gunicorn, "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**env, "DJANGO_SECRET_KEY": "a-key"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert BAD_LOG_LEVEL in result.stderr
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stderr
