"""An embedding site's accent: WCAG contrast maths, what the admin refuses, the stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diagnostics.embed import theme

SITE_CSS = Path(__file__).resolve().parent.parent / "static" / "diagnostics" / "site.css"


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),  # the largest there is
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),  # the classic grey that just fails AA
        ("#767676", "#ffffff", 4.54),  # ... and the one that just passes
        ("#ff0000", "#ffffff", 4.0),
        ("#0000ff", "#ffffff", 8.59),
    ],
)
def test_contrast_ratios_match_known_values(first: str, second: str, ratio: float) -> None:
    assert theme.contrast(first, second) == pytest.approx(ratio, abs=0.01)
    assert theme.contrast(second, first) == pytest.approx(ratio, abs=0.01)


def test_the_palette_is_the_one_site_css_uses() -> None:
    css = SITE_CSS.read_text("utf-8")
    light = css[css.index(":root {") : css.index("@media (prefers-color-scheme: dark)")]
    dark = css[css.index("@media (prefers-color-scheme: dark)") : css.index("/* --- base")]
    for scheme, block in (("light", light), ("dark", dark)):
        declared = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6});", block))
        assert {k: declared[k] for k in theme.PALETTES[scheme]} == theme.PALETTES[scheme]


def test_the_help_desks_own_accents_pass() -> None:
    assert theme.accent_problems("#1559c2", "light") == []
    assert theme.accent_problems("#8cb9ff", "dark") == []
    assert theme.accent_problems("#1559c2", "auto") == []


@pytest.mark.parametrize(
    ("accent", "scheme", "words"),
    [
        ("#8cb9ff", "light", "too hard to read in the light scheme"),
        ("#8cb9ff", "auto", "Choose a darker colour (when the scheme follows the device"),
        ("#ff0000", "light", "on the page would have a contrast of 3.66:1"),  # on #f3f5f8
        ("#0b3d91", "dark", "too hard to read in the dark scheme"),
        ("#0b3d91", "dark", "Choose a lighter colour."),
        ("#ffff00", "light", "links and button labels on the page"),
    ],
)
def test_an_accent_that_fails_aa_is_refused_with_reasons(
    accent: str, scheme: str, words: str
) -> None:
    problems = theme.accent_problems(accent, scheme)
    assert len(problems) == 1
    assert words in problems[0]


def test_every_colour_an_accepted_accent_becomes_passes_aa() -> None:
    for accent in ("#1559c2", "#c2185b", "#0b3d91", "#13703d", "#5b21b6"):
        assert theme.accent_problems(accent, "auto") == []
        for scheme, colour in (("light", accent), ("dark", theme.dark_shade(accent))):
            colours = theme.shades(colour, scheme)
            palette = theme.PALETTES[scheme]
            for background in ("bg", "surface", "surface-2"):
                assert theme.contrast(colours.accent, palette[background]) >= 4.5
            assert theme.contrast(colours.text, colours.accent) >= 4.5
            assert theme.contrast(colours.text, colours.hover) >= 4.5
            assert theme.contrast(colours.accent, colours.soft) >= 4.5
            assert theme.contrast(palette["text"], colours.soft) >= 4.5


def test_a_fixed_scheme_sets_the_whole_palette_for_screens_only() -> None:
    css = theme.theme_css("#f48fb1", "dark")
    assert css.count("@media screen {") == 1  # printing keeps black on white
    assert "color-scheme: dark;" in css
    assert "--bg: #0e1116;" in css
    assert "--accent: #f48fb1;" in css
    light = theme.theme_css("", "light")
    assert "color-scheme: light;" in light
    assert "--accent: #1559c2;" in light  # no accent: the help desk's own


def test_auto_gives_the_dark_scheme_a_lighter_shade() -> None:
    css = theme.theme_css("#c2185b", "auto")
    light, dark = css.split("prefers-color-scheme: dark")
    assert "--accent: #c2185b;" in light
    assert "--accent: #dd80a5;" in dark
    assert "  color-scheme:" not in css  # the device decides
    assert theme.theme_css("", "auto").count("{") == 0  # nothing to say


def test_an_accent_that_slipped_past_the_admin_is_left_out() -> None:
    assert "--accent: #ffff00" not in theme.theme_css("#ffff00", "light")
    assert "--accent" not in theme.theme_css("#ffff00", "auto")


def test_the_address_of_a_theme_changes_with_it() -> None:
    assert theme.theme_version("#c2185b", "auto") == theme.theme_version("#C2185B", "auto")
    assert theme.theme_version("#c2185b", "auto") != theme.theme_version("#c2185b", "dark")
