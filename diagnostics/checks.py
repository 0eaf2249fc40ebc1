"""System checks: every guide file is valid (a broken guide stops start-up), a link
its Markdown would show as text only is pointed out, and, for deploys, people who
need a human are told how to reach one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from diagnostics.catalog.files import guide_problems, guide_warnings


@register("guides")
def check_guides(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(problem, hint="Fix the guide file, then run the command again.", id="guides.E001")
        for problem in guide_problems()
    ]


@register("guides")
def check_guide_links(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Links the guides' Markdown would show as text only: harmless, but seldom meant."""
    return [
        Warning(
            note,
            hint="Write the full address (https://…), or leave the text without [ ]( ).",
            id="guides.W001",
        )
        for note in guide_warnings()
    ]


@register(deploy=True)
def check_support_contact(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Escalation hands people to human support: a contact to show, or tickets, or both."""
    if settings.HELPDESK_SUPPORT_CONTACT.strip() or settings.HELPDESK_TICKETS:
        return []
    return [
        Warning(
            "Neither HELPDESK_SUPPORT_CONTACT nor HELPDESK_TICKETS is set, so when nothing "
            "works the escalation screen gives people a support code but no way to reach "
            "support.",
            hint="Set HELPDESK_SUPPORT_CONTACT to an email address, phone number or web page, "
            "or turn HELPDESK_TICKETS on so people can send support a message.",
            id="diagnostics.W001",
        )
    ]
