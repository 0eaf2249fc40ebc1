"""Which sites may show the help desk in an iframe, and which one a request is framed by.

The allowed origins are ``HELPDESK_EMBED_ORIGINS`` merged with the active
:class:`~diagnostics.models.EmbedSite` rows. The rows are read at most once
every :data:`CACHE_SECONDS` per process, so a change in the admin reaches every
worker within that time (the worker that saved it forgets at once). When the
database cannot be read, the last list read is kept, so ``/embed/`` error pages
during an outage still carry ``frame-ancestors``.

The embed snippet names the page it stands on (``?site=<its origin>``, carried
on every link and form inside the frame). A named site is never taken on trust:
it must be on the allowed list, and ``frame-ancestors`` then names that origin
alone, so the browser refuses to show the frame anywhere else. Only then is it
recorded on the diagnosis, sent ``postMessage`` events, and themed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.urls import reverse

from diagnostics.embed import theme
from diagnostics.embed.tokens import NAMESPACE
from diagnostics.models import EmbedSite
from helpdesk.env import parse_origin
from ops.errors import posted_field

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30
SITE_FIELD = "site"  # the query parameter and form field naming the embedding page's origin


@dataclass(frozen=True)
class Site:
    """An allowed embedder. ``pk`` is None for one known only from the environment."""

    origin: str
    pk: int | None = None
    accent: str = ""
    scheme: str = EmbedSite.Scheme.AUTO

    @property
    def themed(self) -> bool:
        return self.pk is not None and bool(self.accent or self.scheme != EmbedSite.Scheme.AUTO)

    def theme_url(self) -> str:
        """The address of this site's stylesheet (its fingerprint changes with the theme)."""
        url = reverse(f"{NAMESPACE}:theme", args=[self.pk])
        return f"{url}?v={theme.theme_version(self.accent, self.scheme)}"


@dataclass(frozen=True)
class Frame:
    """How a request under ``/embed/`` may be framed, and by whom."""

    ancestors: tuple[str, ...]  # for frame-ancestors
    site: Site | None = None  # the named embedder, when it is allowed
    refused: bool = False  # a site was named that is not (or no longer) allowed

    @property
    def origin(self) -> str:
        """The embedding page's origin, to address messages to; '' when unknown."""
        return self.site.origin if self.site else ""


_lock = threading.Lock()
_rows: dict[str, Site] = {}  # active EmbedSites by origin: the last list read
_read_at: float | None = None


def forget() -> None:
    """Read the sites afresh next time (after an admin change, and between tests)."""
    global _read_at
    with _lock:
        _read_at = None


def _site_rows() -> dict[str, Site]:
    global _rows, _read_at
    now = time.monotonic()
    with _lock:
        if _read_at is not None and now - _read_at < CACHE_SECONDS:
            return _rows
        _read_at = now  # after a failure too: an outage is not asked about on every request
    try:
        rows = {
            site.origin: Site(
                origin=site.origin, pk=site.pk, accent=site.accent, scheme=site.scheme
            )
            for site in EmbedSite.objects.filter(active=True).only(
                "pk", "origin", "accent", "scheme"
            )
        }
    except DatabaseError:
        logger.warning("embedding sites could not be read; using the last list read")
        return _rows
    with _lock:
        _rows = rows
    return rows


def allowed_sites() -> dict[str, Site]:
    """Every origin allowed to embed, environment first; empty when embedding is off."""
    allowed = {origin: Site(origin=origin) for origin in settings.HELPDESK_EMBED_ORIGINS}
    allowed.update(_site_rows())  # a row adds its theme and its place in the reports
    return allowed


def named_origin(request: HttpRequest) -> str | None:
    """The origin the request names as its embedding page; '' if garbled, None if none."""
    raw = posted_field(request, SITE_FIELD) if request.method == "POST" else ""
    raw = raw or request.GET.get(SITE_FIELD, "")
    if not raw:
        return None
    try:
        return parse_origin(raw)
    except ValueError:
        return ""


def frame_for(request: HttpRequest) -> Frame | None:
    """How this request under ``/embed/`` may be framed; None when embedding is off."""
    allowed = allowed_sites()
    if not allowed:
        return None
    named = named_origin(request)
    if named is None:  # a plain iframe: any allowed site, nothing recorded or sent
        return Frame(ancestors=tuple(allowed))
    site = allowed.get(named)
    if site is None:
        return Frame(ancestors=("'none'",), refused=True)
    return Frame(ancestors=(site.origin,), site=site)


def request_frame(request: HttpRequest) -> Frame | None:
    """The frame the middleware worked out for this request (or works it out now)."""
    if not hasattr(request, "embed_frame"):
        request.embed_frame = frame_for(request)
    return request.embed_frame


def embed_frame(request: HttpRequest) -> dict[str, str]:
    """Template context: the embedding page's origin (carried on links and forms,
    and the only origin messages go to), and its theme's stylesheet and scheme."""
    frame = getattr(request, "embed_frame", None)
    site = frame.site if frame is not None else None
    if site is None:
        return {"embed_origin": "", "embed_theme_url": "", "embed_scheme": ""}
    return {
        "embed_origin": site.origin,
        "embed_theme_url": site.theme_url() if site.themed else "",
        "embed_scheme": site.scheme if site.pk is not None else "",
    }
