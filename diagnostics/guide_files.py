"""Reading guide files (TOML) from disk and validating them.

Used by the ``load_guides`` command and by the system check, so both apply the
same rules and report problems the same way: the file, then the step.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from diagnostics import engine


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


def read_guide_file(path: Path) -> GuideFile:
    """Parse and fully validate one guide file, or raise :class:`GuideFileError`."""
    try:
        raw = path.read_bytes()
        source = raw.decode("utf-8")
        data = tomllib.loads(source)
        guide = engine.load_guide(data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, engine.GuideError) as error:
        raise GuideFileError(f"{path.name}: {error}") from error
    if guide.slug != path.stem:
        raise GuideFileError(f"{path.name}: guide: slug '{guide.slug}' must match the file name")
    return GuideFile(
        path=path,
        source=source,
        checksum=hashlib.sha256(raw).hexdigest(),
        data=data,
        guide=guide,
    )


def guide_problems(directory: Path | None = None) -> list[str]:
    """Every problem in every guide file of ``directory`` (one message each)."""
    problems = []
    for path in guide_paths(directory):
        try:
            data = tomllib.loads(path.read_text("utf-8"))
            guide = engine.parse_guide(data)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, engine.GuideError) as error:
            problems.append(f"{path.name}: {error}")
            continue
        problems.extend(f"{path.name}: {error}" for error in engine.validate_guide(guide))
        if guide.slug != path.stem:
            problems.append(f"{path.name}: guide: slug '{guide.slug}' must match the file name")
    return problems
