"""The flow's addresses once more, under ``/admin/preview/``, for walking drafts.

The same names as ``diagnostics.flow.urls`` (this is an instance of the
``diagnostics`` URL namespace called ``preview``), so the flow's templates and
views, which reverse with the current namespace, stay inside the preview.
"""

from __future__ import annotations

from django.urls import path

from diagnostics.authoring import preview
from diagnostics.flow import views

app_name = "diagnostics"

urlpatterns = [
    path("", preview.previewed(preview.no_list), name="guide_list"),
    path("guides/<slug:slug>/", preview.previewed(preview.resume), name="guide"),
    path(
        "guides/<slug:slug>/step/<int:position>/",
        preview.previewed(views.step_page),
        name="step",
    ),
    path("guides/<slug:slug>/start/", preview.previewed(preview.resume), name="start"),
    path("guides/<slug:slug>/answer/", preview.previewed(views.answer), name="answer"),
    path("guides/<slug:slug>/back/", preview.previewed(views.back), name="back"),
    path("guides/<slug:slug>/restart/", preview.previewed(preview.restart), name="restart"),
    # A preview sends nothing to support and keeps no feedback: the forms show as
    # people see them, and posting them leads back to the preview's current step.
    path("guides/<slug:slug>/escalate/", preview.previewed(preview.resume), name="escalate"),
    path("guides/<slug:slug>/feedback/", preview.previewed(preview.resume), name="feedback"),
]
