"""Feedback: "Was this helpful?" on every end screen, one answer per diagnosis."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from diagnostics import engine
from diagnostics.models import Diagnosis, Feedback
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
            return Feedback.objects.create(
                diagnosis=diagnosis, helpful=helpful, comment=plain_text(comment)
            )
    except IntegrityError:  # a second answer, or a double submit
        raise AlreadyAnswered from None
