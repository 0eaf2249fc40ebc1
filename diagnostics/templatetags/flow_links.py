"""Links and forms between the flow's pages.

``{% flow_url %}``: a link to a flow page that keeps an embedded person's place.
``{% form_url %}``: the address a step form posts to (the token goes in a field).

Inside another site's iframe there are no cookies, so every link between the
flow's pages must carry the diagnosis's signed token (``?d=...``) and the
embedding site (``&site=...``). This tag is the one place that writes them; on
the site itself it is exactly ``{% url %}``. Both tags reverse through
:func:`diagnostics.flow.links.address`, which remembers each address.

``{% step_fields %}``: the hidden fields every form of a step carries
(``diagnostics/_hidden.html``: the CSRF token, the diagnosis, the step, the
embed's token and site). A step's panel has up to three forms (the answer,
Back, Start over) with the same fields, so they are drawn once per page or
panel.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString

from diagnostics.embed.views import embed_query
from diagnostics.flow.links import address

register = template.Library()


def _current_app(context: template.Context) -> str | None:
    request = context.get("request")
    current_app = getattr(request, "current_app", None)
    if current_app is None and getattr(request, "resolver_match", None) is not None:
        current_app = request.resolver_match.namespace  # as {% url %} does
    return current_app


@register.simple_tag(takes_context=True)
def flow_url(context: template.Context, name: str, *args: Any) -> str:
    """The address of the page ``name``, with the embed's token when there is one."""
    url = address(name, *args, namespace=_current_app(context))
    # The embedding site goes along too: it decides who may frame the page.
    return url + embed_query(
        token=context.get("embed_token") or "", origin=context.get("embed_origin") or ""
    )


@register.simple_tag(takes_context=True)
def form_url(context: template.Context, name: str, *args: Any) -> str:
    """What ``{% url name *args %}`` gives, for a step form's ``action``."""
    return address(name, *args, namespace=_current_app(context))


HIDDEN = "diagnostics/_hidden.html"
_DRAWN_FIELDS = "_step_fields"  # where a page's drawn fields are kept, in its context
# Every name _hidden.html reads: the fields are drawn again if any of them differs.
_FIELDS_READ = ("state", "latest", "embedded", "embed_token", "embed_origin", "csrf_token")


@register.simple_tag(takes_context=True)
def step_fields(context: template.Context) -> SafeString:
    """The step forms' hidden fields for this page or panel, drawn once for all its forms."""
    shown = tuple(context.get(name) for name in _FIELDS_READ)
    # The bottom layer of the context lives as long as the page's render does.
    bottom = context.dicts[0]
    drawn = bottom.get(_DRAWN_FIELDS)
    if drawn is None or any(a is not b for a, b in zip(drawn[0], shown, strict=True)):
        fields = get_template(HIDDEN).template.render(context)
        drawn = bottom[_DRAWN_FIELDS] = (shown, fields)
    return drawn[1]
