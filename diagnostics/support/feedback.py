"""Feedback: "Was this helpful?" on every end screen, one answer per diagnosis."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from diagnostics import engine, events
from diagnostics.models import Diagnosis, Feedback, guide_for_version
from diagnostics.support.text import plain_text


class FeedbackRefused(Exception):
    """No feedback was stored; the kinds below say why."""


class NotAnEnd(FeedbackRefused):
    """The diagnosis is not on an end screen (an outcome)."""


class AlreadyAnswered(FeedbackRefused):
    """This diagnosis already has its feedback."""


def record_feedback(
    *, diagnosis: Diagnosis, step: engine.Step, helpful: bool, comment: str
) -> Feedback:
    """Store the answer for ``diagnosis``, whose current step is ``step`` (an end screen)."""
    if not isinstance(step, engine.Outcome):
        raise NotAnEnd
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                diagnosis=diagnosis, helpful=helpful, comment=plain_text(comment)
            )
    except IntegrityError:  # a second answer, or a double submit
        raise AlreadyAnswered from None
    guide = guide_for_version(diagnosis.guide_version_id).slug
    events.emit("feedback", diagnosis, guide=guide, helpful="yes" if helpful else "no")
    return feedback
