"""The local PostgreSQL and Redis that some tests need, and how to skip without them.

Outside CI a missing server skips those tests with the reason; under CI=true it
fails them, since CI's machine runs both servers.
"""

from __future__ import annotations

import os
import socket

import pytest
from django.conf import settings

from tests import servers

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def under_ci() -> bool:
    """CI sets ``CI=true``; ``1`` and ``yes`` count too (the Makefile agrees)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing(what: str) -> None:
    if under_ci():
        pytest.fail(f"{what} must be running in CI")
    pytest.skip(f"{what} is not running here (these tests run in CI)")


def redis_available() -> bool:
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError:
        return False
    return True


def needs_redis() -> None:
    if not redis_available():
        _missing(f"Redis at {REDIS_HOST}:{REDIS_PORT}")


def needs_postgres() -> None:
    if not servers.postgres_reachable():
        _missing(f"PostgreSQL at {servers.POSTGRES_ADMIN_URL}")


def redis_url(db: int = 15) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


def redis_cache(location: str, *, prefix: str = "helpdesk-tests") -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def suite_database() -> str:
    """The kind of database this run of the suite is on: ``sqlite`` or ``postgres``."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgres" if engine.endswith("postgresql") else "sqlite"
