"""Who may frame ``/embed/``: the allowed embedders, error pages included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from diagnostics.embed.sites import Frame, request_frame
from diagnostics.embed.tokens import NAMESPACE, PREFIX


def frame_policy(frame: Frame) -> dict[str, Any]:
    """The site's CSP with ``frame-ancestors`` opened to the frame's embedders."""
    return {**settings.SECURE_CSP, "frame-ancestors": list(frame.ancestors)}


class EmbedFramingMiddleware:
    """Let the allowed embedders frame everything under ``/embed/``.

    Pages, and also what is answered before or instead of a view: the 404 for
    an unknown guide, the 429 of the rate limit, the 503 of an outage (from the
    last list of sites read, :mod:`diagnostics.embed.sites`). Without this they
    would carry ``X-Frame-Options: DENY`` and leave a blank iframe. Links on
    those pages stay embedded too (``request.current_app``). When the snippet
    names its site, only that site may frame the response. Sits just inside the
    CSP middleware, so its response pass runs after the X-Frame-Options
    middleware and before the CSP header is written.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        frame = request_frame(request) if request.path_info.startswith(PREFIX) else None
        if frame is not None:
            request.current_app = NAMESPACE
        response = self.get_response(request)
        if frame is not None:
            setattr(response, "_csp_config", frame_policy(frame))  # noqa: B010 (what @csp_override sets)
            if response.has_header("X-Frame-Options"):
                del response["X-Frame-Options"]
        return response
