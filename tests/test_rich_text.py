"""A guide's prose in its small Markdown subset: what is drawn, what stays text, which links stay.

Step text may use bold, italic, inline code, links and (in help and an
outcome's body) lists. Everything else an author types is shown as typed.
Links go only to http(s) and mailto; web links open in a new tab and say so.
"""

from __future__ import annotations

import html
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics import engine
from diagnostics.catalog.richtext import (
    ALLOWED_TAGS,
    dropped_links,
    guide_warnings,
    link_target,
    render_block,
    render_inline,
    sanitise,
)
from diagnostics.checks import check_guide_links
from diagnostics.engine import Fix, Question
from diagnostics.engine.model import Choice
from diagnostics.templatetags.guide_text import linkify, step_text
from tests.guides import SMALL_GUIDE

NEW_TAB = 'target="_blank" rel="noopener noreferrer"'
SAYS_SO = '<span class="visually-hidden"> (opens in a new tab)</span>'


def text_of(markup: str) -> str:
    """What a person reads: the HTML without its tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


# --- what is allowed -----------------------------------------------------------


def test_bold_italic_and_inline_code() -> None:
    assert render_inline("Tap **Done**, then *wait*.") == (
        "Tap <strong>Done</strong>, then <em>wait</em>."
    )
    assert render_inline("Tap __Done__ or _wait_.") == "Tap <strong>Done</strong> or <em>wait</em>."
    assert render_inline("Type `Sync Test`.") == "Type <code>Sync Test</code>."


def test_inline_code_shows_markup_inside_it_as_text() -> None:
    assert render_inline("Type `<b>*not bold*</b>`") == (
        "Type <code>&lt;b&gt;*not bold*&lt;/b&gt;</code>"
    )


def test_a_web_link_opens_in_a_new_tab_and_says_so() -> None:
    drawn = render_inline("See [Apple's page](https://support.apple.com/en-gb/102651).")
    assert drawn == (
        f'See <a href="https://support.apple.com/en-gb/102651" {NEW_TAB}>'
        f"Apple's page{SAYS_SO}</a>."
    )


def test_a_plain_http_link_is_kept_as_written() -> None:
    assert f'<a href="http://example.com/a" {NEW_TAB}>here{SAYS_SO}</a>' in render_inline(
        "[here](http://example.com/a)"
    )


def test_a_mail_link_stays_in_place_without_a_new_tab() -> None:
    drawn = render_inline("Write to [support](mailto:help@example.com).")
    assert drawn == (
        'Write to <a href="mailto:help@example.com" rel="noopener noreferrer">support</a>.'
    )


def test_bare_web_and_mail_addresses_still_become_links() -> None:
    drawn = render_inline("Open apple.com/support/systemstatus or write to help@example.com.")
    assert f'<a href="https://apple.com/support/systemstatus" {NEW_TAB}>' in drawn
    assert '<a href="mailto:help@example.com" rel="noopener noreferrer">help@example.com</a>' in (
        drawn
    )
    assert drawn.count(SAYS_SO) == 1  # only the web link


def test_an_address_typed_with_http_keeps_http() -> None:
    assert '<a href="http://example.com"' in render_inline("Open http://example.com now.")


def test_lists_in_block_text() -> None:
    drawn = render_block("Check:\n\n- the cable\n- the **switch**\n\n3. third\n4. fourth")
    assert "<ul>\n<li>the cable</li>\n<li>the <strong>switch</strong></li>\n</ul>" in drawn
    assert '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>' in drawn


def test_paragraphs_and_line_breaks_in_block_text() -> None:
    assert render_block("One\ntwo\n\nThree") == "<p>One<br>\ntwo</p>\n<p>Three</p>"


def test_inline_text_has_no_paragraphs_or_lists() -> None:
    drawn = render_inline("- one\n1. two\n\nthree")
    assert "<li>" not in drawn
    assert "<p>" not in drawn
    assert text_of(drawn) == "- one\n1. two\n\nthree"


def test_a_backslash_keeps_a_star_a_star() -> None:
    assert render_inline(r"5 \* 3 and \*not italic\*") == "5 * 3 and *not italic*"


# --- what stays text -----------------------------------------------------------

SHOWN_AS_TYPED = [
    pytest.param("<b>bold</b> <i>it</i>", id="raw inline HTML"),
    pytest.param("<script>alert(1)</script>", id="script tag"),
    pytest.param('<img src="x.png" onerror="alert(1)">', id="img tag"),
    pytest.param('<a href="page.html">link</a>', id="raw link"),
    pytest.param("<!-- a comment -->", id="comment"),
    pytest.param("# Heading", id="heading"),
    pytest.param("Title\n=====", id="underlined heading"),
    pytest.param("| a | b |\n|---|---|\n| 1 | 2 |", id="table"),
    pytest.param("> quoted", id="block quote"),
    pytest.param("~~~\nfenced\n~~~", id="fenced code"),
    pytest.param("    indented code", id="indented code"),
    pytest.param("~~struck~~", id="strikethrough"),
    pytest.param("***", id="rule"),
    pytest.param("&lt;b&gt; &#106;", id="entities"),
    pytest.param("{{ request }} {% debug %}", id="template syntax"),
]


@pytest.mark.parametrize("text", SHOWN_AS_TYPED)
def test_everything_outside_the_subset_is_shown_as_typed(text: str) -> None:
    for drawn in (render_block(text), render_inline(text)):
        tags = set(re.findall(r"<([a-z0-9]+)", drawn))
        assert tags <= {"p", "br"}, drawn
        assert text_of(drawn).strip() == text.strip()


def test_an_address_inside_raw_html_is_a_safe_link_and_the_tag_stays_text() -> None:
    drawn = render_inline('<a href="https://example.com">x</a>')
    assert drawn.startswith('&lt;a href="<a href="https://example.com" target="_blank"')
    assert drawn.endswith('"&gt;x&lt;/a&gt;')


def test_an_image_is_not_shown_and_loads_nothing() -> None:
    drawn = render_block("![logo](https://evil.example/logo.png)")
    assert "<img" not in drawn
    assert "src=" not in drawn
    assert "logo" in text_of(drawn)


def test_a_link_title_is_dropped() -> None:
    drawn = render_inline('[x](https://example.com "a title")')
    assert "title" not in drawn
    assert f'<a href="https://example.com" {NEW_TAB}>x{SAYS_SO}</a>' == drawn


# --- link rules ----------------------------------------------------------------

DROPPED_TARGETS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "java%0ascript:alert(1)",
    "<java\tscript:alert(1)>",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "ftp://example.com/file",
    "tel:+441234567890",
    "/admin/",
    "../secret",
    "#top",
    "//evil.example/x",
    "http:evil.example",
    "https://",
    "mailto:",
]


@pytest.mark.parametrize("target", DROPPED_TARGETS)
def test_a_link_to_anything_but_http_or_mailto_keeps_its_text_only(target: str) -> None:
    drawn = render_inline(f"Tap [here]({target}) now.")
    assert "<a" not in drawn
    assert "href" not in drawn
    assert drawn == "Tap here now."


def test_a_bare_protocol_relative_or_ftp_address_is_not_a_link() -> None:
    drawn = render_inline("See //evil.example/x or ftp://example.com/f")
    assert "<a" not in drawn
    assert text_of(drawn) == "See //evil.example/x or ftp://example.com/f"


def test_quotes_in_a_link_cannot_break_out_of_its_attribute() -> None:
    drawn = render_inline('[x](https://example.com/"onmouseover="alert(1))')
    assert "onmouseover=" not in drawn.replace("%22onmouseover=%22", "")
    assert drawn.startswith('<a href="https://example.com/%22onmouseover=%22alert(1)"')


def test_link_target_accepts_only_http_https_and_mailto() -> None:
    assert link_target("https://example.com") == "https://example.com"
    assert link_target("HTTP://example.com") == "HTTP://example.com"
    assert link_target("mailto:a@example.com") == "mailto:a@example.com"
    assert link_target("https://[oops") is None
    for target in ("javascript:alert(1)", "data:,x", "//example.com", "/x", "x", ""):
        assert link_target(target) is None


# --- the sanitiser, on its own --------------------------------------------------


def test_the_sanitiser_alone_keeps_only_the_subsets_tags_and_attributes() -> None:
    hostile = (
        '<p onclick="alert(1)" style="color:red" class="x">a</p>'
        '<a href="javascript:alert(1)" target="_top">b</a>'
        '<a href="/admin/">c</a>'
        '<span class="evil visually-hidden">d</span>'
        '<img src="https://evil.example/x.png"><iframe src="https://evil.example"></iframe>'
        "<script>alert(1)</script><style>*{}</style><svg onload=alert(1)></svg>"
        '<ol start="2" reversed><li>e</li></ol>'
    )
    assert sanitise(hostile) == (
        '<p>a</p><a rel="noopener noreferrer">b</a><a rel="noopener noreferrer">c</a>'
        '<span class="visually-hidden">d</span><ol start="2"><li>e</li></ol>'
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "target", "rel"},
    "ol": {"start"},
    "span": {"class"},
}

MARKUP_BITS = st.sampled_from(
    ["*", "**", "_", "`", "[", "]", "(", ")", "<", ">", "!", "\n", "\n\n", "- ", "1. ", "# ",
     "&", "&#", ";", '"', "'", ":", "javascript:", "https://", "mailto:", "//", "x.com",
     "a@b.co", "<script>", "<img src=x onerror=alert(1)>", " ", "\\", "|", "~~", "="]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MARKUP_BITS, st.text(max_size=4)), max_size=30).map("".join))
def test_any_text_gives_only_the_subsets_tags_attributes_and_links(text: str) -> None:
    for drawn in (render_block(text), render_inline(text)):
        parser = _Tags()
        parser.feed(drawn)
        for tag, attrs in parser.found:
            assert tag in ALLOWED_TAGS, drawn
            assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()), drawn
            if tag == "a" and attrs.get("href") is not None:
                assert link_target(str(attrs["href"])) is not None, drawn
            if tag == "span":
                assert attrs["class"] == "visually-hidden", drawn


# --- where the subset applies ----------------------------------------------------


def test_titles_prompts_and_labels_stay_plain_text() -> None:
    question = Question(
        id="q",
        prompt="Is **it** <b>on</b>?",
        help="Look at the **switch**.",
        choices=(Choice(id="yes", label="*Yes* <i>"),),
    )
    heading = step_text("question_heading", question)
    assert ">Is **it** &lt;b&gt;on&lt;/b&gt;?</h2>" in heading
    assert "Look at the <strong>switch</strong>." in heading
    assert ">*Yes* &lt;i&gt;</button>" in step_text("question_choices", question)
    fix = Fix(
        id="f", title="**Restart**", why="It *often* helps.", steps=("Hold `Side`",),
        minutes=1, chance=0.1, note="Takes [a minute](https://example.com).",
    )  # fmt: skip
    assert ">**Restart**</h2>" in step_text("fix_heading", fix)
    body = step_text("fix_body", fix)
    assert '<p class="why">It <em>often</em> helps.</p>' in body
    assert "<li>Hold <code>Side</code></li>" in body
    assert f'Takes <a href="https://example.com" {NEW_TAB}>a minute{SAYS_SO}</a>' in body


def test_every_shipped_guides_text_reads_as_typed(shipped_guide: Any) -> None:
    """No text in a shipped guide is changed by the subset: every character typed
    is still read, and it links the same addresses as Django's urlize did."""
    prose = [(render_block, q.help) for q in shipped_guide.questions if q.help]
    for fix in shipped_guide.fixes:
        prose += [(render_inline, fix.why), (render_inline, fix.note)]
        prose += [(render_inline, line) for line in fix.steps]
    for outcome in shipped_guide.outcomes.values():
        prose += [(render_block, outcome.body)] + [(render_inline, s) for s in outcome.steps]
    links = 0
    for render, text in prose:
        drawn = render(text)
        read = text_of(drawn.replace(SAYS_SO, "")).strip()
        assert re.sub(r"\s+", " ", read) == re.sub(r"\s+", " ", text.strip())
        linked = re.findall(r'href="([^"]+)"', drawn)
        assert linked == re.findall(r'href="([^"]+)"', linkify(text))
        links += len(linked)
    assert links > 0


# --- telling authors about links shown as text only --------------------------------


def test_links_shown_as_text_only_are_listed_for_the_author() -> None:
    text = "[Apple](support.apple.com) [ok](https://apple.com) [x](javascript:alert(1)) //a.b"
    assert dropped_links(text) == ["support.apple.com", "javascript:alert(1)"]  # not bare text
    assert dropped_links("Open icloud.com or [Apple](https://apple.com).") == []


def test_a_guide_with_a_link_shown_as_text_only_gets_a_warning_naming_the_step() -> None:
    data = tomllib.loads(
        SMALL_GUIDE.format(slug="printer").replace(
            '"Plug it back in."', '"Plug it back in ([how](apple.com/help))."'
        )
    )
    (warning,) = guide_warnings(engine.load_guide(data))
    assert warning.startswith("fix:replug: steps[2]: the link to 'apple.com/help' is shown as")


@pytest.mark.django_db
def test_the_system_check_warns_and_still_starts(
    tmp_path: Path, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SMALL_GUIDE.format(slug="printer").replace(
        'body = "Glad that worked."', 'body = "Glad that worked. [Tell us](/feedback/)."'
    )
    (tmp_path / "printer.toml").write_text(text, "utf-8")
    settings.HELPDESK_GUIDES_DIR = tmp_path
    (warning,) = check_guide_links()
    assert warning.id == "guides.W001"
    assert warning.msg.startswith("printer.toml: outcome:fixed: body: the link to '/feedback/'")
    call_command("check")  # a warning, not an error: nothing stops
    assert "guides.W001" in capsys.readouterr().err


def test_the_shipped_guides_have_no_link_warnings(shipped_guide: engine.Guide) -> None:
    assert guide_warnings(shipped_guide) == []
