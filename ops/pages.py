"""Rendering a screen: the whole page, or only its swappable panel for htmx.

Every screen is one page template whose swappable region is a
``{% partialdef panel %}``. A request from htmx (``HX-Request: true``) gets the
panel alone, to swap in place; any other request (htmx restoring a history
entry included) gets the whole page. The answer therefore varies on those
headers (``Vary: HX-Request, HX-History-Restore-Request``), so no cache ever
hands a panel to a browser that asked for a page, or the reverse.

This is the edge's helper, used by the flow's views and by the error pages
made before any view runs (the rate limit's 429), so htmx is detected from the
header itself rather than from django-htmx's ``request.htmx``, which only
exists once its middleware has run.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PANEL = "panel"


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent this request and wants a panel, not a page.

    Restoring a history entry it has no copy of, htmx asks for the whole page
    (``HX-History-Restore-Request``), with ``HX-Request`` set too.
    """
    restoring = request.headers.get("HX-History-Restore-Request") == "true"
    return request.headers.get("HX-Request") == "true" and not restoring


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The whole page ``template``, or only its ``panel`` partial for htmx requests."""
    name = f"{template}#{PANEL}" if is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response
