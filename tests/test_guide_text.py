"""Text the settings give (the support contact): web addresses become links, nothing else HTML.

A guide's own prose goes through its Markdown subset instead: tests/test_rich_text.py.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.html import urlize

from diagnostics.engine import Fix
from diagnostics.templatetags.guide_text import linkify, step_text

NEW_TAB = 'rel="nofollow noopener noreferrer" target="_blank"'
GUIDE_LINK = 'target="_blank" rel="noopener noreferrer"'
SAYS_SO = '<span class="visually-hidden"> (opens in a new tab)</span>'


def test_web_addresses_become_https_links_that_open_in_a_new_tab() -> None:
    html = linkify("Open apple.com/support/systemstatus, then check icloud.com.")
    assert f'<a href="https://apple.com/support/systemstatus" {NEW_TAB}>' in html
    assert f'<a href="https://icloud.com" {NEW_TAB}>icloud.com{SAYS_SO}</a>.' in html


def test_markup_in_guide_text_is_shown_as_text() -> None:
    html = linkify('Tap <b>Lists</b> & "Contacts" <script>alert(1)</script>')
    assert "<b>" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp;" in html


def test_otherwise_the_same_as_djangos_urlize_filter() -> None:
    text = "Sign in at icloud.com (or www.icloud.com) & <check> it."
    plain = linkify(text).replace(f" {NEW_TAB}", ' rel="nofollow"').replace(SAYS_SO, "")
    assert plain == urlize(text, nofollow=True, autoescape=True)


def test_email_addresses_are_mail_links_that_stay_in_place() -> None:
    html = linkify("Write to help@example.com or see example.com.")
    assert '<a href="mailto:help@example.com">help@example.com</a>' in html
    assert html.count("target=") == html.count(SAYS_SO) == 1  # only the web link


def test_a_steps_text_drawn_once_still_follows_a_new_version_of_the_step() -> None:
    """``{% step_text %}`` keeps the HTML per step object: another object with the same
    id (a later guide version) gets its own text, and hostile text stays text."""
    first = Fix(
        id="restart", title="Restart", why="It helps.", steps=("Hold <b>",), minutes=2, chance=0.1
    )
    again = replace(first, title="Restart your iPhone", steps=("See apple.com",))
    assert ">Restart</h2>" in step_text("fix_heading", first)
    assert ">Restart your iPhone</h2>" in step_text("fix_heading", again)
    assert ">Restart</h2>" in step_text("fix_heading", first)  # still its own
    assert "<li>Hold &lt;b&gt;</li>" in step_text("fix_body", first)
    assert f'<a href="https://apple.com" {GUIDE_LINK}>' in step_text("fix_body", again)
