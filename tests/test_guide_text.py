"""Guide text on the page: web addresses become links, and nothing else becomes HTML."""

from __future__ import annotations

from django.utils.html import urlize

from diagnostics.templatetags.guide_text import linkify


def test_web_addresses_become_https_links() -> None:
    html = linkify("Open apple.com/support/systemstatus, then check icloud.com.")
    assert '<a href="https://apple.com/support/systemstatus" rel="nofollow">' in html
    assert '<a href="https://icloud.com" rel="nofollow">icloud.com</a>.' in html


def test_markup_in_guide_text_is_shown_as_text() -> None:
    html = linkify('Tap <b>Lists</b> & "Contacts" <script>alert(1)</script>')
    assert "<b>" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp;" in html


def test_the_same_as_djangos_urlize_filter() -> None:
    text = "Sign in at icloud.com (or www.icloud.com) & <check> it."
    assert linkify(text) == urlize(text, nofollow=True, autoescape=True)
