"""Per-client rate limits on POST requests.

Every POST (starting, answering, going back, starting over, the admin login)
counts against one allowance per client: ``HELPDESK_RATE_LIMIT_POSTS`` in any
``HELPDESK_RATE_LIMIT_WINDOW`` seconds. Past it the client gets a friendly 429
page (the step panel alone for htmx) and nothing is changed.

**A sliding window.** Posts are counted per fixed window, but the verdict
weighs the previous window's count by how much of it still overlaps the last
``WINDOW`` seconds: ``previous × (1 − elapsed share) + current``. A fixed window
let a client spend its allowance at the end of one window and again at the
start of the next (about twice the limit in a few seconds); the weighted
estimate allows about the limit in any window-long stretch, for the price of
one more counter read.

Counters are shared by every worker and every web node:

* ``cache`` backend (the default with ``REDIS_URL``): Redis ``INCR`` of this
  window's key and a read of the previous one, through Django's cache;
* ``database`` backend (the default otherwise): one statement per POST, an
  atomic upsert into :class:`ops.models.RateLimitCounter` that also returns the
  previous window's count; it works on SQLite and PostgreSQL.

**Refusals are cheap.** Once a client is over the limit, this process notes it
(in memory, keyed by the client's hashed bucket) until its retry time; further
posts from it are refused without touching the database or Redis. Refusals are
logged as one WARNING line per client per window, with a count and the first
characters of the hashed bucket, never an address.

**The client** is the connecting address, unless that address is one of the
``HELPDESK_TRUSTED_PROXIES`` networks: then ``X-Forwarded-For`` is read from the
right, skipping the entries that trusted proxies appended, and the first
address no trusted proxy vouches for is the client. Entries left of it could
be made up by anyone. For IPv6 the client is its /64 network. Only a keyed
hash of it is stored.

If the cache is unreachable the request is let through (and logged): the
limit is a guard against abuse, not a reason to turn people away.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
MAX_NOTES = 10_000  # clients noted as over the limit, per process, at most


def now() -> float:
    """The clock windows are counted by (a function, so tests can set it)."""
    return time.time()


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: float  # the sliding-window estimate of posts in the last window, this one included
    limit: int
    retry_after: int  # seconds until the client's next post would be allowed


# --- who the client is ------------------------------------------------------------------


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``value`` ("198.51.100.1", "198.51.100.1:443", "[2001:db8::1]:443")."""
    host = value.strip()
    if host.startswith("["):  # "[2001:db8::1]:443", as some proxies forward it
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:  # "198.51.100.1:443"
        host = host.partition(":")[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # ::ffff:198.51.100.1 is an IPv4 client
    return ip


def _trusted(value: str) -> bool:
    ip = _ip(value)
    return ip is not None and any(ip in net for net in settings.HELPDESK_TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> str:
    """The address to count against.

    ``X-Forwarded-For`` counts only when the connecting address is a trusted
    proxy. Then its entries are read from the right, each appended by the hop
    before it: while that entry is itself a trusted proxy, the one to its left
    was vouched for too; the first entry that is not is the client. When every
    entry is trusted, the leftmost is.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not settings.HELPDESK_TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote


def _client_key(address: str) -> str:
    """What one client is: an IPv4 address, or an IPv6 /64.

    One IPv6 home or phone network gets a whole /64 and may use any address in
    it, so counting single IPv6 addresses would let anyone step round the limit.
    """
    ip = _ip(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_digest(address: str) -> str:
    """A keyed hash of the client: what is stored and logged instead of its address."""
    return salted_hmac("ops.ratelimit", _client_key(address), algorithm="sha256").hexdigest()[:32]


def client_network(request: HttpRequest) -> str:
    """The keyed hash of this request's client network (its IPv4 address, or IPv6 /64).

    For counting per client elsewhere (the learned ranking's daily evidence
    quota) without storing an address.
    """
    return client_digest(client_address(request))


def bucket_for(address: str, window_index: int) -> str:
    return _bucket(client_digest(address), window_index)


def _bucket(digest: str, window_index: int) -> str:
    return f"post:{window_index}:{digest}"


# --- counting ---------------------------------------------------------------------------


def _hit_database(bucket: str, previous: str, expires: int) -> tuple[int, int]:
    """Count one hit in ``bucket`` and read ``previous``, in one atomic statement."""
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 "
            f"RETURNING count, (SELECT p.count FROM {table} p WHERE p.bucket = %s)",
            [bucket, expires, previous],
        )
        count, before = cursor.fetchone()
        if random.random() < PRUNE_CHANCE:  # noqa: S311 (not security-sensitive)
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [int(now())])  # noqa: S608
    return int(count), int(before or 0)


def _hit_cache(bucket: str, previous: str, expires: int) -> tuple[int, int]:
    cache = caches["default"]
    timeout = max(expires - int(now()), 1) + 1
    count = 1
    for _ in range(3):
        try:
            count = int(cache.incr(bucket))
            break
        except ValueError:  # no such key yet: this is the window's first hit
            if cache.add(bucket, 1, timeout=timeout):
                break
    return count, int(cache.get(previous) or 0)


# Each counts one hit in a window's bucket and reads the previous window's count.
BACKENDS: dict[str, Callable[[str, str, int], tuple[int, int]]] = {
    "database": _hit_database,
    "cache": _hit_cache,
}


def _seconds_until_allowed(
    current: int, previous: int, limit: int, window: int, elapsed: float
) -> float:
    """How long until one more post would fit, if none is counted meanwhile."""
    # Later in this window: previous × (1 − share) + current + 1 ≤ limit.
    if previous and current + 1 <= limit:
        share = 1 - (limit - current - 1) / previous
        if share * window < window:
            return max(share * window - elapsed, 0.0)
    # In the next window, where this window's count is the one weighed.
    share = max(1 - (limit - 1) / current, 0.0) if current else 0.0
    return window - elapsed + share * window


def hit(request: HttpRequest, *, digest: str | None = None) -> Verdict:
    """Count this request against its client's allowance."""
    limit = settings.HELPDESK_RATE_LIMIT_POSTS
    window = settings.HELPDESK_RATE_LIMIT_WINDOW
    moment = now()
    index = int(moment // window)
    elapsed = moment - index * window
    digest = digest or client_digest(client_address(request))
    current, previous = BACKENDS[settings.HELPDESK_RATE_LIMIT_BACKEND](
        _bucket(digest, index),
        _bucket(digest, index - 1),
        (index + 2) * window,  # read again as "previous" all through the next window
    )
    estimate = previous * (1 - elapsed / window) + current
    wait = _seconds_until_allowed(current, previous, limit, window, elapsed)
    return Verdict(
        allowed=estimate <= limit,
        count=estimate,
        limit=limit,
        retry_after=max(math.ceil(wait), 1),
    )


# --- refusing without counting ------------------------------------------------------------


@dataclass
class _Note:
    until: float  # refuse without counting until then (the client's retry time)
    refused: int = 0  # refusals not yet logged
    logged_at: float = field(default=0.0)


class RefusalNotes:
    """Clients this process knows to be over the limit, and refusals not yet logged.

    In memory, per process, bounded (:data:`MAX_NOTES`): a note saves the
    database or Redis a write for every post a flooding client sends until its
    retry time. Logging is aggregated: the first refusal of a client is logged at
    once, later ones as a count at most once per window (and when the note
    expires), so a flood costs a line a minute, not a line a post.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: dict[str, _Note] = {}
        self._pruned_at = 0.0

    def refused_until(self, digest: str, moment: float) -> float | None:
        """If ``digest`` is noted as over the limit at ``moment``, count a refusal."""
        with self._lock:
            note = self._notes.get(digest)
            if note is None or moment >= note.until:
                return None
            note.refused += 1
            self._maybe_log(digest, note, moment)
            return note.until

    def note(self, digest: str, until: float, moment: float, count: float) -> None:
        """Remember that ``digest`` is refused until ``until``; log a first refusal."""
        with self._lock:
            note = self._notes.get(digest)
            if note is None:
                if len(self._notes) >= MAX_NOTES:
                    self._prune(moment, everything=True)
                note = self._notes[digest] = _Note(until=until)
            note.until = until
            note.refused += 1
            if not note.logged_at:
                self._log(digest, note, moment, f" ({count:.0f} posts in the last window)")

    def prune(self, moment: float) -> None:
        """Now and then: log what expired notes still hold, and forget them."""
        if 0 <= moment - self._pruned_at < 1:  # (a clock set back prunes at once)
            return
        with self._lock:
            self._pruned_at = moment
            self._prune(moment)

    def clear(self) -> None:
        with self._lock:
            self._notes.clear()
            self._pruned_at = 0.0

    def _prune(self, moment: float, *, everything: bool = False) -> None:
        for digest, note in list(self._notes.items()):
            if everything or moment >= note.until:
                if note.refused:
                    self._log(digest, note, moment)
                del self._notes[digest]

    def _maybe_log(self, digest: str, note: _Note, moment: float) -> None:
        if moment - note.logged_at >= settings.HELPDESK_RATE_LIMIT_WINDOW:
            self._log(digest, note, moment)

    @staticmethod
    def _log(digest: str, note: _Note, moment: float, detail: str = "") -> None:
        logger.warning(
            "rate limit: client %s refused %d post%s%s; limit %d per %d s",
            digest[:8],
            note.refused,
            "" if note.refused == 1 else "s",
            detail,
            settings.HELPDESK_RATE_LIMIT_POSTS,
            settings.HELPDESK_RATE_LIMIT_WINDOW,
        )
        note.refused = 0
        note.logged_at = moment


notes = RefusalNotes()


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
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        moment = now()
        notes.prune(moment)
        digest = client_digest(client_address(request))
        until = notes.refused_until(digest, moment)
        if until is not None:  # known to be over the limit: no query, no count
            verdict = Verdict(
                allowed=False,
                count=math.nan,
                limit=settings.HELPDESK_RATE_LIMIT_POSTS,
                retry_after=max(math.ceil(until - moment), 1),
            )
            return self._refuse(request, verdict)
        try:
            verdict = hit(request, digest=digest)
        except Exception as error:
            if settings.HELPDESK_RATE_LIMIT_BACKEND != "cache":
                raise  # the database is down: the outage page says so
            logger.warning("rate limit not checked, cache unavailable: %r", error)
            return self.get_response(request)
        if verdict.allowed:
            return self.get_response(request)
        notes.note(digest, moment + verdict.retry_after, moment, verdict.count)
        return self._refuse(request, verdict)

    @staticmethod
    def _refuse(request: HttpRequest, verdict: Verdict) -> HttpResponse:
        response = too_many_requests(request, verdict)
        # Logged above, aggregated; not once more per post by django.request.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
