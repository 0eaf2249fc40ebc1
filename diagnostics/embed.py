"""The flow inside another site's iframe, where third-party cookies are blocked.

A cross-site iframe usually gets no cookies at all, so neither the session nor
Django's CSRF cookie can work there. Embedded pages therefore carry the
diagnosis in a signed token (``?d=...`` on pages, a hidden ``d`` field in
forms) instead of the session:

* :func:`embedded` wraps each view for ``/embed/`` and swaps
  ``request.session`` for a :class:`TokenSession` built from that token, so
  the views and services run unchanged;
* the token is a signed, unguessable capability for one diagnosis, which is
  what CSRF protection would otherwise provide, so embedded views are
  CSRF-exempt; without a valid token a post can only start a diagnosis (a
  Start posted twice joins the untouched one it opened, see
  :func:`diagnostics.services.start_ticket`);
* every response under ``/embed/`` may be framed only by the origins in
  ``HELPDESK_EMBED_ORIGINS`` (``Content-Security-Policy: frame-ancestors``),
  error pages made outside the views (404, 429, 503) included, and its links
  stay under ``/embed/`` (:class:`EmbedFramingMiddleware`); with no origins
  configured, embedding is switched off and ``/embed/`` answers 404.

``/embed/`` is a second instance of the ``diagnostics`` app namespace
(``diagnostics/embed_urls.py``), so ``{% url 'diagnostics:...' %}`` in templates
points at the embedded URLs automatically.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from diagnostics.services import HISTORY_KEY, SESSION_KEY

NAMESPACE = "embed"
PREFIX = f"/{NAMESPACE}/"  # where helpdesk/urls.py mounts diagnostics/embed_urls.py
TOKEN_FIELD = "d"  # noqa: S105 (a form field name, not a secret)
_SALT = "diagnostics.embed"


class TokenSession(dict):
    """Stands in for ``request.session`` in embedded views.

    It has no ``modified``/``accessed`` attributes, so the session middleware
    leaves it alone and no session cookie is ever set.

    A token lives on in the iframe's history after Start over. Unlike a
    session, which moves on, an old token still names the diagnosis that was
    left, so that one is not resumed (``resumes_started_over``): the person is
    told to start again rather than reviving it. A diagnosis only marked
    abandoned for being idle is resumed as usual.
    """

    resumes_started_over = False

    def token(self) -> str:
        """A signed token for the diagnoses this "session" holds, or ''."""
        diagnoses = self.get(SESSION_KEY, {})
        return signing.dumps(diagnoses, salt=_SALT, compress=True) if diagnoses else ""


def session_from_token(token: str) -> TokenSession:
    """Rebuild the stand-in session; a missing or forged token gives an empty one."""
    session = TokenSession()
    if not token:
        return session
    try:
        diagnoses = signing.loads(token, salt=_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature:
        return session
    if isinstance(diagnoses, dict) and all(isinstance(v, str) for v in diagnoses.values()):
        session[SESSION_KEY] = diagnoses
        session[HISTORY_KEY] = list(diagnoses.values())
    return session


def frame_policy() -> dict[str, Any]:
    """The site's CSP with ``frame-ancestors`` opened to the configured embedders."""
    return {**settings.SECURE_CSP, "frame-ancestors": list(settings.HELPDESK_EMBED_ORIGINS)}


class EmbedFramingMiddleware:
    """Let the configured embedders frame everything under ``/embed/``.

    Pages, and also what is answered before or instead of a view: the 404 for
    an unknown guide, the 429 of the rate limit, the 503 of an outage. Without
    this they would carry ``X-Frame-Options: DENY`` and leave a blank iframe.
    Links on those pages stay embedded too (``request.current_app``). Sits
    just inside the CSP middleware, so its response pass runs after the
    X-Frame-Options middleware and before the CSP header is written.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        framed = bool(settings.HELPDESK_EMBED_ORIGINS) and request.path_info.startswith(PREFIX)
        if framed:
            request.current_app = NAMESPACE
        response = self.get_response(request)
        if framed:
            setattr(response, "_csp_config", frame_policy())  # noqa: B010 (what @csp_override sets)
            if response.has_header("X-Frame-Options"):
                del response["X-Frame-Options"]
        return response


def embedded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for ``/embed/``: identified by token instead of cookie."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.HELPDESK_EMBED_ORIGINS:
            raise Http404("Embedding is not enabled.")
        data = request.POST if request.method == "POST" else request.GET
        request.session = session_from_token(data.get(TOKEN_FIELD, ""))
        response = view(request, *args, **kwargs)
        token = request.session.token()
        if not token:
            return response
        query = "?" + urlencode({TOKEN_FIELD: token})
        if response.status_code in (301, 302, 303):
            response["Location"] += query
        elif request.headers.get("HX-Request") == "true" and "slug" in kwargs:
            # htmx swapped a step in place: put the token in the frame's own
            # address too, so reloading the iframe comes back to this step.
            page = reverse("diagnostics:guide", args=[kwargs["slug"]], current_app=NAMESPACE)
            response["HX-Replace-Url"] = page + query
        return response

    return csrf_exempt(wrapper)


def embed_token(request: HttpRequest) -> dict[str, Any]:
    """Template context: whether the page is embedded, and the token it must carry.

    Embedded pages leave out ``{% csrf_token %}``, which would set a cookie.
    """
    session = getattr(request, "session", None)
    embedded = isinstance(session, TokenSession)
    return {"embedded": embedded, "embed_token": session.token() if embedded else ""}
