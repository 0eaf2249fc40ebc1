"""The server-error handler: a friendly 503 page when the database is unreachable.

Django calls ``handler500`` for any exception nothing else handled, from the
view or from a middleware (a session that cannot be saved, say). When that
exception is a database connection failure, people get "we'll be back in a
minute" with status 503 and ``Retry-After`` instead of a generic error; htmx
requests are also told to reload the page (``HX-Refresh``), so the whole
outage page replaces the step they were on. Anything else is a real 500.

The edge knows no app's addresses: where an error page's "Try again" and
"All guides" lead is asked of the hook apps register with
:func:`register_page_links` (the diagnostics app does so in its
``AppConfig.ready``, for the site and for ``/embed/``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from django.db import InterfaceError, OperationalError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from ops.pages import is_htmx

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


# --- where error pages lead: a hook the apps fill in ---------------------------


@dataclass(frozen=True)
class PageLinks:
    """Where an error page's buttons lead."""

    retry: str  # "Try again": the page to reload
    home: str  # "All guides": the front page, as seen from here


type PageLinksHook = Callable[[HttpRequest], PageLinks | None]

_page_links_hooks: list[PageLinksHook] = []


def register_page_links(hook: PageLinksHook) -> None:
    """Let an app say where error pages lead for the requests it knows.

    The edge knows no app's URLs. An app registers a hook (in its
    ``AppConfig.ready``) that returns :class:`PageLinks` for a request of its
    own, or None to pass. Hooks are asked in the order they were registered;
    the first answer wins. Registering the same hook twice is a no-op.
    """
    if hook not in _page_links_hooks:
        _page_links_hooks.append(hook)


def _here(request: HttpRequest) -> str | None:
    """The page itself, after a GET or HEAD; never a link off the site."""
    if request.method in {"GET", "HEAD"}:
        here = request.get_full_path()
        if url_has_allowed_host_and_scheme(here, allowed_hosts=None):  # not "//evil.example/"
            return here
    return None


def page_links(request: HttpRequest) -> PageLinks:
    """Where this request's error page leads: an app's hook, else the page itself and ``/``."""
    for hook in _page_links_hooks:
        links = hook(request)
        if links is not None:
            return links
    return PageLinks(retry=_here(request) or "/", home="/")


def retry_url(request: HttpRequest) -> str:
    """Where "Try again" leads: the same page after a GET; after a POST, whatever
    the app that owns the address says (a POST-only address cannot be reloaded)."""
    return _here(request) or page_links(request).retry


def posted_field(request: HttpRequest, name: str) -> str:
    """A field of the POST body, or '' when the body cannot be read as a form."""
    try:
        return str(request.POST.get(name, ""))
    except Exception:  # a garbage or oversized body: nothing to keep
        return ""


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page; falls back to plain text if even rendering fails."""
    try:
        context = {"retry_url": retry_url(request), "home_url": page_links(request).home}
        body = loader.render_to_string("503.html", context, request=request)
        content_type = "text/html; charset=utf-8"
    except Exception:
        logger.exception("could not render 503.html")
        body = "The help desk is briefly unavailable. Please try again in a minute.\n"
        content_type = "text/plain; charset=utf-8"
    response = HttpResponse(body, status=503, content_type=content_type)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    if is_htmx(request):
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
    try:
        home = page_links(request).home
    except Exception:  # whatever broke may break the app's hook too
        home = "/"
    try:
        body = loader.get_template("500.html").render({"home": home})
    except Exception:
        logger.exception("could not render 500.html")
        return HttpResponseServerError(
            "Something went wrong on our side. Please try again in a minute.\n",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponseServerError(body)
