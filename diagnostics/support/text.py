"""Free text typed by people: kept as plain text only."""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import strip_tags

# Control characters other than newline and tab (they have no place in a message
# and can hide text from whoever reads it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain_text(value: str) -> str:
    """``value`` without HTML tags or control characters, in NFC, trimmed.

    Tags are removed, not escaped: no HTML is ever kept, whatever shows it later.
    """
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = strip_tags(text)
    # strip_tags keeps the "<" of text such as "a < b"; the "<" that would
    # open a tag (an unclosed "<script", say) goes too.
    text = re.sub(r"<(?=[A-Za-z!/?])", "", text)
    return _CONTROL.sub("", text).strip()
