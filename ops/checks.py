"""Deploy checks for this app's own production settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_rate_limit_counter(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Rate limits counted in a per-process cache do not hold across workers."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.HELPDESK_RATE_LIMIT_BACKEND == "cache" and not backend.endswith("RedisCache"):
        return [
            Warning(
                "Rate limits are counted in a per-process cache, so every worker and every "
                "web node allows the full limit.",
                hint="Set REDIS_URL, or HELPDESK_RATE_LIMIT_BACKEND=database.",
                id="ops.W001",
            )
        ]
    return []
