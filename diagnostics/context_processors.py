from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": settings.HELPDESK_SITE_NAME,
        "support_contact": settings.HELPDESK_SUPPORT_CONTACT,
        # Staff walking a draft (diagnostics/authoring/preview.py): base.html says so.
        "previewing": getattr(getattr(request, "resolver_match", None), "namespace", "")
        == "preview",
    }
