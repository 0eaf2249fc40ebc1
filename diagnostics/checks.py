"""A system check that validates every guide file, so a broken guide stops start-up."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from diagnostics.guide_files import guide_problems


@register("guides")
def check_guides(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(problem, hint="Fix the guide file, then run the command again.", id="guides.E001")
        for problem in guide_problems()
    ]
