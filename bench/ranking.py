"""How well the learned order of fixes does: against the author's order and an oracle.

Prints figures; it is not a timed test. Run ``make bench-ranking`` (or
``python bench/ranking.py [--quick] [--truth close] [--seeds 5]``).

**Population.** Each truth file in ``bench/truth/`` (``bench/truth.py``) is a
synthetic population: contexts with their frequencies, what really fixes each
person's problem, and how often people cannot carry a fix out. Each simulated
person answers truthfully for their context, cannot do a fix at the stated
rate, and reports "fixed" exactly when a fix that solves their problem is
tried. Each comes from a client network of their own.

**Training** drives the real thing: the flow's commands (``start_diagnosis``,
``answer_step``), the real engine (``engine.decide``, with each diagnosis's
own seed and plan memo) and the real learning code (evidence recorded when a
diagnosis ends, in its transaction, forgetting included), on a real database:
a temporary test database made the way Django's test runner makes one (SQLite
in memory by default; ``DATABASE_URL`` for PostgreSQL).

**Scoring** freezes the policy: the guide's evidence is read from the database
once (the same read the flow makes), and 2,000 fresh people go through
``engine.decide`` with that knowledge and their own seeds, with nothing
recorded. Cost to resolution = minutes of the questions asked and of the fixes
shown (their minutes plus penalty), plus the guide's ``support_minutes`` for
everyone who ends escalated. Screens count the start screen as screen 1 and
the final screen too.

* **author**: the author's static order (the priors, no evidence, no draws);
* **learned after N**: the policy after N training diagnoses, with each
  person's own Thompson draw, as people would meet it;
* **oracle**: knows the population's true p and can't-do rate per context (and
  how people answer), and plans with the same rule (``engine.decide``).

The drift case trains 1,000 diagnoses (and on, up to 2,500, half of the
longest training, until the learned order agrees with the oracle's before the
change: without that there is no change to follow), then the true p of one
fix changes (the truth file's ``[drift]``) and training goes on; it reports
how many diagnoses pass before the learned order (posterior means) in the
context the change hurts most puts the two fixes the way the oracle does
after the change.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench.truth import Person, Population, load_truth, truth_files  # noqa: E402

TOGGLE = "toggle_contacts_sync"
TARGET_RATIO = 1.10  # learned ≤ 1.10 × oracle after 1,000 diagnoses
TARGET_DRIFT = 500  # diagnoses after the change before the order follows
TARGET_TOGGLE_SCREEN = 6  # the toggle within 6 screens (start screen = 1)


@dataclass(frozen=True)
class Settings:
    checkpoints: tuple[int, ...]
    scored: int
    seeds: int
    drift_before: int
    drift_before_max: int  # trained on until the order before the change is learned
    drift_after_max: int
    drift_every: int


FULL = Settings(
    checkpoints=(0, 100, 1000, 5000),
    scored=2000,
    seeds=5,
    drift_before=1000,
    drift_before_max=2500,
    drift_after_max=1500,
    drift_every=25,
)
QUICK = Settings(
    checkpoints=(0, 30),
    scored=60,
    seeds=1,
    drift_before=30,
    drift_before_max=30,
    drift_after_max=30,
    drift_every=10,
)


# --- Django, the way its test runner sets it up -----------------------------------


def setup_django(*, worker: str = "") -> Callable[[], None]:
    """A temporary test database with the shipped guides; returns its teardown.

    ``worker`` names a worker process's own database (PostgreSQL: ``test_<name>_<worker>``;
    SQLite's test database is in memory, one per process already).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    logging.getLogger("helpdesk.events").disabled = True  # one line per step: too many here
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if worker and connection.vendor != "sqlite":
        test = connection.settings_dict.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + old_name}_{worker}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    with open(os.devnull, "w") as quiet:
        call_command("load_guides", stdout=quiet)

    def teardown() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    return teardown


# --- one simulated person ----------------------------------------------------------


@dataclass
class Walk:
    """What one person went through."""

    minutes: float = 0.0
    screens: int = 1  # the start screen
    toggle_screen: int | None = None  # the screen on which the toggle was shown, if it was
    fixed: bool = False
    escalated: bool = False


def _choice(person: Person, step: object) -> str:
    from diagnostics import engine

    if isinstance(step, engine.Question):
        return person.answers[step.id]
    return person.result(step.id)  # type: ignore[attr-defined]


def _account(walk: Walk, step: object, guide: object) -> None:
    """Add one shown step (question, fix or outcome) to ``walk``."""
    from diagnostics import engine

    walk.screens += 1
    if isinstance(step, engine.Question):
        walk.minutes += step.minutes
    elif isinstance(step, engine.Fix):
        walk.minutes += step.cost
        if step.id == TOGGLE and walk.toggle_screen is None:
            walk.toggle_screen = walk.screens
    elif isinstance(step, engine.Outcome):
        if step.outcome == "escalate":
            walk.escalated = True
            walk.minutes += guide.support_minutes  # type: ignore[attr-defined]
        walk.fixed = step.id == guide.resolved  # type: ignore[attr-defined]


@dataclass
class Training:
    """Trained diagnoses in this process and the CPU time they took (for the printout)."""

    count: int = 0
    cpu: float = 0.0


TRAINING = Training()


def train_one(person: Person, *, guide_row: object, network: str) -> Walk:
    """One live diagnosis through the flow's commands: it teaches when it ends."""
    from diagnostics import engine
    from diagnostics.flow import commands

    started = time.process_time()
    diagnosis = commands.start_diagnosis(session={}, guide=guide_row, network=network)
    state = commands.load_state(diagnosis=diagnosis)
    walk = Walk()
    while True:
        _account(walk, state.step, state.guide)
        if isinstance(state.step, engine.Outcome):
            TRAINING.count += 1
            TRAINING.cpu += time.process_time() - started
            return walk
        state = commands.answer_step(
            state=state,
            step_key=state.step_key,
            choice=_choice(person, state.step),
            network=network,
        )


def score_one(person: Person, *, guide: object, known: object, seed: int | None) -> Walk:
    """One person through a frozen policy (``engine.decide``), nothing recorded."""
    from diagnostics import engine
    from diagnostics.learning import api

    answers: dict[str, str] = {}
    attempts: list[engine.Attempt] = []
    memo: Mapping[str, list[str]] = {}
    walk = Walk()
    while True:
        decision = api.decide(guide, known, answers, attempts, seed=seed, memo=memo)
        memo = decision.memo
        step = decision.step
        _account(walk, step, guide)
        if isinstance(step, engine.Outcome):
            return walk
        choice = _choice(person, step)
        if isinstance(step, engine.Question):
            answers[step.id] = choice
        else:
            attempts.append(engine.Attempt(fix=step.id, result=engine.Result(choice)))
        if walk.screens > 200:  # pragma: no cover - a planner that never ends
            raise RuntimeError("a simulated diagnosis did not end")


# --- the oracle ----------------------------------------------------------------------


def oracle_knowledge(guide: object, population: Population) -> object:
    """The engine's knowledge, told the truth: p, can't-do and answer shares per context.

    In a context where some answers are not known yet, each is the average over
    the population's contexts that agree with the answers given, by frequency.
    """
    from diagnostics.learning import api

    class Oracle(api.Knowledge):  # type: ignore[misc, valid-type]
        def _agreeing(self, context: Mapping[str, str]) -> list[tuple[float, object]]:
            found = [
                (c.weight, c)
                for c in population.contexts
                if all(c.answers.get(q) == a for q, a in context.items())
            ]
            return found or [(c.weight, c) for c in population.contexts]

        def fix_probs(self, context: Mapping[str, str], *, rng: object = None) -> dict[str, float]:
            agreeing = self._agreeing(context)
            total = sum(w for w, _ in agreeing)
            return {
                fix: sum(w * c.true_p().get(fix, 0.0) for w, c in agreeing) / total
                for fix in self.applicable(context)
            }

        def cannot_rate(self, context: Mapping[str, str], fix_id: str) -> float:
            agreeing = self._agreeing(context)
            total = sum(w for w, _ in agreeing)
            return sum(w * c.cannot_rate(fix_id) for w, c in agreeing) / total

        def answer_probs(
            self, context: Mapping[str, str], question: object, *, rng: object = None
        ) -> dict[str, float]:
            agreeing = self._agreeing(context)
            shares = {choice.id: 0.0 for choice in question.choices}  # type: ignore[attr-defined]
            for w, c in agreeing:
                answer = c.answers.get(question.id)  # type: ignore[attr-defined]
                if answer in shares:
                    shares[answer] += w
            total = sum(shares.values()) or 1.0
            return {k: v / total for k, v in shares.items()}

    return Oracle(guide, None, pinned=True)


# --- a run ------------------------------------------------------------------------------


@dataclass
class Score:
    minutes: float
    screens: float
    toggle_screens: list[int] = field(default_factory=list)  # for people the toggle fixes
    toggle_missed: int = 0  # ... who were fixed or escalated without seeing it


def score(
    population: Population, *, guide: object, known: object, seeded: bool, people: int, seed: int
) -> Score:
    rng = random.Random(f"score|{seed}")  # the same fresh people for every policy
    walks = []
    toggle_screens, missed = [], 0
    for i in range(people):
        person = population.sample(rng)
        walk = score_one(
            person, guide=guide, known=known, seed=(seed * 100_000 + i) if seeded else None
        )
        walks.append(walk)
        if TOGGLE in person.works:
            if walk.toggle_screen is None:
                missed += 1
            else:
                toggle_screens.append(walk.toggle_screen)
    return Score(
        minutes=statistics.fmean(w.minutes for w in walks),
        screens=statistics.fmean(w.screens for w in walks),
        toggle_screens=toggle_screens,
        toggle_missed=missed,
    )


def reset_learning() -> None:
    """Forget every diagnosis and all evidence (between seeds)."""
    from diagnostics.learning.evidence import forget_evidence
    from diagnostics.models import Diagnosis, Evidence, EvidenceClock, EvidenceQuota

    Diagnosis.objects.all().delete()
    Evidence.objects.all().delete()
    EvidenceClock.objects.all().delete()
    EvidenceQuota.objects.all().delete()
    forget_evidence()


def frozen_knowledge(guide: object) -> object:
    """The policy as the flow would use it now: the evidence read from the database."""
    from diagnostics.learning.evidence import knowledge_from, read_evidence

    return knowledge_from(guide, read_evidence(slug=guide.slug))  # type: ignore[attr-defined, arg-type]


def run_seed(population: Population, settings: Settings, seed: int) -> dict[str, Score]:
    from diagnostics.models import Guide, guide_for_version

    reset_learning()
    guide_row = Guide.objects.select_related("current_version").get(slug=population.guide)
    guide = guide_for_version(guide_row.current_version_id)
    from diagnostics.learning import api

    results: dict[str, Score] = {}
    people = settings.scored
    results["author"] = score(
        population, guide=guide, known=api.knowledge(guide), seeded=False, people=people, seed=seed
    )
    results["oracle"] = score(
        population,
        guide=guide,
        known=oracle_knowledge(guide, population),
        seeded=False,
        people=people,
        seed=seed,
    )
    rng = random.Random(f"train|{seed}")
    trained = 0
    for checkpoint in settings.checkpoints:
        while trained < checkpoint:
            train_one(population.sample(rng), guide_row=guide_row, network=f"net-{seed}-{trained}")
            trained += 1
        results[f"learned {checkpoint}"] = score(
            population,
            guide=guide,
            known=frozen_knowledge(guide),
            seeded=True,
            people=people,
            seed=seed,
        )
    return results


def _order_key(known: object, context: Mapping[str, str]) -> list[str]:
    return [row.fix.id for row in known.estimates(context)]  # type: ignore[attr-defined]


def run_drift(population: Population, settings: Settings, seed: int) -> tuple[int | None, str]:
    """Diagnoses after the change until the learned order follows it (None: not within the run).

    Looked at in the context the change hurts most (where the old fix solved
    the largest share of people): the learned order of the two fixes (posterior
    means) must first agree with the oracle before the change, then with the
    oracle after it. The context is the answers on their path, as their
    evidence is filed (a question its ``ask_if`` skips has no answer there).
    """
    from diagnostics import engine
    from diagnostics.models import Guide, guide_for_version

    drift = population.drift
    assert drift is not None
    after = population.drifted()
    hurt = max(population.contexts, key=lambda c: c.weight * c.true_p().get(drift.fix, 0.0))
    reset_learning()
    guide_row = Guide.objects.select_related("current_version").get(slug=population.guide)
    guide = guide_for_version(guide_row.current_version_id)
    # The answers on these people's path, as their evidence is filed: a question
    # off the path (``ask_if``) is never asked, so no evidence names its answer.
    context = engine.path_answers(guide, hurt.answers)
    pair = (drift.fix, drift.to)

    def first_of(known: object) -> str:
        order = _order_key(known, context)
        return min(pair, key=order.index)

    before_want = first_of(oracle_knowledge(guide, population))
    after_want = first_of(oracle_knowledge(guide, after))
    if before_want == after_want:
        return None, f"the oracle puts {after_want} first before and after, in {hurt.name!r}"
    rng = random.Random(f"drift|{seed}")
    before = 0
    while before < settings.drift_before or first_of(frozen_knowledge(guide)) != before_want:
        if before >= settings.drift_before_max:
            return None, (
                f"had not learned {before_want} first after {before} diagnoses, in {hurt.name!r}"
            )
        step = settings.drift_before if before == 0 else settings.drift_every
        for i in range(before, before + step):
            train_one(population.sample(rng), guide_row=guide_row, network=f"pre-{seed}-{i}")
        before += step
    for i in range(1, settings.drift_after_max + 1):
        train_one(after.sample(rng), guide_row=guide_row, network=f"post-{seed}-{i}")
        if i % settings.drift_every == 0 and first_of(frozen_knowledge(guide)) == after_want:
            return i, (
                f"{after_want} now before {before_want}, in {hurt.name!r}"
                f" ({before} trained before the change)"
            )
    return None, f"{before_want} still before {after_want}, in {hurt.name!r}"


# --- running seeds, in this process or in worker processes (--jobs) -------------------------


type Task[T] = Callable[[], tuple[T, int, float]]  # a result, with trained diagnoses and CPU


def run_task(kind: str, truth: Population | str, settings: Settings, seed: int) -> tuple:
    """One seed's run (``kind`` "seed") or drift case ("drift"), with its training cost."""
    population = load_truth(truth) if isinstance(truth, str) else truth
    count, cpu = TRAINING.count, TRAINING.cpu
    if kind == "seed":
        result: object = run_seed(population, settings, seed)
    else:
        result = run_drift(population, settings, seed)
    return result, TRAINING.count - count, TRAINING.cpu - cpu


def setup_worker() -> None:
    """A worker process of ``--jobs``: its own test database, removed when it exits."""
    import multiprocessing.util

    teardown = setup_django(worker=f"w{os.getpid()}")
    multiprocessing.util.Finalize(None, teardown, exitpriority=10)


def tasks(
    population: Population, settings: Settings, pool: object | None
) -> tuple[list[Task[dict[str, Score]]], list[Task[tuple[int | None, str]]]]:
    """The seeds' runs and drift cases of ``population``: started in ``pool`` at once,
    or run here one after another when called."""
    seeds = range(1, settings.seeds + 1)
    kinds = ["seed", "drift"] if population.drift is not None else ["seed"]
    found: dict[str, list[Task]] = {kind: [] for kind in ("seed", "drift")}
    for kind in kinds:
        for seed in seeds:
            if pool is None:
                found[kind].append(functools.partial(run_task, kind, population, settings, seed))
            else:
                truth = str(population.path)
                future = pool.submit(run_task, kind, truth, settings, seed)  # type: ignore[attr-defined]
                found[kind].append(future.result)
    return found["seed"], found["drift"]


# --- printing -----------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a (1 seed)"
    return f"±{statistics.stdev(values):.2f} sd, {min(values):.2f}–{max(values):.2f}"


def report(
    population: Population,
    settings: Settings,
    seed_tasks: list[Task[dict[str, Score]]] | None = None,
    drift_tasks: list[Task[tuple[int | None, str]]] | None = None,
) -> dict[str, object]:
    started = time.monotonic()
    if seed_tasks is None or drift_tasks is None:
        seed_tasks, drift_tasks = tasks(population, settings, None)
    trained, trained_cpu = 0, 0.0
    runs = []
    for task in seed_tasks:
        run, count, cpu = task()
        runs.append(run)
        trained, trained_cpu = trained + count, trained_cpu + cpu
    print(f"\n== {population.name} ({population.path.name if population.path else ''})")
    print(f"   {population.description}")
    oracle = [r["oracle"].minutes for r in runs]
    print(
        f"   {'policy':<16} {'minutes':>8} {'screens':>8} {'× oracle':>9}   spread of minutes"
        " over seeds"
    )
    summary: dict[str, object] = {}
    for name in runs[0]:
        minutes = [r[name].minutes for r in runs]
        screens = [r[name].screens for r in runs]
        ratios = [m / o for m, o in zip(minutes, oracle, strict=True)]
        ratio = statistics.fmean(ratios)
        summary[name] = ratio
        target = ""
        if name == "learned 1000":
            ok = "PASS" if ratio <= TARGET_RATIO else "FAIL"
            target = f"   target ≤ {TARGET_RATIO:.2f}× oracle: {ok}"
        print(
            f"   {name:<16} {statistics.fmean(minutes):8.2f} {statistics.fmean(screens):8.2f}"
            f" {ratio:9.3f}   {spread(minutes)}{target}"
        )
    last = f"learned {settings.checkpoints[-1]}"
    for name in ("author", last, "oracle"):
        shown = [s for r in runs for s in r[name].toggle_screens]
        missed = sum(r[name].toggle_missed for r in runs)
        if not shown and not missed:
            continue
        within = sum(1 for s in shown if s <= TARGET_TOGGLE_SCREEN)
        mean = statistics.fmean(shown) if shown else float("nan")
        median = statistics.median(shown) if shown else float("nan")
        verdict = ""
        if name == last:
            ok = "PASS" if shown and median <= TARGET_TOGGLE_SCREEN else "FAIL"
            verdict = f"   target within {TARGET_TOGGLE_SCREEN} (median): {ok}"
        print(
            f"   toggle screen, {name:<13} mean {mean:.2f}, median {median:.0f},"
            f" {within}/{len(shown) + missed} within {TARGET_TOGGLE_SCREEN}"
            f" ({missed} fixed or escalated before seeing it){verdict}"
        )
    if population.drift is not None:
        followed = []
        for seed, task in enumerate(drift_tasks, start=1):
            (after, what), count, cpu = task()
            trained, trained_cpu = trained + count, trained_cpu + cpu
            followed.append(after)
            shown = "not within the run" if after is None else f"{after} diagnoses"
            print(f"   drift, seed {seed}: {shown} ({what})")
        ok = all(a is not None and a <= TARGET_DRIFT for a in followed)
        print(
            f"   drift: {population.drift.fix} -> {population.drift.to}, checked every"
            f" {settings.drift_every}; target within {TARGET_DRIFT}: {'PASS' if ok else 'FAIL'}"
        )
        summary["drift"] = followed
    if trained:
        print(
            f"   trained {trained} diagnoses, {1000 * trained_cpu / trained:.1f} ms CPU each"
            " (start to ending, through the flow)"
        )
    print(f"   ({time.monotonic() - started:.0f} s)")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few people, one seed")
    parser.add_argument("--truth", action="append", help="truth file name or path (repeatable)")
    parser.add_argument("--seeds", type=int, help="seeds to average over (default 5)")
    parser.add_argument("--scored", type=int, help="fresh people scored per policy (2,000)")
    parser.add_argument(
        "--checkpoints", help="training sizes to score after, comma-separated (0,100,1000,5000)"
    )
    parser.add_argument("--drift-after", type=int, help="most diagnoses after the change (1,500)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes running seeds side by side, each with its own test database (1)",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.seeds:
        settings = Settings(**{**settings.__dict__, "seeds": args.seeds})
    if args.scored:
        settings = Settings(**{**settings.__dict__, "scored": args.scored})
    if args.checkpoints:
        points = tuple(int(x) for x in args.checkpoints.split(","))
        settings = Settings(**{**settings.__dict__, "checkpoints": points})
    if args.drift_after:
        settings = Settings(**{**settings.__dict__, "drift_after_max": args.drift_after})
    populations = [load_truth(t) for t in args.truth] if args.truth else None
    teardown = setup_django()
    try:
        from django.conf import settings as django_settings

        # Every simulated person has a network of their own; the daily quota is
        # still checked on each ending, as in production.
        database = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(
            f"bench/ranking.py: seeds={settings.seeds}, scored={settings.scored} per policy,"
            f" checkpoints={settings.checkpoints}, database={database}"
            f", jobs={args.jobs}{' (quick)' if args.quick else ''}"
        )
        populations = populations or [load_truth(p) for p in truth_files()]
        if args.jobs > 1:
            # The module by name, so that the workers (spawned) and this process agree
            # on what the tasks and results are even when this file runs as a script.
            this = importlib.import_module("bench.ranking")
            with ProcessPoolExecutor(
                max_workers=args.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=this.setup_worker,
            ) as pool:
                started = [this.tasks(p, settings, pool) for p in populations]
                for population, (seed_tasks, drift_tasks) in zip(populations, started, strict=True):
                    report(population, settings, seed_tasks, drift_tasks)
        else:
            for population in populations:
                report(population, settings)
    finally:
        teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
