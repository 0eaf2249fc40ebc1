"""The embed's token: a signed capability for the diagnoses of one iframe."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from diagnostics.flow.ownership import HISTORY_KEY, SESSION_KEY

NAMESPACE = "embed"
PREFIX = f"/{NAMESPACE}/"  # where helpdesk/urls.py mounts diagnostics/embed/urls.py
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
    cookieless = True  # no cookie to carry a flash message (diagnostics.flow.views)
    # The staff-managed site whose page frames this iframe, once checked against
    # the allowed list (diagnostics.embed.sites); recorded on diagnoses it opens.
    embed_site_id: int | None = None

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


def embed_token(request: HttpRequest) -> dict[str, Any]:
    """Template context: whether the page is embedded, and the token it must carry.

    Embedded pages leave out ``{% csrf_token %}``, which would set a cookie.
    """
    session = getattr(request, "session", None)
    embedded = isinstance(session, TokenSession)
    return {"embedded": embedded, "embed_token": session.token() if embedded else ""}
