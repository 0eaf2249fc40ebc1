"""``/healthz``: can this web node serve requests right now?

Answered by a middleware at the very top of the stack, so load balancers and
the container HEALTHCHECK reach it over plain HTTP from any address (no host
check, no HTTPS redirect, no session). JSON with status 200 when everything
answers, 503 when anything does not:

* ``database``: ``SELECT 1`` answers. The wait for a connection is capped at
  :data:`DATABASE_WAIT_SECONDS` (:func:`ops.outage.wait_at_most`), and while a
  recent failure marks the database down it is not waited for at all, so the
  probe is answered within about a second whatever the database does.
* ``schema``: the database holds this release's tables. Until it has once
  succeeded in this process, the latest migration of every app must be
  recorded as applied; and on every probe one core table must answer
  (``settings.HELPDESK_HEALTH_MODEL``, one row at most; the site names it, as
  this module knows no app). A database that lost its file, or was
  never migrated, answers ``SELECT 1`` happily but fails every page: this says
  ``"unmigrated"`` instead of ``"ok"``. ``"unknown"`` when the database itself
  did not answer.
* ``cache``: when Redis is configured, a read from it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, HttpResponse, JsonResponse

from ops.outage import wait_at_most

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})
# The longest /healthz waits for a database connection.
DATABASE_WAIT_SECONDS = 1.0

_migrated = False  # set once this process has seen every migration applied


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("healthz: database unavailable: %r", error)
        return "unavailable"
    return "ok"


@functools.cache
def _latest_migrations() -> frozenset[tuple[str, str]]:
    """The newest migration of each app, from the files this release ships."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def check_schema() -> str:
    global _migrated
    try:
        if not _migrated:
            applied = MigrationRecorder(connection).applied_migrations()
            missing = _latest_migrations() - set(applied)
            if missing:
                logger.warning("healthz: migrations not applied: %s", sorted(missing))
                return "unmigrated"
            _migrated = True
        core = getattr(settings, "HELPDESK_HEALTH_MODEL", "")
        if core:
            list(apps.get_model(core).objects.values_list("pk")[:1])
    except DatabaseError as error:
        logger.warning("healthz: schema not usable: %r", error)
        return "unmigrated"
    return "ok"


def check_cache() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.endswith("RedisCache"):
        return "local"  # a per-process cache has nothing to reach
    try:
        caches["default"].get("ops:healthz")
    except Exception as error:
        logger.warning("healthz: cache unavailable: %r", error)
        return "unavailable"
    return "ok"


def health() -> tuple[dict[str, str], int]:
    with wait_at_most(DATABASE_WAIT_SECONDS):
        database = check_database()
        schema = check_schema() if database == "ok" else "unknown"
    checks = {"database": database, "schema": schema, "cache": check_cache()}
    healthy = all(value in {"ok", "local"} for value in checks.values())
    return {"status": "ok" if healthy else "unavailable", **checks}, 200 if healthy else 503


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in HEALTH_PATHS:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response = JsonResponse({"error": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        body, status = health()
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response
