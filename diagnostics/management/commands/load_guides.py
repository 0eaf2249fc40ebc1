"""``python manage.py load_guides``: validate the guide files and publish them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diagnostics.catalog.files import GuideFileError, guide_paths, guides_dir, read_guide_file
from diagnostics.catalog.publishing import publish_guide


class Command(BaseCommand):
    help = (
        "Validate every guide file and load it into the database. Unchanged files are "
        "skipped; a changed file becomes a new version of its guide."
    )
    requires_system_checks: ClassVar[list[str]] = []  # broken guides are reported per file

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir", type=Path, default=None, help="Folder of *.toml guides (default: settings)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or guides_dir()
        paths = guide_paths(directory)
        if not paths:
            raise CommandError(f"No guide files (*.toml) found in {directory}.")
        files, problems = [], []
        for path in paths:
            try:
                files.append(read_guide_file(path))
            except GuideFileError as error:
                problems.append(str(error))
        if problems:  # all or nothing: never publish half a set of guides
            raise CommandError("Guides not loaded:\n" + "\n".join(f"  {p}" for p in problems))
        for guide_file in files:
            result = publish_guide(guide_file=guide_file)
            verb = "loaded as" if result.created else "unchanged at"
            self.stdout.write(f"{result.slug}: {verb} version {result.number}")
