"""The flow's views, wrapped for ``/embed/``: identified by token instead of cookie."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from diagnostics.embed.origin import CrossSitePost, check_post
from diagnostics.embed.tokens import NAMESPACE, TOKEN_FIELD, TokenSession, session_from_token
from ops.pages import render_page


def embedded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for ``/embed/``: identified by token instead of cookie."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.HELPDESK_EMBED_ORIGINS:
            raise Http404("Embedding is not enabled.")
        try:
            check_post(request)  # only the embed's own pages may post here
        except CrossSitePost as error:
            return _refused(request, error)
        data = request.POST if request.method == "POST" else request.GET
        request.session = session_from_token(data.get(TOKEN_FIELD, ""))
        response = view(request, *args, **kwargs)
        # The frame's address is replaced, never pushed: an iframe's history
        # entries would be the host page's, whose Back would then step through
        # them before leaving the host page.
        pushed = response.get("HX-Push-Url")
        if pushed:
            del response["HX-Push-Url"]
        token = request.session.token()
        if not token:
            return response
        query = "?" + urlencode({TOKEN_FIELD: token})
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


def _refused(request: HttpRequest, error: CrossSitePost) -> HttpResponse:
    """The 403 page for a post from another site, shown in the frame.

    It changes nothing and makes no query (a flood of them costs little): no
    guide is looked up, so the page leads to the list of guides.
    """
    request.session = TokenSession()  # no cookie, and links without anyone's token
    context = {"guide": None, "title": error.title, "error": error}
    return render_page(request, "diagnostics/error.html", context, status=error.status)
