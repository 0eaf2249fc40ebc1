"""Guide text in pages: ``rich_text`` and ``rich_inline``, ``linkify``, and
``{% step_text %}``, a step's text drawn once.

``rich_text`` (help, an outcome's body: paragraphs and lists) and
``rich_inline`` (a step, a why, a note) draw a guide's prose in its small
Markdown subset, made safe by :mod:`diagnostics.catalog.richtext`. Titles,
prompts and choice labels never go through them: they stay plain, escaped text.

``linkify`` is Django's ``urlize``, worked out once per text, for text that is
not a guide's (the support contact from the settings).

Every address in a guide is another site (Apple's status page, iCloud.com), so
links open in a new tab, and say so to screen readers: the guide stays where
the person left it, and inside an embedding site's iframe the other site is
not squeezed into (or refused by) the frame.

Guide text ("open icloud.com in your browser") never changes within a guide
version, and ``urlize`` is the slowest part of drawing a step (about a tenth
of a step POST), so each distinct text is linked once per process.

``{% step_text "fix_body" step %}`` draws a part of a step that is the same
for everyone on it (its heading, help, choices, instructions: the partials of
``diagnostics/_step_text.html``) once per process and step, and hands back the
same HTML after that. A parsed guide never changes (each version is parsed
once per process, :func:`diagnostics.models.guide_for_version`), so neither
does this HTML; it is kept with the step object it was drawn for, and drawn
again for any other object.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

from diagnostics.catalog import richtext

register = template.Library()


@register.filter(is_safe=True)
def rich_text(text: str) -> SafeString:
    """A guide's prose drawn as blocks: paragraphs and lists, with the inline subset."""
    return mark_safe(richtext.render_block(str(text)))  # noqa: S308 (sanitised by nh3)


@register.filter(is_safe=True)
def rich_inline(text: str) -> SafeString:
    """A guide's prose inside one element: bold, italic, code and links, no blocks."""
    return mark_safe(richtext.render_inline(str(text)))  # noqa: S308 (sanitised by nh3)


@register.filter(is_safe=True)
def linkify(text: str) -> SafeString:
    """``text`` escaped, with its web addresses as links (as ``|urlize`` does)."""
    return _linked(str(text))


# A web link as urlize writes it (mailto: links have no rel and stay as they are).
_WEB_LINK = re.compile(r'<a href="(https?://[^"]*)" rel="nofollow">(.*?)</a>')
_NEW_TAB = (
    r'<a href="\1" rel="nofollow noopener noreferrer" target="_blank">'
    r'\2<span class="visually-hidden"> (opens in a new tab)</span></a>'
)


@functools.lru_cache(maxsize=4096)
def _linked(text: str) -> SafeString:
    html = urlize(text, nofollow=True, autoescape=True)  # escapes everything but its links
    return mark_safe(_WEB_LINK.sub(_NEW_TAB, html))  # noqa: S308 (urlize escaped the text)


STEP_TEXT = "diagnostics/_step_text.html"
_DRAWN: dict[tuple[str, int], tuple[Any, SafeString]] = {}
_MAX_DRAWN = 4096  # steps times parts; far more than the guides a process serves


@register.simple_tag
def step_text(part: str, step: Any) -> SafeString:
    """The partial ``part`` of ``_step_text.html`` for ``step``, drawn once per step object."""
    key = (part, id(step))
    drawn = _DRAWN.get(key)
    if drawn is None or drawn[0] is not step:  # an id reused by another object: draw again
        if len(_DRAWN) >= _MAX_DRAWN:
            _DRAWN.clear()
        # The template escaped it; mark_safe only says so to the type checker.
        html = mark_safe(render_to_string(f"{STEP_TEXT}#{part}", {"step": step}))  # noqa: S308
        drawn = _DRAWN[key] = (step, html)
    return drawn[1]
