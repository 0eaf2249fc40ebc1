"""The same flow under ``/embed/``, for other sites' iframes (see diagnostics/embed/)."""

from __future__ import annotations

from django.urls import path

from diagnostics.embed.views import embedded, theme_css
from diagnostics.flow import urls

app_name = "diagnostics"

urlpatterns = [
    path("theme/<int:pk>.css", theme_css, name="theme"),
    *(
        path(str(pattern.pattern), embedded(pattern.callback), name=pattern.name)
        for pattern in urls.urlpatterns
    ),
]
