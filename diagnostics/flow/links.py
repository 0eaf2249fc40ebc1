"""The flow's addresses, and where error pages lead for them.

:func:`address` is ``reverse`` for the flow's pages and forms, worked out once
per process: every step POST names three to five of them (its forms, its own
address), and they never change while the URLconf stays the same.

After a POST the address itself cannot be reloaded (it only takes forms), so
"Try again" leads to the guide the post was about, and "All guides" to the
list (:func:`site_page_links`, a hook for :mod:`ops.errors`, registered in
:class:`diagnostics.apps.DiagnosticsConfig`).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, get_script_prefix, get_urlconf, resolve, reverse

from ops.errors import PageLinks


def address(name: str, *args: str | int, namespace: str | None = None) -> str:
    """``reverse(name, args=args, current_app=namespace)``, remembered per process.

    The answer depends only on these, the URLconf in use and the script
    prefix, so all of them make the key: a request with a URLconf or prefix
    of its own (or a test overriding ``ROOT_URLCONF``) gets its own entry.
    """
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reversed(name, args, namespace, urlconf, get_script_prefix())


@functools.lru_cache(maxsize=2048)
def _reversed(
    name: str, args: tuple[str | int, ...], namespace: str | None, urlconf: str, prefix: str
) -> str:
    # ``prefix`` is in the key only: reverse() reads the same script prefix itself.
    return reverse(name, args=args, current_app=namespace, urlconf=urlconf)


def guide_links(request: HttpRequest, *, namespace: str | None = None) -> PageLinks:
    """The guide this request's address names, if any, and the guide list.

    Links stay in the instance of the app the address belongs to (the site, or
    ``/embed/``) unless ``namespace`` says which.
    """
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.app_name == "diagnostics":
        namespace = namespace or match.namespace
    home = reverse("diagnostics:guide_list", current_app=namespace)
    if match is None or match.app_name != "diagnostics" or "slug" not in match.kwargs:
        return PageLinks(retry=home, home=home)
    guide = reverse("diagnostics:guide", args=[match.kwargs["slug"]], current_app=namespace)
    return PageLinks(retry=guide, home=home)


def site_page_links(request: HttpRequest) -> PageLinks:
    return guide_links(request)
