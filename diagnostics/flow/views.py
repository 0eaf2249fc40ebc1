"""Thin views: parse the input, call one command, render or redirect.

Every screen is one page template whose step panel is a ``{% partialdef %}``
(:func:`ops.pages.render_page`). An htmx request gets just the panel
(``step.html#panel``); a plain request gets the whole page, or a 303 redirect
after a POST (post/redirect/get).

Every step a person reaches has an address of its own,
``/guides/<slug>/step/<position>/``, so the browser's Back and Forward move
between steps (see "History and addresses" in docs/architecture.md). The
guide's address, ``/guides/<slug>/``, is the start screen, or leads to the
current step's address once a diagnosis is under way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_htmx.http import push_url, replace_url
from django_htmx.middleware import HtmxDetails

from diagnostics import engine
from diagnostics.flow import commands, ownership
from diagnostics.flow.errors import (
    ConfirmFirst,
    FlowError,
    NotFound,
    NotOnThisScreen,
    NotYourDiagnosis,
    OldForm,
    SessionExpired,
    StaleStep,
    TicketsOff,
    TooManyMessages,
    Unreadable,
    WrongMethod,
)
from diagnostics.flow.forms import (
    AnswerForm,
    DiagnosisForm,
    EscalateForm,
    FeedbackForm,
    RestartForm,
    StartForm,
)
from diagnostics.flow.links import address
from diagnostics.models import Diagnosis, Guide
from diagnostics.support import answered, feedback, tickets
from ops.errors import retry_url
from ops.pages import render_page
from ops.ratelimit import client_network

# A stale post: a double submit, an old tab, or a Start over in another tab.
STALE_NOTICE = "That page was out of date, so nothing was changed. Here is where you are now."


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# What pages show of a guide (slug, title, summary): the Guide row on the start
# screen, or the parsed version a diagnosis runs on, which needs no query.
type GuideInfo = Guide | engine.Guide


def _guide(slug: str) -> Guide:
    # The Guide row alone: pages show the parsed version from the per-process
    # cache (guide_for_version), and a Start needs only current_version_id.
    return get_object_or_404(Guide, slug=slug, current_version__isnull=False)


def _step(
    request: HtmxHttpRequest,
    guide: GuideInfo,
    state: commands.State | None,
    *,
    notice: str = "",
    latest: commands.State | None = None,
    forms: dict[str, EscalateForm | FeedbackForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The step page for ``state``; with ``latest``, ``state`` is an earlier step of it.

    An end screen also says whether its ticket and feedback were sent;
    ``forms`` are the escalation and feedback forms sent back with their errors.
    """
    context = {"guide": guide, "state": state, "notice": notice, "latest": latest}
    if state is None:  # the start screen
        context["start_ticket"] = ownership.start_ticket(slug=guide.slug)
    elif isinstance(state.step, engine.Outcome):
        context["sent"] = answered.sent(diagnosis=state.diagnosis)
        context["tickets_on"] = tickets.tickets_on()
        context["contact_retention_days"] = settings.HELPDESK_CONTACT_RETENTION_DAYS
        context.update(forms or {})
    return render_page(request, "diagnostics/step.html", context, status=status)


def _url(request: HtmxHttpRequest, name: str, *args: str | int) -> str:
    # current_app keeps embedded pages (a second instance of these URLs) embedded.
    return address(f"diagnostics:{name}", *args, namespace=request.resolver_match.namespace)


def _after_post(
    request: HtmxHttpRequest,
    guide: GuideInfo,
    state: commands.State,
    *,
    notice: str = "",
    moved: bool = True,
) -> HttpResponse:
    """htmx gets the new panel; a plain form post is redirected to the step's address.

    Either way the browser ends up at the step's own address. A step the
    person ``moved`` to gets a history entry of its own (htmx pushes the
    address, as the plain redirect does), so the browser's Back shows the step
    before it; otherwise (a Start, a stale post) htmx replaces the address.
    """
    url = _url(request, "step", guide.slug, state.position)
    if request.htmx:
        response = _step(request, guide, state, notice=notice)
        return push_url(response, url) if moved else replace_url(response, url)
    # An embed's stand-in session (diagnostics.embed.tokens.TokenSession) has no
    # cookie to carry a message in; htmx shows the notice in the panel instead.
    if notice and not getattr(request.session, "cookieless", False):
        messages.info(request, notice)
    return HttpResponseRedirect(url, status=303)


def _flow_error(request: HtmxHttpRequest, guide: GuideInfo, error: FlowError) -> HttpResponse:
    return render_page(
        request,
        "diagnostics/error.html",
        {"guide": guide, "title": error.title, "error": error},
        status=error.status,
    )


def _post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like ``require_POST``, but whoever opens the address gets a page, not a bare 405.

    These addresses only take the step forms; opening one (a pasted link, say)
    shows where to go instead, with status 405 and ``Allow: POST``.
    """

    @functools.wraps(view)
    def wrapper(request: HtmxHttpRequest, slug: str) -> HttpResponse:
        if request.method == "POST":
            return view(request, slug)
        response = _flow_error(request, _guide(slug), WrongMethod())
        response["Allow"] = "POST"
        return response

    return wrapper


@require_safe  # GET and HEAD (uptime monitors ask with HEAD)
def guide_list(request: HtmxHttpRequest) -> HttpResponse:
    guides = Guide.objects.filter(current_version__isnull=False)
    return render(request, "diagnostics/guide_list.html", {"guides": guides})


@never_cache  # Back/Forward must show where the diagnosis stands now, not a cached copy
@require_safe  # GET and HEAD (uptime monitors ask with HEAD)
def guide_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Start screen, or on to the current step of this browser's diagnosis for the guide."""
    diagnosis = ownership.session_diagnosis(session=request.session, slug=slug)
    if diagnosis is None:
        return _step(request, _guide(slug), None)
    state = commands.load_state(diagnosis=diagnosis)
    return HttpResponseRedirect(_url(request, "step", slug, state.position))


@never_cache  # Back/Forward must show the step as it stands now, not a cached copy
@require_safe
def step_page(request: HtmxHttpRequest, slug: str, position: int) -> HttpResponse:
    """The step at ``position`` of this browser's diagnosis for the guide.

    The current step; or an earlier one (reached with the browser's Back),
    shown as it was then, which changes nothing until it is answered again.
    Any other position (beyond the current step, or from a diagnosis this
    browser has since left) leads to the current step, or the start screen.
    """
    diagnosis = ownership.session_diagnosis(session=request.session, slug=slug)
    if diagnosis is None:
        return HttpResponseRedirect(_url(request, "guide", _guide(slug).slug))
    state = commands.load_state(diagnosis=diagnosis)
    if position == state.position:
        return _step(request, state.guide, state)
    earlier = commands.earlier_state(state=state, position=position)
    if earlier is None:
        return HttpResponseRedirect(_url(request, "step", slug, state.position))
    return _step(request, state.guide, earlier, latest=state)


@_post_only
def start(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Begin a diagnosis; if this browser already has one, resume it instead."""
    guide = _guide(slug)
    form = StartForm(request.POST)
    try:
        if not form.is_valid():
            raise FlowError
        ticket = ownership.read_start_ticket(
            ticket=form.cleaned_data["ticket"],
            slug=slug,
            browser=ownership.browser_of(request, posted=form.cleaned_data["browser"]),
        )
    except FlowError as error:
        return _flow_error(request, guide, error)
    diagnosis = ownership.session_diagnosis(session=request.session, slug=slug)
    if diagnosis is None:
        diagnosis = commands.start_diagnosis(
            session=request.session,
            guide=guide,
            diagnosis_id=ticket,
            network=client_network(request),
        )
    # The start screen is spent once the diagnosis exists: its address is replaced.
    return _after_post(request, guide, commands.load_state(diagnosis=diagnosis), moved=False)


@_post_only
def answer(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Record the answer to a step (a question's choice or a fix's result).

    Usually the current step; a form with a ``position`` answers an earlier
    step again (see :func:`commands.answer_again`).
    """
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _flow_error(request, _guide(slug), FlowError())
    data = form.cleaned_data
    network = client_network(request)
    if data["position"] is None:
        change = functools.partial(
            commands.answer_step, step_key=data["step"], choice=data["choice"], network=network
        )
    else:
        change = functools.partial(
            commands.answer_again,
            position=data["position"],
            revision=data["revision"],
            step_key=data["step"],
            choice=data["choice"],
            network=network,
        )
    return _change(request, slug, posted_id=str(form.cleaned_data["diagnosis"]), change=change)


@_post_only
def back(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Undo the last answer."""
    form = DiagnosisForm(request.POST)
    if not form.is_valid():
        return _flow_error(request, _guide(slug), FlowError())
    change = functools.partial(commands.go_back, step_key=form.cleaned_data["step"])
    return _change(request, slug, posted_id=str(form.cleaned_data["diagnosis"]), change=change)


def _change(
    request: HtmxHttpRequest,
    slug: str,
    *,
    posted_id: str,
    change: Callable[..., commands.State],
) -> HttpResponse:
    """Check the diagnosis a valid form names, apply ``change(state=...)``, show the result.

    A form from an old tab shows the current step; a stale post (double
    submit, lost race) changes nothing and says so.
    """
    try:
        diagnosis = ownership.check_ownership(
            session=request.session, slug=slug, posted_id=posted_id
        )
    except OldForm:
        return _resume(request, slug)
    except FlowError as error:
        return _flow_error(request, _guide(slug), error)
    state = commands.load_state(diagnosis=diagnosis)
    try:
        state = change(state=state)
    except StaleStep:
        try:
            diagnosis.refresh_from_db()
        except Diagnosis.DoesNotExist:  # purged while the post was in flight
            return _flow_error(request, state.guide, SessionExpired())
        state = commands.load_state(diagnosis=diagnosis)
        return _after_post(request, state.guide, state, notice=STALE_NOTICE, moved=False)
    except FlowError as error:
        return _flow_error(request, state.guide, error)
    return _after_post(request, state.guide, state)


@_post_only
def restart(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Start over: leave this browser's current diagnosis and open a fresh one.

    Half-way through, the person is asked first ("Yes, start over" posts
    ``confirm``); at the first question or after an outcome nothing is lost.
    """
    guide = _guide(slug)
    form = RestartForm(request.POST)
    if not form.is_valid():
        return _flow_error(request, guide, FlowError())
    try:
        current = ownership.check_ownership(
            session=request.session, slug=slug, posted_id=str(form.cleaned_data["diagnosis"])
        )
    except NotYourDiagnosis as error:
        return _flow_error(request, guide, error)
    except OldForm:
        return _resume(request, slug)  # an old tab: show the current step
    except SessionExpired:
        current = None  # the session ended: starting over is still what was asked
    state = commands.load_state(diagnosis=current) if current else None
    try:
        diagnosis = commands.start_over(
            session=request.session,
            state=state,
            guide=guide,
            step_key=form.cleaned_data["step"],
            confirmed=form.cleaned_data["confirm"],
            network=client_network(request),
        )
    except ConfirmFirst:
        context = {"guide": state.guide, "state": state, "confirm_restart": True}
        return render_page(request, "diagnostics/step.html", context)
    except StaleStep:
        # A double click, or an old tab: the restart it asked for already
        # happened (or progress was made since), so show the current step.
        return _resume(request, slug)
    return _after_post(request, guide, commands.load_state(diagnosis=diagnosis))


# --- the end screens' forms: a message to support, "Was this helpful?" -----------

SENT_ALREADY = "We already have your answer to this. Thank you!"
TICKET_ALREADY = "We already have your message: our support team will get back to you."


def _end_screen(request: HtmxHttpRequest, slug: str) -> commands.State | HttpResponse:
    """The current state of the diagnosis a valid end-screen form names, or the response."""
    ids = DiagnosisForm(request.POST)
    if not ids.is_valid():
        return _flow_error(request, _guide(slug), Unreadable())
    try:
        diagnosis = ownership.check_ownership(
            session=request.session, slug=slug, posted_id=str(ids.cleaned_data["diagnosis"])
        )
    except OldForm:
        return _resume(request, slug)
    except FlowError as error:
        return _flow_error(request, _guide(slug), error)
    return commands.load_state(diagnosis=diagnosis)


@_post_only
def escalate(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Send the escalation screen's form: a ticket for support (diagnostics.support)."""
    form = EscalateForm(request.POST)
    if form.is_bot:  # the honeypot: nothing is stored, and nothing says why
        return _flow_error(request, _guide(slug), Unreadable())
    state = _end_screen(request, slug)
    if isinstance(state, HttpResponse):
        return state
    if not state.escalated:
        return _flow_error(request, state.guide, NotOnThisScreen())
    if not form.is_valid():  # shown again with what was typed, and why it was not sent
        return _step(request, state.guide, state, forms={"escalate_form": form}, status=400)
    data = form.cleaned_data
    contact = tickets.Contact(
        name=data["name"], email=data["email"], phone=data["phone"], message=data["message"]
    )
    try:
        tickets.open_ticket(
            diagnosis=state.diagnosis,
            step=state.step,
            contact=contact,
            network=client_network(request),
        )
    except tickets.AlreadySent:
        return _after_post(request, state.guide, state, notice=TICKET_ALREADY, moved=False)
    except tickets.TooManyTickets:  # the form again, with what they typed, saying why
        form.add_error(None, TooManyMessages.help)
        return _step(
            request,
            state.guide,
            state,
            forms={"escalate_form": form},
            status=TooManyMessages.status,
        )
    except tickets.TicketsOff:
        return _flow_error(request, state.guide, TicketsOff())
    except tickets.TicketRefused:
        return _flow_error(request, state.guide, NotOnThisScreen())
    return _after_post(request, state.guide, state, moved=False)


@_post_only
def give_feedback(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Answer "Was this helpful?" on an end screen (diagnostics.support.feedback)."""
    form = FeedbackForm(request.POST)
    state = _end_screen(request, slug)
    if isinstance(state, HttpResponse):
        return state
    if not isinstance(state.step, engine.Outcome):
        return _flow_error(request, state.guide, NotOnThisScreen())
    if not form.is_valid():
        if form.has_error("helpful"):  # not from our buttons
            return _flow_error(request, state.guide, Unreadable())
        return _step(request, state.guide, state, forms={"feedback_form": form}, status=400)
    try:
        feedback.record_feedback(
            diagnosis=state.diagnosis,
            step=state.step,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
        )
    except feedback.AlreadyAnswered:
        return _after_post(request, state.guide, state, notice=SENT_ALREADY, moved=False)
    except feedback.FeedbackRefused:
        return _flow_error(request, state.guide, NotOnThisScreen())
    return _after_post(request, state.guide, state, moved=False)


def _resume(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """A form from an earlier diagnosis of this browser: show the current one."""
    diagnosis = ownership.session_diagnosis(session=request.session, slug=slug)
    if diagnosis is None:
        return _step(request, _guide(slug), None)
    state = commands.load_state(diagnosis=diagnosis)
    return _after_post(request, state.guide, state, notice=STALE_NOTICE, moved=False)


def not_found(request: HtmxHttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: the full 404 page, or just a panel saying so for htmx requests."""
    if getattr(request, "htmx", False):
        error = NotFound()
        context = {"guide": None, "title": error.title, "error": error}
        return render_page(request, "diagnostics/error.html", context, status=error.status)
    return render(request, "404.html", status=404)


def csrf_failure(request: HtmxHttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: nothing was changed; explain, or reload for htmx.

    An htmx page whose token went stale is simply reloaded (``HX-Refresh``): the
    fresh page carries a new token and shows the step the person is really on.
    Without htmx, the page links back to the guide the form belonged to. If the
    browser lost its cookies mid-diagnosis (cleared, or blocked), a reload would
    quietly show the start screen, so htmx gets the "session has ended" panel.
    """
    htmx = getattr(request, "htmx", False)
    if htmx and _lost_its_cookies(request):
        # Reloading would quietly show the start screen; say what happened instead.
        slug = request.resolver_match.kwargs.get("slug", "") if request.resolver_match else ""
        guide = Guide.objects.filter(slug=slug, current_version__isnull=False).first()
        context = {"guide": guide, "title": "Your session has ended"}
        context["error"] = SessionExpired()
        return render_page(request, "diagnostics/error.html", context, status=403)
    response = render(request, "403_csrf.html", {"retry_url": retry_url(request)}, status=403)
    if htmx:
        response["HX-Refresh"] = "true"
    return response


def _lost_its_cookies(request: HttpRequest) -> bool:
    """A step form posted for a diagnosis, from a browser that no longer sends a session."""
    try:
        names_a_diagnosis = bool(request.POST.get("diagnosis"))
    except Exception:  # an unreadable body: not a step form
        return False
    return names_a_diagnosis and settings.SESSION_COOKIE_NAME not in request.COOKIES
