"""An embedding site's accent colour and scheme: contrast checks and the stylesheet.

Pure Python (no Django), so the maths is tested on its own
(``tests/test_embed_theme.py``). The help desk's own colours live in
``static/diagnostics/site.css``; :data:`PALETTES` repeats the ones an accent is
checked against, and a test keeps the two the same.

Where the accent is used decides what it must pass (WCAG 2.1 AA, 4.5:1 for
text): it is the colour of links, of outlined buttons' labels and of the
progress bar, on the page, on panels and on its own soft tint; and it is the
background of primary buttons, whose label is white or near-black, whichever
reads better. With the scheme "auto", the accent is the light scheme's, and the
dark scheme gets a lighter shade of it (:func:`dark_shade`), since no one
colour reads well on both white and near-black.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

AA_TEXT = 4.5
WHITE = "#ffffff"
BLACK = "#000000"
HEX = re.compile(r"#[0-9a-f]{6}")

# The colours of static/diagnostics/site.css that an accent is read against
# (tests/test_embed_theme.py checks they still match the stylesheet).
PALETTES: dict[str, dict[str, str]] = {
    "light": {
        "bg": "#f3f5f8",
        "surface": "#ffffff",
        "surface-2": "#f7f9fb",
        "text": "#17202a",
        "muted": "#515d6a",
        "border": "#d6dde5",
        "control": "#808c99",
        "accent": "#1559c2",
        "accent-hover": "#0f4699",
        "accent-text": "#ffffff",
        "accent-soft": "#e9f0fb",
        "success": "#13703d",
        "success-soft": "#e5f4eb",
        "warn": "#8a5200",
        "warn-soft": "#fff4dc",
        "danger": "#b3261e",
        "danger-soft": "#fcebea",
        "focus": "#c2410c",
    },
    "dark": {
        "bg": "#0e1116",
        "surface": "#161b22",
        "surface-2": "#1c222b",
        "text": "#e7ecf2",
        "muted": "#a3afbc",
        "border": "#2e3742",
        "control": "#66758a",
        "accent": "#8cb9ff",
        "accent-hover": "#b3d0ff",
        "accent-text": "#0b1b36",
        "accent-soft": "#1a2941",
        "success": "#6fd49a",
        "success-soft": "#13281c",
        "warn": "#f0b557",
        "warn-soft": "#2a2113",
        "danger": "#ff9e94",
        "danger-soft": "#35191a",
        "focus": "#ffa56b",
    },
}
SCHEMES = ("auto", "light", "dark")


def _rgb(colour: str) -> tuple[int, int, int]:
    if not HEX.fullmatch(colour.lower()):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of an sRGB colour, as WCAG 2 defines it (0 black, 1 white)."""
    r, g, b = (_linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """``share`` of ``colour`` and the rest of ``other``, mixed channel by channel."""
    a, b = _rgb(colour), _rgb(other)
    return "#" + "".join(
        f"{round(x * share + y * (1 - share)):02x}" for x, y in zip(a, b, strict=True)
    )


@dataclass(frozen=True)
class Shades:
    """The four colours an accent becomes in one scheme (site.css's ``--accent*``)."""

    accent: str
    hover: str
    text: str  # the label on a primary button
    soft: str  # a light tint behind notices, numbered steps and hovered buttons


def shades(accent: str, scheme: str) -> Shades:
    """What ``accent`` becomes in the ``light`` or ``dark`` scheme."""
    accent = accent.lower()
    palette = PALETTES[scheme]
    text = max((WHITE, palette["bg"]), key=lambda label: contrast(label, accent))
    # Hovering moves away from the label colour, so the label only gains contrast.
    hover = mix(accent, BLACK if text == WHITE else WHITE, 0.8)
    soft = mix(accent, palette["surface"], 0.1 if scheme == "light" else 0.2)
    return Shades(accent=accent, hover=hover, text=text, soft=soft)


def _checks(colours: Shades, scheme: str) -> list[tuple[str, str, str]]:
    """(what, foreground, background) for every place the accent is read in ``scheme``."""
    palette = PALETTES[scheme]
    return [
        ("links and button labels on the page", colours.accent, palette["bg"]),
        ("links and button labels on a panel", colours.accent, palette["surface"]),
        ("links on a shaded box", colours.accent, palette["surface-2"]),
        ("links on the accent's own tint", colours.accent, colours.soft),
        ("links when hovered", colours.hover, palette["surface"]),
        ("the label of a primary button", colours.text, colours.accent),
        ("the label of a hovered primary button", colours.text, colours.hover),
        ("text on the accent's tint", palette["text"], colours.soft),
    ]


def scheme_problems(accent: str, scheme: str) -> list[tuple[float, str]]:
    """Where ``accent`` fails WCAG AA in the ``light`` or ``dark`` scheme, in reading order.

    Each as (contrast ratio, what is hard to read); [] when it passes.
    """
    colours = shades(accent, scheme)
    problems = []
    for what, foreground, background in _checks(colours, scheme):
        ratio = contrast(foreground, background)
        if ratio < AA_TEXT:
            problems.append((ratio, what))
    return problems


def dark_shade(accent: str) -> str:
    """For the scheme "auto": the accent, lightened just enough to pass on the dark scheme."""
    accent = accent.lower()
    for step in range(21):  # 0%, 5%, ... 100% white: white itself always passes
        shade = mix(WHITE, accent, step / 20)
        if not scheme_problems(shade, "dark"):
            return shade
    return WHITE  # pragma: no cover - white passes on every dark background


def accent_problems(accent: str, scheme: str) -> list[str]:
    """Sentences for staff on why ``accent`` cannot be used with ``scheme``; [] if it can."""
    if not accent:
        return []
    accent = accent.lower()
    # The colour each scheme shows: with "auto", the dark scheme gets a lighter shade.
    used = {"light": {"light": accent}, "dark": {"dark": accent}}.get(
        scheme, {"light": accent, "dark": dark_shade(accent)}
    )
    sentences = []
    for name, colour in used.items():
        failures = scheme_problems(colour, name)
        if failures:
            hint = "a darker colour" if name == "light" else "a lighter colour"
            if scheme == "auto":
                hint += " (when the scheme follows the device, the accent is the light one)"
            ratio, what = failures[0]
            sentences.append(
                f"{accent} is too hard to read in the {name} scheme: {what} would have a"
                f" contrast of {ratio:.2f}:1, and WCAG AA asks for at least 4.5:1. Choose {hint}."
            )
    return sentences


def theme_version(accent: str, scheme: str) -> str:
    """A short fingerprint of a theme: its stylesheet's address changes when it does."""
    return hashlib.sha256(f"{accent.lower()}|{scheme}|1".encode()).hexdigest()[:12]


def _declarations(scheme: str, colours: Shades | None, *, whole: bool) -> str:
    """``--name: value;`` lines: the whole palette of ``scheme``, or just the accent's."""
    values = dict(PALETTES[scheme]) if whole else {}
    if colours is not None:
        values.update(
            {
                "accent": colours.accent,
                "accent-hover": colours.hover,
                "accent-text": colours.text,
                "accent-soft": colours.soft,
            }
        )
    return "".join(f"  --{name}: {value};\n" for name, value in values.items())


def theme_css(accent: str, scheme: str) -> str:
    """The stylesheet of a theme, linked after site.css (so its ``:root`` wins).

    A fixed scheme sets its whole palette and ``color-scheme``, overriding the
    device's preference; "auto" sets only the accent, per scheme. Screen only:
    printing keeps site.css's black on white. An accent that fails the checks
    is left out (the admin refuses it; this guards rows written some other way).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}")
    accent = accent.lower()
    if accent and accent_problems(accent, scheme):
        accent = ""
    parts = ["/* The help desk's theme for one embedding site (diagnostics/embed/theme.py). */\n"]
    if scheme in ("light", "dark"):
        colours = shades(accent, scheme) if accent else None
        body = f"  color-scheme: {scheme};\n" + _declarations(scheme, colours, whole=True)
        parts.append(f"@media screen {{\n:root {{\n{body}}}\n}}\n")
    elif accent:
        light = _declarations("light", shades(accent, "light"), whole=False)
        dark = _declarations("dark", shades(dark_shade(accent), "dark"), whole=False)
        parts.append(f"@media screen {{\n:root {{\n{light}}}\n}}\n")
        parts.append(f"@media screen and (prefers-color-scheme: dark) {{\n:root {{\n{dark}}}\n}}\n")
    return "".join(parts)
