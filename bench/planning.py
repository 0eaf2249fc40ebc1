"""How long the planner takes per step, with little and with a lot of evidence.

Prints figures; it is not a timed test. Run
``python bench/planning.py [--truth close] [--evidence 0,100,1000,5000]``.

For each amount of evidence it trains that many diagnoses through the real
flow (as ``bench/ranking.py`` does, on a temporary SQLite database), reads the
guide's evidence once, then walks ``--people`` fresh simulated people through
``engine.decide`` with their own seeds and plan memos, timing every call
(CPU time of this process: steadier than wall time on a shared machine):

* **cold**: a new ``Knowledge`` for every person, as after every ended
  diagnosis (the flow drops its cached evidence then) or a cache refresh;
* **warm**: one ``Knowledge`` for all of them, as within a process's minute
  of cached evidence.

It prints the mean and the 95th percentile of one ``decide`` call (a step),
and of a person's first step (planning the start context, the dearest).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench.ranking import _choice, frozen_knowledge, reset_learning, setup_django, train_one  # noqa: E402
from bench.truth import Population, load_truth  # noqa: E402


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_people(
    population: Population, *, guide: object, people: int, cold: bool, seed: int
) -> tuple[list[float], list[float]]:
    """Seconds per decide call, and per first call, over ``people`` fresh people."""
    from diagnostics import engine
    from diagnostics.learning import api

    rng = random.Random(f"planning|{seed}")
    known = frozen_knowledge(guide)
    steps: list[float] = []
    firsts: list[float] = []
    for i in range(people):
        person = population.sample(rng)
        if cold:
            known = frozen_knowledge(guide)
        answers: dict[str, str] = {}
        attempts: list[engine.Attempt] = []
        memo: Mapping[str, list[str]] = {}
        while True:
            started = time.process_time()
            decision = api.decide(
                guide, known, answers, attempts, seed=seed * 100_000 + i, memo=memo
            )
            elapsed = time.process_time() - started
            steps.append(elapsed)
            if not answers and not attempts:
                firsts.append(elapsed)
            memo = decision.memo
            step = decision.step
            if isinstance(step, engine.Outcome):
                break
            choice = _choice(person, step)
            if isinstance(step, engine.Question):
                answers[step.id] = choice
            else:
                attempts.append(engine.Attempt(fix=step.id, result=engine.Result(choice)))
    return steps, firsts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", default="close", help="truth file name or path")
    parser.add_argument("--evidence", default="0,100,1000,5000", help="training sizes")
    parser.add_argument("--people", type=int, default=200, help="people timed per row")
    args = parser.parse_args(argv)
    population = load_truth(args.truth)
    sizes = [int(x) for x in args.evidence.split(",")]
    teardown = setup_django()
    try:
        from diagnostics.models import Guide, guide_for_version

        reset_learning()
        guide_row = Guide.objects.select_related("current_version").get(slug=population.guide)
        guide = guide_for_version(guide_row.current_version_id)
        print(f"bench/planning.py: truth={population.name}, people={args.people} per row")
        print(
            f"   {'trained':>7} {'lines':>6} {'knowledge':>9}"
            f" {'step mean':>10} {'step p95':>9} {'first mean':>11} {'train/diag':>11}"
        )
        rng = random.Random("planning-train")
        trained = 0
        for size in sizes:
            started = time.process_time()
            count = size - trained
            while trained < size:
                train_one(population.sample(rng), guide_row=guide_row, network=f"n-{trained}")
                trained += 1
            per_train = (time.process_time() - started) / count if count else float("nan")
            from diagnostics.learning.evidence import read_evidence

            lines = len(read_evidence(slug=guide.slug).table)
            for cold in (True, False):
                steps, firsts = time_people(
                    population, guide=guide, people=args.people, cold=cold, seed=1
                )
                print(
                    f"   {size:>7} {lines:>6} {'cold' if cold else 'warm':>9}"
                    f" {statistics.fmean(steps) * 1000:8.2f}ms"
                    f" {_percentile(steps, 0.95) * 1000:7.2f}ms"
                    f" {statistics.fmean(firsts) * 1000:9.2f}ms"
                    f" {per_train * 1000 if cold else float('nan'):9.1f}ms"
                )
    finally:
        teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
