"""Per-client rate limits on POST requests.

Every POST (starting, answering, going back, starting over, the admin login)
counts against one allowance per client: ``HELPDESK_RATE_LIMIT_POSTS`` in each
fixed window of ``HELPDESK_RATE_LIMIT_WINDOW`` seconds. Past it the client gets
a friendly 429 page (the step panel alone for htmx) and nothing is changed.

Counters are shared by every worker and every web node:

* ``cache`` backend (the default with ``REDIS_URL``): Redis ``INCR`` through
  Django's cache, atomic and expiring by itself;
* ``database`` backend (the default otherwise): one atomic upsert per POST into
  :class:`ops.models.RateLimitCounter`, which works on SQLite and PostgreSQL.

The client is the connecting address, or with ``HELPDESK_PROXY_COUNT`` proxies
in front, the address the outermost of them saw; for IPv6, its /64 network.
Only a keyed hash of it is stored. If the cache is unreachable the request is
let through (and logged): the limit is a guard against abuse, not a reason to
turn people away.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from ops.errors import page_links, retry_url
from ops.models import RateLimitCounter
from ops.pages import render_page

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PRUNE_CHANCE = 0.01  # share of database hits that also delete expired windows


def now() -> float:
    """The clock windows are counted by (a function, so tests can set it)."""
    return time.time()


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends


def client_address(request: HttpRequest) -> str:
    """The address to count against, honouring ``HELPDESK_PROXY_COUNT`` proxies."""
    proxies = settings.HELPDESK_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.headers.get("X-Forwarded-For", "").split(",")
            if part.strip()
        ]
        if forwarded:
            # Each proxy appends the address it saw; the outermost trusted proxy's
            # entry is the client. Entries left of it could be made up by anyone.
            return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _client_key(address: str) -> str:
    """What one client is: an IPv4 address, or an IPv6 /64.

    One IPv6 home or phone network gets a whole /64 and may use any address in
    it, so counting single IPv6 addresses would let anyone step round the limit.
    """
    host = address.strip()
    if host.startswith("["):  # "[2001:db8::1]:443", as some proxies forward it
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:  # "198.51.100.1:443"
        host = host.partition(":")[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:198.51.100.1 is an IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_network(request: HttpRequest) -> str:
    """A keyed hash naming the client's network (its IPv4 address, or its IPv6 /64).

    For counting per client elsewhere (the learned ranking's daily evidence
    quota) without storing an address: the key is the site's secret, so the
    hash cannot be turned back into an address by trying them all.
    """
    key = _client_key(client_address(request))
    return salted_hmac("ops.ratelimit.network", key, algorithm="sha256").hexdigest()[:32]


def bucket_for(address: str, window_index: int) -> str:
    key = _client_key(address)
    digest = salted_hmac("ops.ratelimit", key, algorithm="sha256").hexdigest()[:32]
    return f"post:{window_index}:{digest}"


def _hit_database(bucket: str, expires: int) -> int:
    """Count one hit in ``bucket`` with a single atomic statement; return the new count."""
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 "
            "RETURNING count",
            [bucket, expires],
        )
        count = cursor.fetchone()[0]
        if random.random() < PRUNE_CHANCE:  # noqa: S311 (not security-sensitive)
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [int(now())])  # noqa: S608
    return int(count)


def _hit_cache(bucket: str, expires: int) -> int:
    cache = caches["default"]
    timeout = max(expires - int(now()), 1) + 1
    for _ in range(3):
        try:
            return int(cache.incr(bucket))
        except ValueError:  # no such key yet: this is the window's first hit
            if cache.add(bucket, 1, timeout=timeout):
                return 1
    return 1  # pragma: no cover - the key kept vanishing between add and incr


BACKENDS: dict[str, Callable[[str, int], int]] = {
    "database": _hit_database,
    "cache": _hit_cache,
}


def hit(request: HttpRequest) -> Verdict:
    """Count this request against its client's allowance."""
    limit = settings.HELPDESK_RATE_LIMIT_POSTS
    window = settings.HELPDESK_RATE_LIMIT_WINDOW
    moment = now()
    index = int(moment // window)
    expires = (index + 1) * window
    count = BACKENDS[settings.HELPDESK_RATE_LIMIT_BACKEND](
        bucket_for(client_address(request), index), expires
    )
    return Verdict(
        allowed=count <= limit,
        count=count,
        limit=limit,
        retry_after=max(int(expires - moment), 1),
    )


def too_many_requests(request: HttpRequest, verdict: Verdict) -> HttpResponse:
    """The friendly 429 page; htmx requests get only its step panel."""
    context = {
        "retry_url": retry_url(request),
        "home_url": page_links(request).home,
        "retry_after": verdict.retry_after,
    }
    response = render_page(request, "429.html", context, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    response["Cache-Control"] = "no-store"
    return response


class RateLimitMiddleware:
    """Refuse a client's POSTs beyond its allowance, before any other work."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            try:
                verdict = hit(request)
            except Exception as error:
                if settings.HELPDESK_RATE_LIMIT_BACKEND != "cache":
                    raise  # the database is down: the outage page says so
                logger.warning("rate limit not checked, cache unavailable: %r", error)
            else:
                if not verdict.allowed:
                    logger.warning(
                        "rate limit: %s %s refused (%d posts in window, limit %d)",
                        request.method,
                        request.path,
                        verdict.count,
                        verdict.limit,
                    )
                    return too_many_requests(request, verdict)
        return self.get_response(request)
