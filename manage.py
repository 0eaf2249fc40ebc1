#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Reads the project's ``.env`` (written by ``make run``) when it exists, or the file
``HELPDESK_ENV_FILE`` names; real environment variables win over either. A
setting that is missing or wrong stops it with one line naming the variable.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    from helpdesk.env import start_up

    start_up(local_env_file=Path(__file__).resolve().parent / ".env")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
