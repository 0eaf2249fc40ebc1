"""Every change to a diagnosis: start, answer, go back, start over.

Views parse input and render; every change goes through one of these
keyword-only functions. Answers, Back and Start over are guarded by the
diagnosis's ``revision`` (compare-and-swap), so a double submit or an old tab
can never add a duplicate row or skip a step: the loser gets :class:`StaleStep`
(or :class:`LostRace`, when it lost the compare-and-swap itself). A Start
posted twice is kept to one diagnosis by its start ticket
(:mod:`diagnostics.flow.ownership`).

Each step has its own position (its address); an earlier step may be answered
again, replacing everything after it (:func:`answer_again`).

The next step is the planner's (``engine.decide``), fed what the guide's
evidence says (:mod:`diagnostics.learning.evidence`). The plan chosen in each
context is kept in ``Diagnosis.plan`` and written in the same compare-and-swap
as the step, so the order does not move under a person's feet: not on a
reload, after Back, or on another worker whose evidence differs. A step that
ends the diagnosis records what it teaches in that same transaction.

Every move also appends its :class:`~diagnostics.models.StepEvent` rows, in
one ``bulk_create`` inside the same transaction (so a lost compare-and-swap
writes none): starting writes ``shown`` for the first step; an answer
(including one given again at an earlier step) writes ``answered`` and the
next step's ``shown``; Back writes ``back`` and the ``shown`` of the step it
returns to; Start over writes ``start_over`` on the diagnosis left and
``shown`` for the new one's first step. ``Diagnosis.step_shown_at`` keeps the
time the current step was shown, so an event's ``seconds`` costs no query.
Showing a step by GET writes nothing.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from diagnostics import engine, events
from diagnostics.flow.errors import ConfirmFirst, InvalidChoice, LostRace, StaleStep
from diagnostics.flow.ownership import Session, remember, same_start
from diagnostics.learning import api
from diagnostics.learning.evidence import knowledge_for, teach, unteach
from diagnostics.models import (
    Answer,
    Diagnosis,
    FixAttempt,
    Guide,
    StepEvent,
    guide_for_version,
    new_seed,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    """A diagnosis with its answers and attempts, and what comes next."""

    diagnosis: Diagnosis
    guide: engine.Guide
    answers: dict[str, str]
    attempts: tuple[engine.Attempt, ...]
    step: engine.Step
    reason: api.Reason | None = None  # why this fix comes now (None for other steps)
    plan: dict[str, list[str]] = field(default_factory=dict)  # Diagnosis.plan after this step
    # The answers and results in the order they were given: the planner may ask
    # a question between fixes, so they are not "questions, then fixes".
    entries: tuple[tuple[str, str, str], ...] = ()

    @property
    def step_key(self) -> str:
        return engine.step_key(self.step)

    @property
    def position(self) -> int:
        """Where this step stands in the diagnosis: 1 + the answers and results before it.

        Each step the person has reached has its own address with this number
        (``/guides/<slug>/step/<position>/``).
        """
        return len(self.entries) + 1

    @functools.cached_property
    def progress(self) -> engine.Progress:
        return engine.progress(self.guide, self.answers, self.attempts, current=self.step)

    @property
    def escalated(self) -> bool:
        return isinstance(self.step, engine.Outcome) and self.step.outcome == "escalate"

    @property
    def can_go_back(self) -> bool:
        """Something to undo, unless support was called in: a support code once
        shown stays with the story it was given for."""
        return bool(self.answers or self.attempts) and not self.escalated

    @property
    def has_unfinished_answers(self) -> bool:
        """Starting over now would set answers aside before any outcome."""
        return bool(self.answers or self.attempts) and not isinstance(self.step, engine.Outcome)

    def tried(self) -> list[tuple[engine.Fix, str]]:
        """The fixes tried so far, with their results, in order."""
        fixes = []
        for attempt in self.attempts:
            fix = self.guide.fix(attempt.fix)
            if fix is not None:
                fixes.append((fix, attempt.result))
        return fixes

    def answered(self) -> list[tuple[engine.Question, engine.Choice]]:
        """The questions answered, with the choices given, in order."""
        pairs = []
        for question_id, choice_id in self.answers.items():
            question = self.guide.question(question_id)
            choice = question.choice(choice_id) if question else None
            if question and choice:
                pairs.append((question, choice))
        return pairs


def status_for(step: engine.Step) -> str:
    if isinstance(step, engine.Outcome):
        if step.outcome == "escalate":
            return Diagnosis.Status.ESCALATED
        return Diagnosis.Status.RESOLVED
    return Diagnosis.Status.IN_PROGRESS


def _plain(memo: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The planner's memo as JSON stores it."""
    return {context: list(steps) for context, steps in memo.items()}


def _decided(
    *,
    diagnosis: Diagnosis,
    guide: engine.Guide,
    entries: Sequence[Sequence[str]],
    memo: Mapping[str, Sequence[str]],
) -> State:
    """The state after the journal ``entries``: the planner picks the step.

    Given the same memo, the planner keeps to the plans in it whatever the
    evidence says now, so only a context reached for the first time is planned
    with the current evidence (and the diagnosis's own exploration draw).
    """
    chosen: dict[str, str] = {}
    tried: list[engine.Attempt] = []
    for kind, step_id, value in entries:
        if kind == "question":
            chosen[step_id] = value
        else:
            tried.append(engine.Attempt(fix=step_id, result=engine.Result(value)))
    known = knowledge_for(guide=guide, version_id=diagnosis.guide_version_id)
    decision = api.decide(guide, known, chosen, tried, seed=diagnosis.seed, memo=memo)
    return State(
        diagnosis=diagnosis,
        guide=guide,
        answers=chosen,
        attempts=tuple(tried),
        step=decision.step,
        reason=decision.reason,
        plan=_plain(decision.memo),
        entries=tuple((kind, step_id, value) for kind, step_id, value in entries),
    )


def load_state(*, diagnosis: Diagnosis) -> State:
    """Work out where a diagnosis stands from its row, and the guide's cached evidence.

    No query, or one when this process's copy of the evidence is over a minute old.
    """
    guide = guide_for_version(diagnosis.guide_version_id)
    return _decided(
        diagnosis=diagnosis, guide=guide, entries=diagnosis.journal, memo=diagnosis.plan
    )


def earlier_state(*, state: State, position: int) -> State | None:
    """The step the diagnosis was at ``position``, as it was then; None if it cannot be revisited.

    Rebuilt from the first ``position - 1`` entries of the journal, with the
    diagnosis's plan, so it is the step that was shown there. None for the
    current position or one beyond it, for anything below 1, and once support
    was called in (as with Back, the story behind a support code stays as it
    was given).
    """
    if not 1 <= position < state.position or state.escalated:
        return None
    entries = state.entries
    earlier = _decided(
        diagnosis=state.diagnosis,
        guide=state.guide,
        entries=entries[: position - 1],
        memo=state.plan,
    )
    kind, step_id, _ = entries[position - 1]
    if earlier.step_key != engine.make_key(kind, step_id):  # pragma: no cover - a torn journal
        return None
    return earlier


def start_diagnosis(
    *,
    session: Session,
    guide: Guide,
    network: str,
    diagnosis_id: uuid.UUID | None = None,
    kind: str = Diagnosis.Kind.LIVE,
) -> Diagnosis:
    """Open a new diagnosis on the guide's current version and remember it in the session.

    With ``diagnosis_id`` (from a start ticket) a diagnosis that already has
    that id is resumed instead, while nothing has been answered in it: its
    Start was posted twice. Once it has moved on (answered, finished, started
    over) the ticket is spent, and a fresh diagnosis is opened.

    Inside an embedding site's iframe, the stand-in session names the site
    (``embed_site_id``, already checked against the allowed list by
    :mod:`diagnostics.embed.sites`), and the diagnosis records it.

    ``network`` is the keyed hash of the client's network
    (``ops.ratelimit.client_network``): kept to count the diagnosis against
    that network's daily evidence quota should it be abandoned. ``kind``
    "demo" or "preview" makes a diagnosis that never teaches the ranking.

    The first step's ``shown`` event is written with the new diagnosis.
    """
    return _open(
        session=session,
        guide=guide,
        network=network,
        diagnosis_id=diagnosis_id,
        kind=kind,
        resumable=True,
        leaving=[],
    )


def _event(
    *,
    diagnosis: Diagnosis,
    action: str,
    step: str,
    position: int,
    now: datetime,
    choice: str = "",
    timed: bool = False,
) -> StepEvent:
    """A step event of ``diagnosis`` (not saved); ``timed`` counts its seconds from
    the time the current step was shown (none for a diagnosis from before)."""
    seconds = None
    if timed and diagnosis.step_shown_at is not None:
        seconds = max(0, round((now - diagnosis.step_shown_at).total_seconds()))
    return StepEvent(
        diagnosis_id=diagnosis.pk,
        guide_version_id=diagnosis.guide_version_id,
        action=action,
        step=step,
        choice=choice,
        position=position,
        seconds=seconds,
        created=now,
    )


def _moved_events(*, state: State, moved_to: State, action: str, now: datetime) -> list[StepEvent]:
    """What a move from ``state`` to ``moved_to`` appends: ``action`` on the step
    answered or left (timed), then ``shown`` for the step it leads to."""
    diagnosis = state.diagnosis
    if action == StepEvent.Action.ANSWERED:
        # The step answered is the last entry of the new journal (an earlier
        # step, when answered again).
        kind, step_id, choice = moved_to.entries[-1]
        left = _event(
            diagnosis=diagnosis,
            action=action,
            step=engine.make_key(kind, step_id),
            choice=choice,
            position=len(moved_to.entries) - 1,
            now=now,
            timed=True,
        )
    else:
        left = _event(
            diagnosis=diagnosis,
            action=action,
            step=state.step_key,
            position=len(state.entries),
            now=now,
            timed=True,
        )
    shown = _event(
        diagnosis=diagnosis,
        action=StepEvent.Action.SHOWN,
        step=moved_to.step_key,
        position=len(moved_to.entries),
        now=now,
    )
    return [left, shown]


def _open(
    *,
    session: Session,
    guide: Guide,
    network: str,
    diagnosis_id: uuid.UUID | None,
    kind: str,
    resumable: bool,
    leaving: list[StepEvent],
) -> Diagnosis:
    """Open a diagnosis (see :func:`start_diagnosis`); its first ``shown`` event
    goes in one ``bulk_create`` with the ``leaving`` events of the diagnosis it
    replaces. ``resumable``: ``diagnosis_id`` is a start ticket that may name a
    diagnosis already opened by the same Start."""
    version_id = guide.current_version_id  # the id only: the version row is not needed
    seed = new_seed()
    # A throwaway diagnosis carries the seed and version to the planner.
    planned = _decided(
        diagnosis=Diagnosis(guide_version_id=version_id, seed=seed),
        guide=guide_for_version(version_id),
        entries=[],
        memo={},
    )
    first = planned.step
    now = timezone.now()
    for _ in range(5):  # a support-code collision is rare; just draw again
        try:
            with transaction.atomic():
                diagnosis = Diagnosis.objects.create(
                    id=diagnosis_id or uuid.uuid4(),
                    guide_version_id=version_id,
                    last_step=engine.step_key(first),
                    status=status_for(first),
                    embed_site_id=getattr(session, "embed_site_id", None),
                    seed=seed,
                    plan=planned.plan,
                    network=network,
                    kind=kind,
                    step_shown_at=now,
                )
                shown = _event(
                    diagnosis=diagnosis,
                    action=StepEvent.Action.SHOWN,
                    step=engine.step_key(first),
                    position=0,
                    now=now,
                )
                StepEvent.objects.bulk_create([*leaving, shown])
            break
        except IntegrityError:
            if (
                resumable
                and diagnosis_id is not None
                and Diagnosis.objects.filter(pk=diagnosis_id).exists()
            ):
                started = same_start(diagnosis_id, guide)
                if started is not None:
                    remember(session, guide.slug, started)
                    return started
                diagnosis_id = None  # a spent ticket: open a fresh diagnosis instead
    else:  # pragma: no cover - needs five collisions in a row
        raise RuntimeError("could not draw a unique support code")
    remember(session, guide.slug, diagnosis)
    events.emit("started", diagnosis, guide=guide.slug, step=engine.step_key(first))
    return diagnosis


def _commit(
    *, state: State, moved_to: State, taught_tick: int | None, now: datetime
) -> dict[str, Any]:
    """Move the diagnosis from ``state`` to ``moved_to`` if nobody else changed it meanwhile.

    Raises :class:`StaleStep` otherwise. Call inside the transaction that also
    writes the row the change mirrors, and hand what it returns to
    :func:`_apply` once that transaction has committed. The plan and whether
    the diagnosis's ending counts in the evidence (``taught_tick``) go in the
    same update. Only the columns that change are written: the plan only
    grows when a context is reached for the first time, and the status and
    ``taught_tick`` only change when the diagnosis ends or reopens.
    """
    diagnosis = state.diagnosis
    wanted: dict[str, Any] = {
        "last_step": moved_to.step_key,
        "status": status_for(moved_to.step),
        "plan": moved_to.plan,
        "taught_tick": taught_tick,
    }
    changes: dict[str, Any] = {
        "journal": [list(entry) for entry in moved_to.entries],
        **{name: value for name, value in wanted.items() if getattr(diagnosis, name) != value},
        "step_shown_at": now,
        "updated": now,
    }
    moved = Diagnosis.objects.filter(pk=diagnosis.pk, revision=diagnosis.revision).update(
        revision=F("revision") + 1, **changes
    )
    if not moved:
        raise LostRace
    return {**changes, "revision": diagnosis.revision + 1}


def _apply(diagnosis: Diagnosis, changes: dict[str, Any]) -> None:
    """Bring the in-memory diagnosis up to what was committed."""
    for name, value in changes.items():
        setattr(diagnosis, name, value)


def _moved(
    *, state: State, entry: tuple[str, str, str] | None = None, keep: int | None = None
) -> State:
    """The state after keeping the first ``keep`` entries and adding ``entry`` (nothing saved)."""
    entries = state.entries if keep is None else state.entries[:keep]
    return _decided(
        diagnosis=state.diagnosis,
        guide=state.guide,
        entries=[*entries, *([entry] if entry else [])],
        memo=state.plan,
    )


def _relearn(*, state: State, moved_to: State, network: str) -> int | None:
    """Keep the evidence right for a diagnosis moving from ``state`` to ``moved_to``.

    A diagnosis that taught when it ended (and is now reopened by Back, or
    resumed after it was marked abandoned) takes that lesson out; one that
    ends now teaches. Returns the new ``Diagnosis.taught_tick``. Call in the
    transaction of the move.
    """
    diagnosis = state.diagnosis
    if diagnosis.taught_tick is not None:
        unteach(
            diagnosis=diagnosis,
            guide=state.guide,
            answers=state.answers,
            attempts=state.attempts,
            entries=state.entries,
        )
    if not isinstance(moved_to.step, engine.Outcome):
        return None
    return teach(
        diagnosis=diagnosis,
        guide=state.guide,
        answers=moved_to.answers,
        attempts=moved_to.attempts,
        entries=moved_to.entries,
        network=network,
    )


class _RowsDisagree(Exception):
    """The Answer and FixAttempt rows do not match the diagnosis's journal."""


def rebuild_journal(*, diagnosis: Diagnosis) -> None:
    """Write ``diagnosis.journal`` afresh from its rows, which are the record.

    They can only disagree if rows were written without the journal: by a
    worker of an older release still serving during an upgrade. The revision
    is bumped, so any form shown before counts as stale.
    """
    rows = [
        (answer.position, ["question", answer.question, answer.choice])
        for answer in Answer.objects.filter(diagnosis=diagnosis)
    ] + [
        (attempt.position, ["fix", attempt.fix, attempt.result])
        for attempt in FixAttempt.objects.filter(diagnosis=diagnosis)
    ]
    diagnosis.journal = [entry for _, entry in sorted(rows)]
    state = load_state(diagnosis=diagnosis)
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        journal=diagnosis.journal,
        last_step=state.step_key,
        status=status_for(state.step),
        revision=F("revision") + 1,
        updated=timezone.now(),
    )
    logger.warning("diagnosis %s: journal rebuilt from its rows", diagnosis.pk)


def _new_row(
    *, state: State, step: engine.Step, position: int, choice: str
) -> tuple[tuple[str, str, str], Answer | FixAttempt]:
    """The journal entry and the row for answering ``step`` with ``choice`` at ``position``.

    Raises :class:`InvalidChoice` for a choice the step does not offer.
    """
    if isinstance(step, engine.Question):
        if step.choice(choice) is None:
            raise InvalidChoice
        row: Answer | FixAttempt = Answer(
            diagnosis=state.diagnosis, position=position, question=step.id, choice=choice
        )
        return ("question", step.id, choice), row
    if isinstance(step, engine.Fix) and choice in engine.Result:
        row = FixAttempt(diagnosis=state.diagnosis, position=position, fix=step.id, result=choice)
        return ("fix", step.id, choice), row
    raise InvalidChoice


def answer_step(*, state: State, step_key: str, choice: str, network: str) -> State:
    """Record the answer to the current step and return the new state.

    Raises :class:`StaleStep` if ``step_key`` is not the current step (or the
    diagnosis changed meanwhile) and :class:`InvalidChoice` for a choice this
    step does not offer. Either way nothing is written.

    When the answer ends the diagnosis, what it teaches is recorded in the
    same transaction, if ``network`` (``ops.ratelimit.client_network``) is
    within its daily quota.
    """
    step = state.step
    if step_key != state.step_key or isinstance(step, engine.Outcome):
        raise StaleStep
    entry, row = _new_row(state=state, step=step, position=state.position, choice=choice)
    new_state = _moved(state=state, entry=entry)
    now = timezone.now()
    steps = _moved_events(
        state=state, moved_to=new_state, action=StepEvent.Action.ANSWERED, now=now
    )
    try:
        with transaction.atomic():  # the move, its rows and its lesson land together, or none
            taught = _relearn(state=state, moved_to=new_state, network=network)
            changes = _commit(state=state, moved_to=new_state, taught_tick=taught, now=now)
            row.save(force_insert=True)
            StepEvent.objects.bulk_create(steps)
    except IntegrityError:
        # The compare-and-swap passed, so no concurrent post got here first:
        # the rows already hold this answer although the journal does not.
        rebuild_journal(diagnosis=state.diagnosis)
        raise StaleStep from None
    _apply(state.diagnosis, changes)
    events.step_done(
        state.diagnosis,
        guide=state.guide.slug,
        step=step_key,
        choice=choice,
        next_step=new_state.step,
    )
    return new_state


def go_back(*, state: State, step_key: str) -> State:
    """Undo the most recent answer or fix result, returning to that step.

    A diagnosis that taught the ranking when it ended (Back from "fixed")
    takes that lesson out in the same transaction.
    """
    if step_key != state.step_key or not state.can_go_back:
        raise StaleStep
    position = len(state.entries)
    kind = state.entries[-1][0]  # a question may come after a fix: undo whichever was last
    model: type[Answer | FixAttempt] = Answer if kind == "question" else FixAttempt
    new_state = _moved(state=state, keep=position - 1)
    now = timezone.now()
    steps = _moved_events(state=state, moved_to=new_state, action=StepEvent.Action.BACK, now=now)
    try:
        with transaction.atomic():
            changes = _commit(state=state, moved_to=new_state, taught_tick=None, now=now)
            if state.diagnosis.taught_tick is not None:  # reopened: its ending no longer counts
                unteach(
                    diagnosis=state.diagnosis,
                    guide=state.guide,
                    answers=state.answers,
                    attempts=state.attempts,
                    entries=state.entries,
                )
            deleted, _ = model.objects.filter(diagnosis=state.diagnosis, position=position).delete()
            if deleted != 1:
                raise _RowsDisagree
            StepEvent.objects.bulk_create(steps)
    except _RowsDisagree:
        rebuild_journal(diagnosis=state.diagnosis)
        raise StaleStep from None
    _apply(state.diagnosis, changes)
    following = new_state.step_key
    events.emit("back", state.diagnosis, guide=state.guide.slug, step=step_key, next=following)
    return new_state


def answer_again(
    *, state: State, position: int, revision: int, step_key: str, choice: str, network: str
) -> State:
    """Answer the step at an earlier ``position`` again, replacing every answer after it.

    The form was shown at ``revision`` of the diagnosis (the browser's Back
    led to an earlier step's address). If the diagnosis changed since, or
    ``step_key`` is not the step at ``position``, this raises
    :class:`StaleStep` and writes nothing. Otherwise the later Answer and
    FixAttempt rows are deleted and the new answer recorded, in one
    transaction with the compare-and-swap on the revision. At the current
    position it is simply :func:`answer_step`. The evidence is kept right as
    for any move: a diagnosis that taught takes its lesson out, and one that
    ends now teaches (``network`` as for :func:`answer_step`).
    """
    if revision != state.diagnosis.revision:
        raise StaleStep
    if position == state.position:
        return answer_step(state=state, step_key=step_key, choice=choice, network=network)
    earlier = earlier_state(state=state, position=position)
    if earlier is None or step_key != earlier.step_key:
        raise StaleStep
    entry, row = _new_row(state=state, step=earlier.step, position=position, choice=choice)
    new_state = _moved(state=state, keep=position - 1, entry=entry)
    replaced = state.entries[position - 1 :]
    now = timezone.now()
    steps = _moved_events(
        state=state, moved_to=new_state, action=StepEvent.Action.ANSWERED, now=now
    )
    try:
        with transaction.atomic():  # the move, the deletions and the new rows, or none of them
            taught = _relearn(state=state, moved_to=new_state, network=network)
            changes = _commit(state=state, moved_to=new_state, taught_tick=taught, now=now)
            deleted = 0
            # Only the tables that hold replaced rows.
            if any(kind == "question" for kind, _, _ in replaced):
                deleted += Answer.objects.filter(
                    diagnosis=state.diagnosis, position__gte=position
                ).delete()[0]
            if any(kind == "fix" for kind, _, _ in replaced):
                deleted += FixAttempt.objects.filter(
                    diagnosis=state.diagnosis, position__gte=position
                ).delete()[0]
            if deleted != len(replaced):
                raise _RowsDisagree
            row.save(force_insert=True)
            StepEvent.objects.bulk_create(steps)
    except (_RowsDisagree, IntegrityError):
        rebuild_journal(diagnosis=state.diagnosis)
        raise StaleStep from None
    _apply(state.diagnosis, changes)
    events.emit(
        "answered_again",
        state.diagnosis,
        guide=state.guide.slug,
        step=step_key,
        position=position,
        replaced=len(replaced),
    )
    events.step_done(
        state.diagnosis,
        guide=state.guide.slug,
        step=step_key,
        choice=choice,
        next_step=new_state.step,
    )
    return new_state


def start_over(
    *,
    session: Session,
    state: State | None,
    guide: Guide,
    step_key: str,
    confirmed: bool,
    network: str,
) -> Diagnosis:
    """Leave the current diagnosis (marked abandoned if unfinished) and open a new one.

    At the first question with nothing answered there is nothing to leave: the
    diagnosis is kept (unless the guide was republished since), rather than
    left behind as one more "gave up at the first question" in the reports.

    Raises :class:`ConfirmFirst` when answers would be set aside and the
    person has not confirmed, and :class:`StaleStep` when ``step_key`` is not
    the current step or the diagnosis changed meanwhile (Start over pressed
    twice, an old tab). Either way nothing is written.

    The diagnosis left names the new one (``replaced_by``, set in its
    compare-and-swap: the new one's id is drawn first) and gets a
    ``start_over`` event, written with the new one's first ``shown``.
    """
    replacement = uuid.uuid4()
    leaving: list[StepEvent] = []
    with transaction.atomic():
        if state is not None:
            if step_key != state.step_key:
                raise StaleStep
            unchanged = state.diagnosis.guide_version_id == guide.current_version_id
            if not (state.answers or state.attempts) and unchanged:
                return state.diagnosis  # already at the start: nothing to set aside
            if state.has_unfinished_answers and not confirmed:
                raise ConfirmFirst
            left = state.diagnosis
            status = (
                Diagnosis.Status.ABANDONED
                if left.status == Diagnosis.Status.IN_PROGRESS
                else left.status
            )
            now = timezone.now()
            # Compare-and-swap, so a second Start over (or an answer in flight)
            # loses. The new diagnosis is inserted below, in this transaction;
            # foreign keys are checked at commit.
            moved = Diagnosis.objects.filter(pk=left.pk, revision=left.revision).update(
                status=status,
                started_over=True,
                replaced_by_id=replacement,
                revision=F("revision") + 1,
                updated=now,
            )
            if not moved:
                raise LostRace
            leaving.append(
                _event(
                    diagnosis=left,
                    action=StepEvent.Action.START_OVER,
                    step=state.step_key,
                    position=len(state.entries),
                    now=now,
                    timed=True,
                )
            )
        diagnosis = _open(
            session=session,
            guide=guide,
            network=network,
            diagnosis_id=replacement,
            kind=Diagnosis.Kind.LIVE if state is None else state.diagnosis.kind,
            resumable=False,
            leaving=leaving,
        )
    previous = str(state.diagnosis.pk) if state is not None else ""
    events.emit("restarted", diagnosis, guide=guide.slug, previous=previous)
    return diagnosis


def mark_abandoned(*, idle_for: timedelta) -> int:
    """Mark unfinished diagnoses untouched for ``idle_for`` as abandoned; return how many.

    Each one ends here, so it teaches the ranking what it got to (within the
    daily quota of the network that started it), in the transaction that marks
    it. One that teaches gets a new revision, so a form left open on it counts
    as stale: answering there would otherwise count it a second time.

    One opened and never answered (``revision`` 0) is left as it is: nobody
    gave up on anything there, and ``purge_diagnoses`` deletes it in time.
    """
    idle = Diagnosis.objects.filter(
        status=Diagnosis.Status.IN_PROGRESS, updated__lt=timezone.now() - idle_for, revision__gt=0
    )
    marked = 0
    for diagnosis in idle.iterator(chunk_size=200):
        ended = load_state(diagnosis=diagnosis)
        guide, answers, attempts = ended.guide, ended.answers, ended.attempts
        with transaction.atomic():
            taught = diagnosis.taught_tick
            if taught is None and (answers or attempts):  # an untouched start teaches nothing
                taught = teach(
                    diagnosis=diagnosis,
                    guide=guide,
                    answers=answers,
                    attempts=attempts,
                    entries=ended.entries,
                    network=diagnosis.network,
                )
            revision = F("revision") + (1 if taught is not None else 0)
            # Compare-and-swap: a step posted meanwhile keeps the diagnosis going.
            moved = Diagnosis.objects.filter(
                pk=diagnosis.pk,
                revision=diagnosis.revision,
                status=Diagnosis.Status.IN_PROGRESS,
            ).update(status=Diagnosis.Status.ABANDONED, taught_tick=taught, revision=revision)
            if not moved:  # not idle after all: its lesson, if any, is not recorded
                transaction.set_rollback(True)
            marked += moved
    return marked
