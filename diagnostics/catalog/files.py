"""Reading guide files (TOML) from disk and validating them.

Used by the ``load_guides`` command and by the system check. Both go through
:func:`check_guide_file`, which uses the engine's one validator
(:func:`diagnostics.engine.guide_problems`), so they apply the same rules and
report problems the same way: the file, then the step.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from diagnostics import engine
from diagnostics.catalog import richtext


class GuideFileError(ValueError):
    """A guide file that cannot be loaded; the message names the file and the step."""


@dataclass(frozen=True)
class GuideFile:
    path: Path
    source: str
    checksum: str
    data: dict[str, Any]
    guide: engine.Guide


def guides_dir() -> Path:
    return Path(settings.HELPDESK_GUIDES_DIR)


def guide_paths(directory: Path | None = None) -> list[Path]:
    return sorted((directory or guides_dir()).glob("*.toml"))


def check_guide_file(path: Path) -> tuple[GuideFile | None, list[str]]:
    """The checked guide file (None if it has problems), and every problem in it."""
    try:
        raw = path.read_bytes()
        source = raw.decode("utf-8")
        data = tomllib.loads(source)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return None, [f"{path.name}: {error}"]
    guide, errors = engine.guide_problems(data)
    problems = [f"{path.name}: {error}" for error in errors]
    if guide is not None and guide.slug != path.stem:
        problems.append(f"{path.name}: guide: slug '{guide.slug}' must match the file name")
    if problems or guide is None:
        return None, problems
    checksum = hashlib.sha256(raw).hexdigest()
    return GuideFile(path=path, source=source, checksum=checksum, data=data, guide=guide), []


def read_guide_file(path: Path) -> GuideFile:
    """Parse and fully validate one guide file, or raise :class:`GuideFileError`
    with its first problem."""
    guide_file, problems = check_guide_file(path)
    if guide_file is None:
        raise GuideFileError(problems[0])
    return guide_file


def guide_problems(directory: Path | None = None) -> list[str]:
    """Every problem in every guide file of ``directory`` (one message each)."""
    return [problem for path in guide_paths(directory) for problem in check_guide_file(path)[1]]


def guide_warnings(directory: Path | None = None) -> list[str]:
    """What the valid guide files of ``directory`` would show otherwise than their
    authors probably meant (links shown as text only), one message each."""
    found = []
    for path in guide_paths(directory):
        guide_file, _ = check_guide_file(path)
        if guide_file is not None:
            found += [f"{path.name}: {note}" for note in richtext.guide_warnings(guide_file.guide)]
    return found
