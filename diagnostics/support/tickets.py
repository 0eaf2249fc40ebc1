"""Tickets: a person's request for a human, from the escalation screen.

:func:`open_ticket` stores one ticket per diagnosis, only on an escalation
screen, within the daily cap per client network, and (when
``HELPDESK_SUPPORT_EMAIL`` is set) notifies support by email once the ticket
is saved. Anything refused raises a :class:`TicketRefused` kind, and nothing is
stored.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from diagnostics import engine, events
from diagnostics.models import Diagnosis, Ticket, guide_for_version
from diagnostics.support.text import plain_text

logger = logging.getLogger(__name__)


class TicketRefused(Exception):
    """A ticket was not stored; the kinds below say why."""


class TicketsOff(TicketRefused):
    """``HELPDESK_TICKETS`` is off."""


class NotEscalated(TicketRefused):
    """The diagnosis is not on an escalation screen."""


class AlreadySent(TicketRefused):
    """This diagnosis already has its ticket."""


class TooManyTickets(TicketRefused):
    """This client network sent ``HELPDESK_TICKETS_PER_NETWORK`` tickets in the last day."""


@dataclass(frozen=True)
class Contact:
    """What the person typed into the form (already checked by the form)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    message: str = ""


def tickets_on() -> bool:
    return settings.HELPDESK_TICKETS


def open_ticket(
    *, diagnosis: Diagnosis, step: engine.Step, contact: Contact, network: str
) -> Ticket:
    """Store the ticket for ``diagnosis``, whose current step is ``step``.

    ``network`` is the keyed hash of the client's network (never its address):
    at most ``HELPDESK_TICKETS_PER_NETWORK`` tickets come from one in 24 hours.
    The count and the insert are one transaction, one network at a time, so
    two sends at once cannot both slip under the cap.
    """
    if not tickets_on():
        raise TicketsOff
    if not (isinstance(step, engine.Outcome) and step.outcome == "escalate"):
        raise NotEscalated
    try:
        with transaction.atomic():
            if network:
                _one_at_a_time(network)
                since = timezone.now() - timedelta(days=1)
                sent = Ticket.objects.filter(diagnosis__network=network, created__gte=since)
                if sent.count() >= settings.HELPDESK_TICKETS_PER_NETWORK:
                    raise TooManyTickets
            ticket = Ticket.objects.create(
                diagnosis=diagnosis,
                name=plain_text(contact.name),
                email=contact.email.strip(),
                phone=plain_text(contact.phone),
                message=plain_text(contact.message),
            )
    except IntegrityError:  # a double submit: the first one stored it
        raise AlreadySent from None
    events.emit(
        "ticket_opened",
        diagnosis,
        guide=guide_for_version(diagnosis.guide_version_id).slug,
        email="yes" if ticket.email else "no",
        phone="yes" if ticket.phone else "no",
    )
    transaction.on_commit(lambda: _notify(ticket))
    return ticket


def _one_at_a_time(network: str) -> None:
    """Hold the network's lock until the transaction ends, on PostgreSQL.

    SQLite needs none: its transactions begin IMMEDIATE (settings), one writer
    at a time, so the count and the insert are already never interleaved.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"ticket-cap:{network}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, signed=True)])


def _notify(ticket: Ticket) -> None:
    """Email support about a new ticket, if an address is configured.

    The ticket is already saved: a mail server that fails loses no ticket, and
    the failure is logged without any personal data.
    """
    to = settings.HELPDESK_SUPPORT_EMAIL
    if not to:
        return
    try:
        send_mail(
            subject=f"[{settings.HELPDESK_SITE_NAME}] Help needed: {ticket.diagnosis.support_code}",
            message=_email_body(ticket),
            from_email=None,
            recipient_list=[to],
        )
    except Exception as error:  # any backend failure: the ticket stays, staff see it in the admin
        # The kind of failure only: a mail server's words may quote addresses.
        logger.error("Could not email support about ticket %s: %s", ticket.pk, type(error).__name__)


def _email_body(ticket: Ticket) -> str:
    diagnosis = ticket.diagnosis
    guide = guide_for_version(diagnosis.guide_version_id)
    admin_path = reverse("admin:diagnostics_ticket_change", args=[ticket.pk])
    return "\n".join(
        [
            f"A person asked for help with: {guide.title}",
            f"Support code: {diagnosis.support_code}",
            "",
            f"Name: {ticket.name or '(not given)'}",
            f"Email: {ticket.email or '(not given)'}",
            f"Phone: {ticket.phone or '(not given)'}",
            "",
            "Message:",
            ticket.message or "(none)",
            "",
            f"The ticket, with everything they tried, in the admin: {admin_path}",
        ]
    )
