"""The guide-file format, both ways: TOML text to plain data, and plain data to canonical text.

Pure Python (no Django): drafts keep a guide as plain data, in exactly the
shape ``tomllib`` reads from a guide file; export writes it back as one
canonical text, whatever order or spacing the data came in:

* the tables in the guide-file order: ``[guide]``, every ``[[question]]`` with
  its ``[[question.choice]]`` tables, every ``[[fix]]`` with its
  ``[[fix.chance_if]]`` tables, every ``[[outcome]]``;
* the keys of each table in the order ``docs/writing-guides.md`` lists them,
  any other key after them in alphabetical order;
* conditions (``ask_if``, ``when``) as one-line inline tables, their
  questions in alphabetical order; lists of texts one item per line.

Comments are not kept: they are not data. :func:`to_toml` checks that the
text it writes reads back as the same data.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping
from typing import Any

KEY_ORDER: dict[str, tuple[str, ...]] = {
    "": ("guide", "question", "fix", "outcome"),
    "guide": (
        "slug",
        "title",
        "summary",
        "resolved",
        "exhausted",
        "support_minutes",
        "prior_strength",
    ),
    "question": ("id", "prompt", "help", "minutes", "device", "gate", "ask_if", "choice"),
    "question.choice": ("id", "label", "next", "chance"),
    "fix": ("id", "title", "why", "steps", "minutes", "penalty", "chance", "when", "note"),
    "fix.chance_if": ("when", "chance"),
    "outcome": ("id", "kind", "title", "body", "steps"),
}

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class GuideTextError(ValueError):
    """Text that is not a guide file: not TOML, or not a table of guide data."""


def from_toml(text: str) -> dict[str, Any]:
    """The plain data of a guide file's text; :class:`GuideTextError` if it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GuideTextError(f"This is not valid TOML: {error}") from None


def _ordered(table: Mapping[str, Any], path: str) -> list[str]:
    known = KEY_ORDER.get(path, ())
    return [k for k in known if k in table] + sorted(k for k in table if k not in known)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(value: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _inline(value: Any) -> str:
    """One value on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pairs = sorted(value.items())  # a condition's questions have no order
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in pairs) + " }"
    raise GuideTextError(f"a guide file cannot hold {type(value).__name__} values")


def _value(value: Any) -> str:
    """A value after ``key =``: lists of two or more texts get a line per item."""
    if isinstance(value, list) and len(value) > 1 and all(isinstance(v, str) for v in value):
        return "[\n" + "".join(f"    {_string(v)},\n" for v in value) + "]"
    return _inline(value)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(lines: list[str], header: str, table: Mapping[str, Any], path: str) -> None:
    lines.append(header)
    keys = _ordered(table, path)
    lines.extend(f"{_key(k)} = {_value(table[k])}" for k in keys if not _is_tables(table[k]))
    for key in keys:
        if _is_tables(table[key]):
            for item in table[key]:
                lines.append("")
                _table(lines, f"[[{path}.{_key(key)}]]", item, f"{path}.{key}")


def to_toml(data: Mapping[str, Any], *, header: str = "") -> str:
    """The canonical text of a guide's plain data; ``header`` becomes comment lines on top.

    Raises :class:`GuideTextError` if the data cannot be written so that it
    reads back the same (a value TOML cannot hold).
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    keys = _ordered(data, "")
    # Values outside any table must come before the first table header.
    plain = [k for k in keys if not isinstance(data[k], dict) and not _is_tables(data[k])]
    if plain and lines:
        lines.append("")
    lines.extend(f"{_key(k)} = {_value(data[k])}" for k in plain)
    for key in keys:
        value = data[key]
        tables = [value] if isinstance(value, dict) else value if _is_tables(value) else []
        for item in tables:
            if lines:
                lines.append("")
            header_line = f"[{_key(key)}]" if isinstance(value, dict) else f"[[{_key(key)}]]"
            _table(lines, header_line, item, key)
    text = "\n".join(lines) + "\n"
    if from_toml(text) != data:
        raise GuideTextError("the guide's data cannot be written as a guide file unchanged")
    return text
