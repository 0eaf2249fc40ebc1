"""The app's URLs plus ``/floor/``, the benchmark's floor (see floor_settings.py)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from diagnostics.flow import ownership
from diagnostics.models import Answer, Diagnosis
from helpdesk.urls import handler400, handler404, handler500
from helpdesk.urls import urlpatterns as app_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

SLUG = "icloud-contacts"


@require_POST
def floor(request: HttpRequest) -> HttpResponse:
    """A step POST's unavoidable part: session, diagnosis, compare-and-swap, answer row."""
    diagnosis = ownership.session_diagnosis(session=request.session, slug=SLUG)
    if diagnosis is None:
        return HttpResponse("no diagnosis in this session\n", status=400)
    with transaction.atomic():
        moved = Diagnosis.objects.filter(pk=diagnosis.pk, revision=diagnosis.revision).update(
            revision=F("revision") + 1
        )
        if moved:  # a made-up question per revision, as the unique constraint wants
            question = f"floor-{diagnosis.revision}"
            Answer(diagnosis=diagnosis, position=1, question=question, choice="yes").save(
                force_insert=True
            )
    return HttpResponse(b"moved\n" if moved else b"stale\n", content_type="text/plain")


urlpatterns = [path("floor/", floor), *app_urlpatterns]
