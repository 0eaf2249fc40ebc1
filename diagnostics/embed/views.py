"""The flow's views, wrapped for ``/embed/``: identified by token instead of cookie."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from diagnostics.embed import theme
from diagnostics.embed.origin import CrossSitePost, check_post
from diagnostics.embed.sites import SITE_FIELD, allowed_sites, request_frame
from diagnostics.embed.tokens import NAMESPACE, TOKEN_FIELD, TokenSession, session_from_token
from diagnostics.flow.errors import FlowError
from ops.pages import render_page


class SiteNotAllowed(FlowError):
    status = 403
    title = "This website can't show the help desk"
    help = (
        "The page you were on asked to show the help desk, but it is not one of the"
        " websites allowed to. You can still use the help desk on its own site."
    )


def embedded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for ``/embed/``: identified by token instead of cookie."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        frame = request_frame(request)
        if frame is None:
            raise Http404("Embedding is not enabled.")
        if frame.refused:
            return _refused(request, SiteNotAllowed())
        try:
            check_post(request)  # only the embed's own pages may post here
        except CrossSitePost as error:
            return _refused(request, error)
        data = request.POST if request.method == "POST" else request.GET
        request.session = session_from_token(data.get(TOKEN_FIELD, ""))
        request.session.embed_site_id = frame.site.pk if frame.site else None
        response = view(request, *args, **kwargs)
        # The frame's address is replaced, never pushed: an iframe's history
        # entries would be the host page's, whose Back would then step through
        # them before leaving the host page.
        pushed = response.get("HX-Push-Url")
        if pushed:
            del response["HX-Push-Url"]
        query = embed_query(token=request.session.token(), origin=frame.origin)
        if not query:
            return response
        if response.status_code in (301, 302, 303):
            response["Location"] += query
        elif request.headers.get("HX-Request") == "true" and "slug" in kwargs:
            # htmx swapped a step in place: put the token in the frame's own
            # address too, so reloading the iframe comes back to this step.
            page = pushed or response.get("HX-Replace-Url")
            if not page:
                page = reverse("diagnostics:guide", args=[kwargs["slug"]], current_app=NAMESPACE)
            response["HX-Replace-Url"] = page + query
        return response

    return csrf_exempt(wrapper)


def _refused(request: HttpRequest, error: FlowError) -> HttpResponse:
    """The 403 page for a post from another site, or a site not (or no longer)
    allowed to frame the help desk (the browser will not show that one), in the frame.

    It changes nothing and makes no query (a flood of them costs little): no
    guide is looked up, so the page leads to the list of guides.
    """
    request.session = TokenSession()  # no cookie, and links without anyone's token
    context = {"guide": None, "title": error.title, "error": error}
    return render_page(request, "diagnostics/error.html", context, status=error.status)


def embed_query(*, token: str, origin: str) -> str:
    """``?d=<token>&site=<origin>`` with what there is of the two; '' for neither."""
    params = {name: value for name, value in ((TOKEN_FIELD, token), (SITE_FIELD, origin)) if value}
    return "?" + urlencode(params) if params else ""


@require_safe
def theme_css(request: HttpRequest, pk: int) -> HttpResponse:
    """An active embedding site's stylesheet: its accent and scheme (no query: cached list)."""
    site = next((s for s in allowed_sites().values() if s.pk == pk), None)
    if site is None:
        raise Http404("No such embedding site.")
    response = HttpResponse(theme.theme_css(site.accent, site.scheme), content_type="text/css")
    current = request.GET.get("v") == theme.theme_version(site.accent, site.scheme)
    # A fingerprinted address never changes; any other is rechecked like the site list.
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if current else "public, max-age=30"
    )
    return response
