"""Where error pages lead under ``/embed/``: a hook for :mod:`ops.errors`.

An error page made before or instead of a view (a 429, a 503, a 500) must keep
the person inside the iframe, and, since the iframe has no cookies, carry the
token of their diagnosis (and the site the frame stands on): otherwise "Try
again" would show the start screen.
"""

from __future__ import annotations

from django.http import HttpRequest

from diagnostics.embed.sites import request_frame
from diagnostics.embed.tokens import NAMESPACE, PREFIX, TOKEN_FIELD, session_from_token
from diagnostics.embed.views import embed_query
from diagnostics.flow.links import guide_links
from ops.errors import PageLinks, posted_field


def embed_page_links(request: HttpRequest) -> PageLinks | None:
    """Links that stay under ``/embed/`` and keep a genuine token; None elsewhere."""
    if not request.path_info.startswith(PREFIX):
        return None
    frame = request_frame(request)
    if frame is None:
        return None
    links = guide_links(request, namespace=NAMESPACE)
    token = posted_field(request, TOKEN_FIELD)
    if not (links.retry != links.home and session_from_token(token)):  # an unexpired token only
        token = ""
    retry = links.retry + embed_query(token=token, origin=frame.origin)
    home = links.home + embed_query(token="", origin=frame.origin)
    return PageLinks(retry=retry, home=home)
