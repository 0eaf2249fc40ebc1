"""The same flow under ``/embed/``, for other sites' iframes (see diagnostics/embed.py)."""

from __future__ import annotations

from django.urls import path

from diagnostics import urls
from diagnostics.embed import embedded

app_name = "diagnostics"

urlpatterns = [
    path(str(pattern.pattern), embedded(pattern.callback), name=pattern.name)
    for pattern in urls.urlpatterns
]
