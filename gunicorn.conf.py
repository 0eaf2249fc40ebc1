"""Gunicorn settings for the help desk (``gunicorn -c gunicorn.conf.py``).

Sync workers: each serves one request at a time, which suits short requests to
a database. By default ``2 × CPUs + 1`` of them (gunicorn's own advice), where
CPUs are the ones this process may use (a container's CPU set, not the host's).
Every value can be overridden from the environment, see docs/configuration.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, not {raw!r}")
    return value


wsgi_app = "helpdesk.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"]
worker_class = "sync"
workers = _int("WEB_CONCURRENCY", 2 * _cpus() + 1)
# A request that takes longer than this is stuck: the worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycle workers now and then, so a slow leak can never take a node down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max(max_requests // 10, 1)
# Heartbeat files in memory, not on a possibly slow container filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Proxies allowed to set X-Forwarded-Proto/-For (comma-separated addresses).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Access logs hold client addresses; they are off unless asked for ("-" is stdout).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# No runtime control socket (gunicornc): nothing uses it, and it would be written
# under $HOME, which the image keeps read-only.
control_socket_disable = True
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def on_starting(server: Any) -> None:
    """Stop before any worker starts if the settings cannot load, with their one-line error.

    Otherwise every worker would fail the same way and gunicorn would keep starting
    new ones. The settings are loaded in a short-lived child process, so this
    master imports no Django and each worker still reads the settings itself.
    """
    check = subprocess.run(
        [sys.executable, "-c", "from helpdesk.env import start_up; start_up(web=True)"],
        cwd=server.cfg.chdir,
        check=False,
    )
    if check.returncode:
        raise SystemExit(check.returncode)
