"""Posts under ``/embed/`` must come from the embed itself, not from the page around it.

Embedded views are exempt from CSRF (a cross-site iframe gets no cookies), and
``frame-ancestors`` only stops other sites from *showing* the embed, not from
*posting* to it: without this check, any page on the internet could make its
visitors' browsers open diagnoses (a ``fetch`` with ``mode: "no-cors"``, an
auto-submitted form). So a post is taken only when the browser says it was sent
by a page of this very site:

* ``Sec-Fetch-Site: same-origin``, when the browser sends Fetch metadata (every
  current one does). Any other value is refused: ``cross-site``, ``none``, and
  ``same-site`` too (a sibling subdomain, such as an embedder on
  ``www.example.org`` next to ``help.example.org``, is another origin);
* otherwise an ``Origin`` naming this site, compared as Django's CSRF check does:
  the request's own scheme and host (``request.is_secure()`` honours
  ``SECURE_PROXY_SSL_HEADER``, ``request.get_host()`` checks ``ALLOWED_HOSTS``),
  or one of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` for subdomains).
  ``Origin: null`` (a sandboxed frame, a privacy redirect) is refused;
* with neither header (a browser from before 2020, curl, a script), a post
  that would open a diagnosis (Start, Start over) is refused. Answer and Back
  go on: without the signed token of a diagnosis they change nothing anyway.

A refused post gets a 403 page inside the frame and changes nothing; it makes
no query at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain

from diagnostics.flow.errors import FlowError

# The embedded views whose post opens a new diagnosis (names in diagnostics/flow/urls.py).
OPENING_VIEWS = frozenset({"start", "restart"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CrossSitePost(FlowError):
    status = 403
    title = "This came from another website"
    help = (
        "The help desk only takes answers sent from its own pages, and this request "
        "came from somewhere else, so nothing was changed. If you were using the help "
        "desk, go back to your guide and try again."
    )


def own_origin(request: HttpRequest) -> str | None:
    """This site's origin as the browser sees it (``https://help.example.org``), if known."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'https' if request.is_secure() else 'http'}://{host}"


def is_trusted_origin(origin: str) -> bool:
    """Whether ``origin`` is one of ``CSRF_TRUSTED_ORIGINS`` (wildcard subdomains included)."""
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    wildcards = [urlsplit(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS if "*" in trusted]
    return any(
        allowed.scheme == parts.scheme and is_same_domain(parts.netloc, allowed.netloc.lstrip("*"))
        for allowed in wildcards
    )


def sent_from_this_site(request: HttpRequest) -> bool | None:
    """True or False as the browser's headers tell; None when it sent neither header."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    return origin != "null" and (origin == own_origin(request) or is_trusted_origin(origin))


def check_post(request: HttpRequest) -> None:
    """Raise :class:`CrossSitePost` for a post to ``/embed/`` that the embed did not send."""
    if request.method in SAFE_METHODS:
        return
    verdict = sent_from_this_site(request)
    if verdict is False:
        raise CrossSitePost
    if verdict is None:
        match = request.resolver_match
        if match is None or match.url_name in OPENING_VIEWS:
            raise CrossSitePost
