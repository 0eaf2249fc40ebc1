"""What can go wrong with a post to the flow, and what the person is told.

:class:`FlowError` and its kinds are shown as an error page with their status
and title. The others are signals the views act on: each means nothing was
changed, and the person is shown the step they are really on.
"""

from __future__ import annotations


class FlowError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    status = 400
    title = "That didn't work"
    help = ""  # what the page says; empty: the usual words for its status


class InvalidChoice(FlowError):
    title = "That answer isn't one of the choices"


class NotYourDiagnosis(FlowError):
    status = 403
    title = "This diagnosis belongs to another browser"


class WrongMethod(FlowError):
    status = 405
    title = "This address only takes answers from the form"


class NotFound(FlowError):
    status = 404
    title = "Page not found"


class SessionExpired(FlowError):
    status = 410
    title = "Your session has ended"


class OldForm(Exception):  # a signal, not an error shown to the user
    """The form names an earlier diagnosis of this browser: a tab left open
    from before a Start over."""


class StaleStep(Exception):  # a signal, not an error shown to the user
    """The post answers a step that is no longer current (a double submit, an
    old tab of the same diagnosis, the browser's Back)."""


class LostRace(StaleStep):
    """Another post changed the diagnosis between reading it and writing the
    change (the compare-and-swap on its revision failed)."""


class ConfirmFirst(Exception):  # a signal: ask "Start over?" before doing it
    """Starting over would set answers aside, and the person has not confirmed it."""


# The escalation form and "Was this helpful?" (their services: diagnostics.support).


class NotOnThisScreen(FlowError):
    status = 409
    title = "This form belongs to another screen"
    help = (
        "That form can only be sent from the end of a guide, and your guide is somewhere"
        " else now, so nothing was sent. Your guide will take you to where you are."
    )


class TicketsOff(FlowError):
    status = 404
    title = "Messages to support are switched off"
    help = (
        "This help desk doesn't take messages for support here, so nothing was sent."
        " Your guide shows how to reach support."
    )


class TooManyMessages(FlowError):
    status = 429
    title = "Too many messages"
    help = (
        "Several messages to support came from your network today, so this one was not"
        " sent. Please try again tomorrow, or use your support code with the contact"
        " details your guide shows."
    )


class Unreadable(FlowError):
    title = "That form didn't make sense to us"
    help = (
        "Something in what was sent didn't look like it came from our form, so nothing was"
        " sent or stored. Please go back to your guide and try again."
    )
