from __future__ import annotations

from django.urls import path

from diagnostics.flow import views

app_name = "diagnostics"

urlpatterns = [
    path("", views.guide_list, name="guide_list"),
    path("guides/<slug:slug>/", views.guide_page, name="guide"),
    path("guides/<slug:slug>/step/<int:position>/", views.step_page, name="step"),
    path("guides/<slug:slug>/start/", views.start, name="start"),
    path("guides/<slug:slug>/answer/", views.answer, name="answer"),
    path("guides/<slug:slug>/back/", views.back, name="back"),
    path("guides/<slug:slug>/restart/", views.restart, name="restart"),
    path("guides/<slug:slug>/escalate/", views.escalate, name="escalate"),
    path("guides/<slug:slug>/feedback/", views.give_feedback, name="feedback"),
]
