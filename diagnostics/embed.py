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
  CSRF-exempt; without a valid token a post can only start a new diagnosis;
* responses may be framed only by the origins in ``HELPDESK_EMBED_ORIGINS``
  (``Content-Security-Policy: frame-ancestors``); with none configured,
  embedding is switched off and ``/embed/`` answers 404.

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
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt

from diagnostics.services import HISTORY_KEY, SESSION_KEY

NAMESPACE = "embed"
TOKEN_FIELD = "d"  # noqa: S105 (a form field name, not a secret)
_SALT = "diagnostics.embed"


class TokenSession(dict):
    """Stands in for ``request.session`` in embedded views.

    It has no ``modified``/``accessed`` attributes, so the session middleware
    leaves it alone and no session cookie is ever set.
    """

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


def embedded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for ``/embed/``: identified by token instead of cookie, framable."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.HELPDESK_EMBED_ORIGINS:
            raise Http404("Embedding is not enabled.")
        data = request.POST if request.method == "POST" else request.GET
        request.session = session_from_token(data.get(TOKEN_FIELD, ""))
        framed = csp_override(frame_policy())(xframe_options_exempt(view))
        response = framed(request, *args, **kwargs)
        token = request.session.token()
        if token and response.status_code in (301, 302, 303):
            response["Location"] += "?" + urlencode({TOKEN_FIELD: token})
        return response

    return csrf_exempt(wrapper)


def embed_token(request: HttpRequest) -> dict[str, Any]:
    """Template context: whether the page is embedded, and the token it must carry.

    Embedded pages leave out ``{% csrf_token %}``, which would set a cookie.
    """
    session = getattr(request, "session", None)
    embedded = isinstance(session, TokenSession)
    return {"embedded": embedded, "embed_token": session.token() if embedded else ""}
