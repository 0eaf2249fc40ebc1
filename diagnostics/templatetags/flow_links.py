"""``{% flow_url %}``: a link to a flow page that keeps an embedded person's place.

Inside another site's iframe there are no cookies, so every link between the
flow's pages must carry the diagnosis's signed token (``?d=...``) and the
embedding site (``&site=...``). This tag is the one place that writes them; on
the site itself it is exactly ``{% url %}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from diagnostics.embed.views import embed_query

register = template.Library()


@register.simple_tag(takes_context=True)
def flow_url(context: template.Context, name: str, *args: Any) -> str:
    """The address of the page ``name``, with the embed's token when there is one."""
    request = context.get("request")
    current_app = getattr(request, "current_app", None)
    if current_app is None and getattr(request, "resolver_match", None) is not None:
        current_app = request.resolver_match.namespace  # as {% url %} does
    url = reverse(name, args=args, current_app=current_app)
    # The embedding site goes along too: it decides who may frame the page.
    return url + embed_query(
        token=context.get("embed_token") or "", origin=context.get("embed_origin") or ""
    )
