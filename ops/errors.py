"""The server-error handler: a friendly 503 page when the database is unreachable.

Django calls ``handler500`` for any exception nothing else handled, from the
view or from a middleware (a session that cannot be saved, say). When that
exception is a database connection failure, people get "we'll be back in a
minute" with status 503 and ``Retry-After`` instead of a generic error; htmx
requests are also told to reload the page (``HX-Refresh``), so the whole
outage page replaces the step they were on. Anything else is a real 500.
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlencode

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
)
from django.template import loader
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from diagnostics import embed

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _is_database_down(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 10:  # follow "raise ... from" chains
        if isinstance(error, DATABASE_DOWN):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def retry_url(request: HttpRequest) -> str:
    """Where "Try again" leads: the same page after a GET; after a POST, the guide
    it was about (a POST-only address cannot be reloaded), else the guide list."""
    if request.method in {"GET", "HEAD"}:
        here = request.get_full_path()
        # Never a link off the site ("//evil.example/" is a valid path).
        if url_has_allowed_host_and_scheme(here, allowed_hosts=None):
            return here
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.app_name == "diagnostics":  # also /embed/ pages
        if "slug" not in match.kwargs:
            return reverse("diagnostics:guide_list", current_app=match.namespace)
        url = reverse("diagnostics:guide", args=[match.kwargs["slug"]], current_app=match.namespace)
        if match.namespace == embed.NAMESPACE:  # no cookies there: keep the diagnosis's token
            token = _posted(request, embed.TOKEN_FIELD)
            if embed.session_from_token(token):  # only a genuine, unexpired token
                url += "?" + urlencode({embed.TOKEN_FIELD: token})
        return url
    return reverse("diagnostics:guide_list")


def _posted(request: HttpRequest, name: str) -> str:
    """A field of the POST body, or '' when the body cannot be read as a form."""
    try:
        return str(request.POST.get(name, ""))
    except Exception:  # a garbage or oversized body: nothing to keep
        return ""


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page; falls back to plain text if even rendering fails."""
    try:
        body = loader.render_to_string(
            "503.html", {"retry_url": retry_url(request)}, request=request
        )
        content_type = "text/html; charset=utf-8"
    except Exception:
        logger.exception("could not render 503.html")
        body = "The help desk is briefly unavailable. Please try again in a minute.\n"
        content_type = "text/plain; charset=utf-8"
    response = HttpResponse(body, status=503, content_type=content_type)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    if request.headers.get("HX-Request") == "true":
        response["HX-Refresh"] = "true"
    patch_vary_headers(response, ["HX-Request"])
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page, for a request Django could not make sense of.

    Django's own handler is wrapped in ``requires_csrf_token``, which reads the
    body again; for a body Django refused to parse (a form declared in a
    charset other than UTF-8, say) that raises a second time and turns a 400
    into a 500. This one never touches the body.
    """
    try:
        body = loader.render_to_string("400.html", request=request)
    except Exception:
        logger.exception("could not render 400.html")
        body = "That request didn't make sense to us, so nothing was changed.\n"
    return HttpResponseBadRequest(body)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_database_down(sys.exc_info()[1]):
        return service_unavailable(request)
    # Django's own handler, minus the context: 500.html must render even when
    # whatever broke would break a context processor too; and if even that
    # fails (a missing static manifest, say), plain words.
    embedded = bool(settings.HELPDESK_EMBED_ORIGINS) and request.path_info.startswith(embed.PREFIX)
    try:
        body = loader.get_template("500.html").render({"home": embed.PREFIX if embedded else "/"})
    except Exception:
        logger.exception("could not render 500.html")
        return HttpResponseServerError(
            "Something went wrong on our side. Please try again in a minute.\n",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponseServerError(body)
