"""Where error pages lead for the flow's addresses: a hook for :mod:`ops.errors`.

After a POST the address itself cannot be reloaded (it only takes forms), so
"Try again" leads to the guide the post was about, and "All guides" to the
list. Registered in :class:`diagnostics.apps.DiagnosticsConfig`.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse

from ops.errors import PageLinks


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
