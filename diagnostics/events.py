"""One structured log line per diagnosis event, for operations.

Each event is a single JSON object on one line (logger ``helpdesk.events``),
for example::

    {"event": "diagnosis.answered", "ts": "2026-11-23T22:40:01.123Z",
     "diagnosis": "6f1c…", "support_code": "K7P-4QX", "guide": "icloud-contacts",
     "guide_version_id": 3, "step": "question:account", "choice": "icloud",
     "next": "question:icloud_web"}

Events: ``started``, ``answered``, ``fix_result``, ``back``,
``answered_again`` (an earlier step answered again, replacing the answers
after it; followed by its ``answered`` or ``fix_result``), ``restarted``,
``resolved``, ``escalated``, ``ticket_opened`` (the escalation form was sent:
whether an email and a phone number were given, never what they are) and
``feedback`` ("Was this helpful?": ``helpful`` yes or no; never the comment).
Only ids, codes and step/choice ids from the guide are logged: never free text,
addresses, cookies or anything else that could identify a person.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from diagnostics import engine

if TYPE_CHECKING:
    from diagnostics.models import Diagnosis

logger = logging.getLogger("helpdesk.events")

EVENTS = frozenset(
    {
        "started",
        "answered",
        "fix_result",
        "back",
        "answered_again",
        "restarted",
        "resolved",
        "escalated",
        "ticket_opened",
        "feedback",
    }
)


def emit(event: str, diagnosis: Diagnosis, *, guide: str, **fields: str | int) -> None:
    """Log one event about ``diagnosis`` (of the guide with slug ``guide``)."""
    if event not in EVENTS:
        raise ValueError(f"unknown diagnosis event {event!r}")
    if not logger.isEnabledFor(logging.INFO):
        return
    record = {
        "event": f"diagnosis.{event}",
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "diagnosis": str(diagnosis.pk),
        "support_code": diagnosis.support_code,
        "guide": guide,
        "guide_version_id": diagnosis.guide_version_id,
        **fields,
    }
    logger.info(json.dumps(record, ensure_ascii=True, separators=(",", ":")))


def step_done(
    diagnosis: Diagnosis, *, guide: str, step: str, choice: str, next_step: engine.Step
) -> None:
    """An answer or a fix result was saved; also log the outcome it led to, if any."""
    kind, step_id = engine.split_key(step)
    following = engine.step_key(next_step)
    if kind == "fix":
        emit("fix_result", diagnosis, guide=guide, fix=step_id, result=choice, next=following)
    else:
        emit("answered", diagnosis, guide=guide, step=step, choice=choice, next=following)
    if isinstance(next_step, engine.Outcome):
        event = "escalated" if next_step.outcome == "escalate" else "resolved"
        emit(event, diagnosis, guide=guide, outcome=next_step.id, kind=next_step.outcome)
