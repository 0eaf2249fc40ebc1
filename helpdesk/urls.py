from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from diagnostics.insight.admin import dashboard_urls

admin.site.site_header = "Help desk administration"
admin.site.site_title = "Help desk admin"

# A database outage gets a friendly 503 page instead of a generic 500, and a body
# Django refused to parse gets a 400, never a 500 (ops/errors.py).
handler400 = "ops.errors.bad_request"
handler500 = "ops.errors.server_error"
# Unknown pages: the 404 page, or only a panel for htmx requests.
handler404 = "diagnostics.flow.views.not_found"

urlpatterns = [
    # The staff dashboard: an admin page of its own (diagnostics/insight/).
    *dashboard_urls(),
    # Staff walking a guide draft: the flow's views again (diagnostics/authoring/preview.py).
    path("admin/preview/", include("diagnostics.authoring.preview_urls", namespace="preview")),
    path("admin/", admin.site.urls),
    # The flow for other sites' iframes: the same views, identified by a signed
    # token instead of the session cookie (diagnostics/embed/).
    path("embed/", include("diagnostics.embed.urls", namespace="embed")),
    path("", include("diagnostics.flow.urls")),
]
