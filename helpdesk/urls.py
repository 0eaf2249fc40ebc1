from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Help desk administration"
admin.site.site_title = "Help desk admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("diagnostics.urls")),
]
