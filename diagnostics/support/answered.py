"""What an end screen needs to know: has this diagnosis sent its ticket, its feedback?"""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.models import Diagnosis


@dataclass(frozen=True)
class Sent:
    ticket: bool
    feedback: bool


def sent(*, diagnosis: Diagnosis) -> Sent:
    """Whether the ticket and the feedback were sent: one query for both.

    Only whether: nothing the person typed is ever shown back to them.
    """
    row = (
        Diagnosis.objects.filter(pk=diagnosis.pk).values_list("ticket__id", "feedback__id").first()
    )
    ticket, feedback = row or (None, None)
    return Sent(ticket=ticket is not None, feedback=feedback is not None)
