"""``/healthz``: can this web node serve requests right now?

Answered by a middleware at the very top of the stack, so load balancers and
the container HEALTHCHECK reach it over plain HTTP from any address (no host
check, no HTTPS redirect, no session). It runs ``SELECT 1`` on the database
and, when Redis is configured, reads from the cache; JSON with status 200
when both answer, 503 when either does not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("healthz: database unavailable: %r", error)
        return "unavailable"
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
    checks = {"database": check_database(), "cache": check_cache()}
    healthy = "unavailable" not in checks.values()
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
