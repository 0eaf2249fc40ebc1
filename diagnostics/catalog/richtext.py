"""Guide text as safe HTML: a small Markdown subset, then an allow-list sanitiser.

Step text (a question's help, a fix's why, steps and note, an outcome's body
and steps) may use **bold**, *italic*, `inline code`, [links](https://…) and,
in the texts drawn as blocks (help and an outcome's body), lists. Bare
addresses (``icloud.com``, ``help@example.com``) still become links. Nothing
else is Markdown: raw HTML, images, headings, tables, block quotes and code
blocks stay as the characters the author typed, escaped. Titles, prompts and
choice labels are not drawn here at all; templates escape them as plain text.

Two steps, each enough on its own:

1. markdown-it-py parses with only the subset's rules switched on and raw HTML
   off. Every link is checked here: only ``http``, ``https`` and ``mailto``
   targets are kept; any other link (``javascript:``, ``data:``, relative or
   protocol-relative addresses) loses its ``<a>`` but keeps its text. Web
   links open in a new tab, say so to screen readers and carry
   ``rel="noopener noreferrer"``.
2. nh3 cleans the HTML against exactly the tags and attributes step 1 writes,
   with the same URL schemes, so a rule that ever let more through would still
   be stopped.

Guide text never changes within a guide version, so each distinct text is
drawn once per process (:func:`functools.lru_cache`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from diagnostics import engine

WEB_SCHEMES = frozenset({"http", "https"})
LINK_SCHEMES = WEB_SCHEMES | {"mailto"}
NEW_TAB = '<span class="visually-hidden"> (opens in a new tab)</span>'

# The rules of the subset. "escape" lets an author write \* for a star; "newline"
# keeps a line break a line break (``breaks`` below), as Django's linebreaks did.
INLINE_RULES = ["emphasis", "link", "backticks", "linkify", "escape", "newline"]
BLOCK_RULES = ["list"]

# Exactly what the renderer below can write, and nothing more.
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "a", "span", "ul", "ol", "li"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_VALUES = {"a": {"target": {"_blank"}}}
ALLOWED_CLASSES = {"span": {"visually-hidden"}}


def _any_link(url: str) -> bool:
    """Let markdown-it parse every link: :func:`_check_links` decides which stay links.

    (markdown-it's own check would leave ``[text](javascript:…)`` as its raw
    characters; this way the text is kept and the target dropped, like any
    other target outside the allowed schemes.)
    """
    return True


def link_target(href: str) -> str | None:
    """``href`` if a guide may link to it (http(s) with a host, or mailto), else None."""
    try:
        parts = urlsplit(href)
    except ValueError:  # e.g. an unbalanced [ in the host
        return None
    scheme = parts.scheme.lower()
    if scheme in WEB_SCHEMES and parts.netloc:
        return href
    if scheme == "mailto" and parts.path:
        return href
    return None


def _check_links(state: StateCore) -> None:
    """Drop links to anything but http(s) and mailto (keeping their text); mark web links.

    Links cannot nest in CommonMark, so a ``link_close`` always belongs to the
    last ``link_open`` before it.
    """
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept: list[Token] = []
        opened: Token | None = None
        dropped = False
        for index, token in enumerate(block.children):
            if token.type == "link_open":
                following = block.children[index + 1 : index + 2]
                href = _checked_href(token, following[0].content if following else "")
                dropped = href is None
                if href is None:  # left out; an author's own link is noted for guide_warnings
                    if token.markup != "linkify":
                        state.env.setdefault("dropped", []).append(token.attrGet("href") or "")
                    continue
                token.attrs = {"href": href}  # no title, nothing else the author wrote
                token.meta = {"new_tab": urlsplit(href).scheme.lower() in WEB_SCHEMES}
                if token.meta["new_tab"]:
                    token.attrSet("target", "_blank")
                opened = token
            elif token.type == "link_close":
                if dropped:
                    dropped = False
                    continue
                token.meta = dict(opened.meta) if opened is not None else {}
                opened = None
            kept.append(token)
        block.children = kept


def _checked_href(link_open: Token, typed: str) -> str | None:
    """The link's target if it may stay a link; a bare ``icloud.com`` goes to https."""
    href = link_target(str(link_open.attrGet("href") or ""))
    bare = link_open.markup == "linkify" and not typed.lower().startswith("http://")
    if href is not None and bare and href.startswith("http://"):
        return "https://" + href.removeprefix("http://")
    return href


def _link_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    said = NEW_TAB if tokens[idx].meta.get("new_tab") else ""
    return f"{said}</a>"


def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": True, "breaks": True, "typographer": False})
    md.enable(INLINE_RULES + BLOCK_RULES)
    md.validateLink = _any_link  # type: ignore[method-assign]
    md.core.ruler.push("check_links", _check_links)
    md.add_render_rule("link_close", _link_close)
    return md


_MD = _parser()


def sanitise(html: str) -> str:
    """``html`` with only the tags, attributes, classes and URL schemes the subset writes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=set(LINK_SCHEMES),
        url_relative="deny",
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


@functools.lru_cache(maxsize=4096)
def render_block(text: str) -> str:
    """``text`` as safe HTML paragraphs and lists (help, an outcome's body)."""
    return sanitise(_MD.render(text)).strip()


@functools.lru_cache(maxsize=4096)
def render_inline(text: str) -> str:
    """``text`` as safe HTML inside one element (a step, a why, a note): no paragraphs or lists."""
    return sanitise(_MD.renderInline(text)).strip()


# --- for authors: what the subset would not keep ----------------------------------

BLOCK_FIELDS = frozenset({("question", "help"), ("outcome", "body")})


def prose(guide: engine.Guide) -> list[tuple[str, str, str]]:
    """Every text of ``guide`` drawn in the subset: (step key, field, text)."""
    found: list[tuple[str, str, str]] = []
    for question in guide.questions:
        found.append((engine.step_key(question), "help", question.help))
    for fix in guide.fixes:
        key = engine.step_key(fix)
        found += [(key, "why", fix.why), (key, "note", fix.note)]
        found += [(key, f"steps[{n}]", line) for n, line in enumerate(fix.steps, 1)]
    for outcome in guide.outcomes.values():
        key = engine.step_key(outcome)
        found.append((key, "body", outcome.body))
        found += [(key, f"steps[{n}]", line) for n, line in enumerate(outcome.steps, 1)]
    return [(key, field, text) for key, field, text in found if text]


def dropped_links(text: str) -> list[str]:
    """The targets of links in ``text`` that are shown as text only (not http(s) or mailto)."""
    env: dict[str, Any] = {}
    _MD.parse(text, env)
    return list(env.get("dropped", []))


def guide_warnings(guide: engine.Guide) -> list[str]:
    """A sentence per link in ``guide``'s prose that people will see as text only.

    Not errors: the text is still shown, and a guide may mean it. But an author
    who wrote ``[Apple](support.apple.com)`` (no https://) meant a link.
    """
    return [
        f"{key}: {field}: the link to {target!r} is shown as text only; "
        "links go to https://, http:// or mailto: addresses"
        for key, field, text in prose(guide)
        for target in dropped_links(text)
    ]
