"""What holds for every guide file that ships, whichever problem it covers: safe,
checkable steps, chances that add up, and a place on the home page."""

from __future__ import annotations

import itertools
import re
from html import unescape

import pytest
from django.test import Client

from diagnostics import engine
from diagnostics.models import Diagnosis, Guide
from tests.conftest import SHIPPED_SLUGS, Flow, read_shipped_guide


def test_more_than_one_guide_ships() -> None:
    assert SHIPPED_SLUGS == ["icloud-contacts", "icloud-photos"]


def test_every_fix_ends_with_how_to_tell_whether_it_worked(shipped_guide: engine.Guide) -> None:
    for fix in shipped_guide.fixes:
        assert fix.steps[-1].startswith("Check that it worked:"), fix.id
        assert not any(step.startswith("Check that it worked:") for step in fix.steps[:-1]), fix.id


def test_no_warning_is_left_in_a_note(shipped_guide: engine.Guide) -> None:
    # A note is shown after the steps: too late for a warning.
    for fix in shipped_guide.fixes:
        for words in ("Never", "Do not", "Don't", "Read this", "Delete", "delete", "Erase"):
            assert words not in fix.note, (fix.id, words)


def contexts(guide: engine.Guide) -> list[dict[str, str]]:
    """Every full combination of answers, each reduced to the questions on its path."""
    seen = []
    for combination in itertools.product(*(q.choices for q in guide.questions)):
        answers = {q.id: c.id for q, c in zip(guide.questions, combination, strict=True)}
        on_path = engine.path_answers(guide, answers)
        if on_path not in seen:
            seen.append(on_path)
    return seen


def test_the_chances_of_the_fixes_that_apply_add_up_to_at_most_one_everywhere(
    shipped_guide: engine.Guide,
) -> None:
    # What is left over is the share of people who need the support team; the
    # learned ranking's validator refuses a guide where it would be negative.
    known = engine.knowledge(shipped_guide)
    checked = 0
    for answers in contexts(shipped_guide):
        applicable = {f.id for f in engine.applicable_fixes(shipped_guide, answers)}
        prior = known.prior(answers)
        total = sum(chance for fix_id, chance in prior.items() if fix_id in applicable)
        assert total <= 1 + 1e-9, (answers, total)
        assert all(0 <= chance <= 1 for chance in prior.values()), answers
        checked += 1
    assert checked > 10
    assert engine.validate_guide(shipped_guide) == []


def test_every_choice_chance_adds_up_to_one(shipped_guide: engine.Guide) -> None:
    for question in shipped_guide.questions:
        chances = [choice.chance for choice in question.choices]
        if any(c is not None for c in chances):
            assert sum(chances) == pytest.approx(1), question.id


@pytest.mark.django_db
def test_the_home_page_lists_every_shipped_guide(client: Client, guide: Guide) -> None:
    html = client.get("/").content.decode()
    cards = re.findall(r'class="guide-card" href="/guides/([^"/]+)/"', html)
    assert cards == SHIPPED_SLUGS  # in title order: contacts, then photos
    for slug in SHIPPED_SLUGS:
        assert read_shipped_guide(slug).title in unescape(html)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SHIPPED_SLUGS)
def test_every_shipped_guide_starts_at_its_first_question(
    client: Client, guide: Guide, slug: str
) -> None:
    flow = Flow(client, slug=slug).start()
    first = engine.next_step(read_shipped_guide(slug), {}, ())
    assert flow.step == engine.step_key(first)
    assert unescape(flow.heading) == first.prompt


def a_way_to_each_outcome(guide: engine.Guide) -> dict[str, tuple[dict[str, str], str | None]]:
    """For each outcome, answers to every question and the fix that works (or None)."""
    ways: dict[str, tuple[dict[str, str], str | None]] = {}
    for combination in itertools.product(*(q.choices for q in guide.questions)):
        answers = {q.id: c.id for q, c in zip(guide.questions, combination, strict=True)}
        step = engine.next_step(guide, answers, ())
        if isinstance(step, engine.Outcome):
            ways.setdefault(step.id, (answers, None))
            continue
        ways.setdefault(guide.exhausted, (answers, None))  # every fix fails
        ways.setdefault(guide.resolved, (answers, step.id))  # the first fix works
    return ways


STATUS_AFTER = {
    "resolved": Diagnosis.Status.RESOLVED,
    "not_applicable": Diagnosis.Status.RESOLVED,
    "escalate": Diagnosis.Status.ESCALATED,
}


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SHIPPED_SLUGS)
def test_every_outcome_of_every_guide_is_reached_through_the_forms(
    client: Client, guide: Guide, slug: str
) -> None:
    shipped = read_shipped_guide(slug)
    ways = a_way_to_each_outcome(shipped)
    assert ways.keys() == shipped.outcomes.keys()
    flow = Flow(client, slug=slug).start()
    for outcome_id, (answers, working_fix) in ways.items():
        while flow.choices:  # a question or a fix: click what a person would
            kind, _, step_id = flow.step.partition(":")
            if kind == "question":
                flow.answer(answers[step_id])
            else:
                flow.answer("fixed" if step_id == working_fix else "not_fixed")
        outcome = shipped.outcomes[outcome_id]
        assert unescape(flow.heading) == outcome.title, outcome_id
        diagnosis = Diagnosis.objects.get(pk=flow.diagnosis)
        assert diagnosis.status == STATUS_AFTER[outcome.outcome], outcome_id
        flow.restart()  # the next way starts afresh, in the same browser
        assert flow.step == engine.step_key(engine.next_step(shipped, {}, ()))


def seeded_walks(guide: engine.Guide, seeds: int) -> list[list[str]]:
    """The fixes offered, in order, to people for whom nothing works.

    Each walk has its own seed, as every live diagnosis does: the learned
    ranking (no evidence yet) orders the fixes with a draw per diagnosis.
    Answers go round each question's choices, leaving out those that end the
    diagnosis at once.
    """
    known = engine.knowledge(guide, {})
    walks = []
    for seed in range(seeds):
        answers: dict[str, str] = {}
        attempts: list[engine.Attempt] = []
        memo: dict[str, list[str]] = {}
        offered: list[str] = []
        while True:
            decision = engine.decide(guide, known, answers, attempts, seed=seed, memo=memo)
            memo, step = dict(decision.memo), decision.step
            if isinstance(step, engine.Question):
                staying = [c for c in step.choices if not c.next]
                answers[step.id] = staying[seed % len(staying)].id
            elif isinstance(step, engine.Fix):
                offered.append(step.id)
                attempts.append(engine.Attempt(fix=step.id, result=engine.Result.NOT_FIXED))
            else:
                walks.append(offered)
                break
    return walks


def test_no_fix_calls_itself_the_last_resort_while_others_can_follow_it(
    shipped_guide: engine.Guide,
) -> None:
    # A person told "last resort" and then shown "Restart your iPhone" stops
    # trusting the order. The learned order may put any fix before others, so
    # a fix's title and why must not promise its place.
    followed = {fix for walk in seeded_walks(shipped_guide, 40) for fix in walk[:-1]}
    assert followed, "no walk offered two fixes"
    for fix in shipped_guide.fixes:
        if fix.id in followed:
            words = f"{fix.title} {fix.why}".lower()
            assert "last resort" not in words, fix.id


def test_an_apple_outage_says_what_to_do_once_apple_has_fixed_it(
    shipped_guide: engine.Guide,
) -> None:
    # Progress is kept in the browser: coming back later shows this same screen,
    # so it has to say that Start over is the way to try again.
    outage = shipped_guide.outcomes["apple_outage"]
    assert "apple.com/support/systemstatus" in outage.body
    assert "come back here and tap Start over" in outage.body
