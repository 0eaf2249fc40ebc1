"""The benchmark's truth files describe people the shipped guide can actually meet."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.truth import Cause, Context, Population, TruthError, load_truth, truth_files
from diagnostics import engine

TRUTHS = truth_files()


def test_the_three_populations_of_the_issue_are_shipped() -> None:
    assert {path.stem for path in TRUTHS} >= {"close", "wrong", "overlap"}


@pytest.fixture(params=TRUTHS, ids=lambda path: path.stem)
def population(request: pytest.FixtureRequest) -> Population:
    return load_truth(request.param)


def test_every_context_answers_every_question_with_a_real_choice(
    population: Population, icloud: engine.Guide
) -> None:
    assert population.guide == icloud.slug
    for context in population.contexts:
        assert set(context.answers) == {q.id for q in icloud.questions}, context.name
        for question_id, choice_id in context.answers.items():
            question = icloud.question(question_id)
            assert question is not None, context.name
            assert question.choice(choice_id), (context.name, choice_id)


def test_every_cause_is_solved_by_fixes_the_guide_can_offer_there(
    population: Population, icloud: engine.Guide
) -> None:
    for context in population.contexts:
        step = engine.next_step(icloud, context.answers)
        if isinstance(step, engine.Outcome):  # a gate ends it: nothing to fix
            assert not context.causes, context.name
            continue
        on_path = engine.path_answers(icloud, context.answers)
        offered = {fix.id for fix in engine.applicable_fixes(icloud, on_path)}
        for cause in context.causes:
            assert cause.fixes <= offered, (context.name, sorted(cause.fixes - offered))
        rates = set(context.cannot)
        assert rates <= {fix.id for fix in icloud.fixes}, sorted(rates)


def test_weights_are_shares_of_the_whole_population(population: Population) -> None:
    assert sum(c.weight for c in population.contexts) == pytest.approx(1.0)


def test_drift_names_fixes_of_the_guide(population: Population, icloud: engine.Guide) -> None:
    assert population.drift is not None
    assert icloud.fix(population.drift.fix)
    assert icloud.fix(population.drift.to)
    after = population.drifted()
    assert all(population.drift.fix not in c.true_p() for c in after.contexts)


def test_the_wrong_priors_put_last_what_works_for_most(icloud: engine.Guide) -> None:
    wrong = load_truth("wrong")
    fixing = [c for c in wrong.contexts if c.causes]
    best = {max(c.true_p().items(), key=lambda kv: kv[1])[0] for c in fixing}
    assert best == {"reset_all_settings"}
    context = wrong.context_for(
        {
            "apple_status": "all_green",
            "account": "icloud",
            "storage": "plenty",
            "icloud_web": "missing",
        }
    )
    assert context is not None
    order = [fix.id for fix in engine.applicable_fixes(icloud, context.answers)]
    assert order[-1] == "reset_all_settings"  # the author's order tries it last


def test_in_the_overlap_population_the_switch_covers_a_restart() -> None:
    overlap = load_truth("overlap")
    for context in overlap.contexts:
        for cause in context.causes:
            if "restart" in cause.fixes and context.answers["contacts_sync"] != "off":
                assert "toggle_contacts_sync" in cause.fixes or (
                    context.answers["account"] == "on_my_iphone"
                ), context.name
    assert any(sum(c.true_p().values()) > 1 for c in overlap.contexts)


def test_people_are_drawn_by_weight_and_share() -> None:
    context = Context(
        name="x",
        weight=1.0,
        answers={},
        causes=(Cause(share=0.3, fixes=frozenset({"a"})), Cause(0.2, frozenset({"a", "b"}))),
        cannot={"b": 0.5},
    )
    population = Population(name="t", guide="g", description="", contexts=(context,))
    rng = random.Random(7)
    people = [population.sample(rng) for _ in range(20_000)]
    fixed_by_a = sum(p.result("a") == "fixed" for p in people) / len(people)
    cannot_b = sum(p.result("b") == "cannot" for p in people) / len(people)
    assert fixed_by_a == pytest.approx(0.5, abs=0.02)
    assert cannot_b == pytest.approx(0.5, abs=0.02)
    assert context.true_p() == {"a": 0.5, "b": 0.2}
    assert context.needs_support() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[population]\nname='x'\nguide='g'\ndescription='d'\n", "needs at least one context"),
        (
            "[population]\nname='x'\nguide='g'\ndescription='d'\n"
            "[[context]]\nname='a'\nweight=1\nanswers={}\np={f=0.7, g=0.6}\n",
            "sum to 1.300, above 1",
        ),
        (
            "[population]\nname='x'\nguide='g'\ndescription='d'\n"
            "[[context]]\nname='a'\nweight=1\nanswers={q='1'}\n"
            "[[context]]\nname='b'\nweight=1\nanswers={q='1'}\n",
            "same answers as 'a'",
        ),
        (
            "[population]\nname='x'\nguide='g'\ndescription='d'\ncannot={f=2}\n"
            "[[context]]\nname='a'\nweight=1\nanswers={}\n",
            "between 0 and 1",
        ),
    ],
)
def test_a_malformed_truth_file_is_named_with_its_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TruthError, match=message):
        load_truth(path)
