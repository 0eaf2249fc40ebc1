"""Where error pages lead under ``/embed/``: a hook for :mod:`ops.errors`.

An error page made before or instead of a view (a 429, a 503, a 500) must keep
the person inside the iframe, and, since the iframe has no cookies, carry the
token of their diagnosis: otherwise "Try again" would show the start screen.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

from diagnostics.embed.tokens import NAMESPACE, PREFIX, TOKEN_FIELD, session_from_token
from diagnostics.flow.links import guide_links
from ops.errors import PageLinks, posted_field


def embed_page_links(request: HttpRequest) -> PageLinks | None:
    """Links that stay under ``/embed/`` and keep a genuine token; None elsewhere."""
    if not (settings.HELPDESK_EMBED_ORIGINS and request.path_info.startswith(PREFIX)):
        return None
    links = guide_links(request, namespace=NAMESPACE)
    token = posted_field(request, TOKEN_FIELD)
    if links.retry != links.home and session_from_token(token):  # only an unexpired token
        return PageLinks(retry=links.retry + "?" + urlencode({TOKEN_FIELD: token}), home=links.home)
    return links
