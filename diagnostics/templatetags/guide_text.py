"""``linkify``: Django's ``urlize`` for guide text, worked out once per text.

Guide text ("open icloud.com in your browser") never changes within a guide
version, and ``urlize`` is the slowest part of drawing a step (about a tenth
of a step POST), so each distinct text is linked once per process.
"""

from __future__ import annotations

import functools

from django import template
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True)
def linkify(text: str) -> SafeString:
    """``text`` escaped, with its web addresses as links (as ``|urlize`` does)."""
    return _linked(str(text))


@functools.lru_cache(maxsize=4096)
def _linked(text: str) -> SafeString:
    return mark_safe(urlize(text, nofollow=True, autoescape=True))  # noqa: S308 (urlize escapes)
