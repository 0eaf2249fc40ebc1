"""Which diagnosis belongs to this browser, and start tickets.

A browser's diagnoses are kept in its session: the Django session on the
site, or a :class:`~diagnostics.embed.tokens.TokenSession` rebuilt from a
signed token inside another site's iframe (no cookies there). Either maps a
guide's slug to the id of the diagnosis in progress, and remembers the ids it
has owned, so a form from an old tab can be told from someone else's.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from diagnostics.flow.errors import FlowError, NotYourDiagnosis, OldForm, SessionExpired
from diagnostics.models import Diagnosis, Guide, guide_for_version

SESSION_KEY = "diagnoses"  # {guide slug: diagnosis id} for this browser
HISTORY_KEY = "diagnosis_history"  # ids this browser has owned, newest last
HISTORY_LENGTH = 20

Session = MutableMapping[str, Any]


def session_diagnosis(*, session: Session, slug: str) -> Diagnosis | None:
    """This browser's diagnosis for the guide ``slug``, or None.

    One query without joins: the guide comes from the in-process cache of
    parsed versions (:func:`~diagnostics.models.guide_for_version`). A session
    whose ``resumes_started_over`` is False (an embed token, which lives on in
    the iframe's history) gets None for a diagnosis its person started over from.
    """
    diagnosis_id = session.get(SESSION_KEY, {}).get(slug)
    if not diagnosis_id:
        return None
    try:
        diagnosis = Diagnosis.objects.get(pk=diagnosis_id)
    except (Diagnosis.DoesNotExist, ValueError):
        return None
    if guide_for_version(diagnosis.guide_version_id).slug != slug:
        return None
    if diagnosis.started_over and not getattr(session, "resumes_started_over", True):
        return None
    return diagnosis


def check_ownership(*, session: Session, slug: str, posted_id: str) -> Diagnosis:
    """The session's diagnosis for the guide ``slug``, provided the form was posted for it.

    Raises :class:`SessionExpired` when the browser has no diagnosis any more,
    :class:`OldForm` when the form came from an earlier diagnosis of this
    browser (an old tab), and :class:`NotYourDiagnosis` for anything else.
    """
    diagnosis = session_diagnosis(session=session, slug=slug)
    if diagnosis is not None and str(diagnosis.pk) == posted_id:
        return diagnosis
    if posted_id in session.get(HISTORY_KEY, []):
        if diagnosis is None:
            raise SessionExpired
        raise OldForm
    if diagnosis is None and not session.get(HISTORY_KEY):
        raise SessionExpired
    raise NotYourDiagnosis


def remember(session: Session, slug: str, diagnosis: Diagnosis) -> None:
    """Make ``diagnosis`` this browser's current one for the guide ``slug``."""
    session[SESSION_KEY] = {**session.get(SESSION_KEY, {}), slug: str(diagnosis.pk)}
    history = [*session.get(HISTORY_KEY, []), str(diagnosis.pk)]
    session[HISTORY_KEY] = list(dict.fromkeys(history))[-HISTORY_LENGTH:]


# --- start tickets -------------------------------------------------------------

START_TICKET_AGE = 60 * 60 * 24  # seconds a start page's ticket counts; later, a fresh id
BROWSER_FIELD = "browser"  # the embed page's own random value, added to its start form by app.js


def _ticket_signer(slug: str) -> signing.TimestampSigner:
    # The salt predates the split of services.py; changing it would void open start pages.
    return signing.TimestampSigner(salt=f"diagnostics.services.start:{slug}")


def start_ticket(*, slug: str) -> str:
    """A signed, single-diagnosis ticket for the start form of the guide ``slug``.

    Together with the browser that posts it (:func:`browser_of`), it names the
    id the diagnosis will get, so the same Start posted twice by one browser
    (a double click without JavaScript, a retried request) opens one
    diagnosis, not two: the second post finds the first's and resumes it, as
    long as nothing has been answered in it yet (see
    :func:`~diagnostics.flow.commands.start_diagnosis`). Posted by any other
    browser, the same ticket names another id: a new diagnosis of its own,
    never the first browser's.
    """
    return _ticket_signer(slug).sign(str(uuid.uuid4()))


def browser_of(request: HttpRequest, *, posted: str) -> str:
    """A value only this browser has, to bind its start ticket to; '' when there is none.

    On the site, the CSRF cookie: a random secret per browser that other sites
    cannot read, set by the start page itself (its form carries the CSRF
    token), so even the first visit's double click sends it twice, and no
    session has to be saved just for showing a start page. Inside another
    site's iframe there are no cookies: the embed page makes a random value
    of its own and adds it to the start form (``posted``, see
    ``static/diagnostics/app.js``); a cross-site post cannot reach this far
    (:mod:`diagnostics.embed.origin`), so the value came from that page.
    Without JavaScript there is nothing to bind to.
    """
    if getattr(request.session, "cookieless", False):
        return posted
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")


def read_start_ticket(*, ticket: str, slug: str, browser: str) -> uuid.UUID | None:
    """The diagnosis id a start ticket names for ``browser``; None when there is none to go by.

    None for a form without a ticket (a page from before tickets), for an
    expired one (a start page left open for a day) and when the browser has
    nothing to bind the ticket to: those just start afresh. Raises
    :class:`FlowError` for a ticket that was not issued for this guide.
    """
    if not ticket:
        return None
    try:
        issued = _ticket_signer(slug).unsign(ticket, max_age=START_TICKET_AGE)
        uuid.UUID(issued)
    except signing.SignatureExpired:
        return None
    except (signing.BadSignature, ValueError):
        raise FlowError from None
    if not browser:
        return None
    salt = "diagnostics.flow.ownership.ticket"
    digest = salted_hmac(salt, f"{issued}:{browser}", algorithm="sha256").digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def same_start(diagnosis_id: uuid.UUID, guide: Guide) -> Diagnosis | None:
    """The diagnosis a repeated Start opened, if it is still untouched at its start."""
    started = Diagnosis.objects.filter(
        pk=diagnosis_id, revision=0, status=Diagnosis.Status.IN_PROGRESS, started_over=False
    ).first()
    if started is None or guide_for_version(started.guide_version_id).slug != guide.slug:
        return None
    return started
