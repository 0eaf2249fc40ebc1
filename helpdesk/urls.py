from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Help desk administration"
admin.site.site_title = "Help desk admin"

# A database outage gets a friendly 503 page instead of a generic 500 (ops/errors.py).
handler500 = "ops.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("diagnostics.urls")),
]
