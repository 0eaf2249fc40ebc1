"""``linkify``: Django's ``urlize`` for guide text, worked out once per text.

Every address in a guide is another site (Apple's status page, iCloud.com), so
links open in a new tab, and say so to screen readers: the guide stays where
the person left it, and inside an embedding site's iframe the other site is
not squeezed into (or refused by) the frame.

Guide text ("open icloud.com in your browser") never changes within a guide
version, and ``urlize`` is the slowest part of drawing a step (about a tenth
of a step POST), so each distinct text is linked once per process.
"""

from __future__ import annotations

import functools
import re

from django import template
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True)
def linkify(text: str) -> SafeString:
    """``text`` escaped, with its web addresses as links (as ``|urlize`` does)."""
    return _linked(str(text))


# A web link as urlize writes it (mailto: links have no rel and stay as they are).
_WEB_LINK = re.compile(r'<a href="(https?://[^"]*)" rel="nofollow">(.*?)</a>')
_NEW_TAB = (
    r'<a href="\1" rel="nofollow noopener" target="_blank">'
    r'\2<span class="visually-hidden"> (opens in a new tab)</span></a>'
)


@functools.lru_cache(maxsize=4096)
def _linked(text: str) -> SafeString:
    html = urlize(text, nofollow=True, autoescape=True)  # escapes everything but its links
    return mark_safe(_WEB_LINK.sub(_NEW_TAB, html))  # noqa: S308 (urlize escaped the text)
