"""The truth behind the ranking benchmark: a synthetic population of people with a problem.

A truth file (``bench/truth/*.toml``) describes who comes to a guide and what
really fixes their problem. It is data for ``bench/ranking.py``, never read by
the help desk itself, and deliberately kept apart from the guide: the guide
holds the author's *beliefs* (priors), a truth file holds what the simulator
treats as *fact*. The format is described in ``bench/README.md``; in short::

    [population]
    name = "close"
    guide = "icloud-contacts"
    description = "What this population is for."
    cannot = { sign_out_in = 0.15 }          # default can't-do rate per fix (else 0)

    [drift]                                   # optional: an iOS update half-way through
    fix = "toggle_contacts_sync"              # what this fix solved before ...
    to = "sign_out_in"                        # ... only this fix solves afterwards
    note = "Why."

    [[context]]
    name = "icloud, sync on, plenty of space"
    weight = 30                               # relative frequency (normalised over all contexts)
    answers = { apple_status = "all_green", account = "icloud", ... }   # every question
    p = { restart = 0.2, toggle_contacts_sync = 0.3 }    # single-fault: one fix per cause
    cannot = { free_storage = 0.3 }           # optional: overrides the default rates here
    [[context.cause]]                         # or/and: causes that several fixes solve
    share = 0.25
    fixes = ["restart", "toggle_contacts_sync"]

Each person belongs to one context (drawn by weight) and has at most one cause
(drawn by share; the share left over, ``1 - sum of shares``, is "nothing in the
guide fixes it: needs support"). ``p = {fix = x}`` is shorthand for a cause of
share ``x`` solved by that fix alone. The true p of a fix in a context is the
total share of the causes it solves; with overlapping causes these may sum to
more than 1. A person answers every question truthfully with their context's
answers, cannot carry out fix ``f`` with probability ``cannot[f]`` (drawn once
per person and fix), and reports "fixed" exactly when they carry out a fix that
solves their cause.

A context whose answers lead to an outcome (an Apple outage, contacts kept by
another provider, contacts already on iCloud.com) has no causes: that outcome
is the right ending for them, and no fix helps if it is never reached.

Plain Python (the standard library only), so the simulator, the tests and a
reader at a Python prompt can all load a truth file the same way.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TRUTH_DIR = Path(__file__).resolve().parent / "truth"


class TruthError(ValueError):
    """A truth file that does not describe a population (names the file and the place)."""


@dataclass(frozen=True)
class Cause:
    """Why some people's problem happens: ``share`` of the context, solved by any of ``fixes``."""

    share: float
    fixes: frozenset[str]


@dataclass(frozen=True)
class Context:
    """People who give the same answers, with what really fixes their problem."""

    name: str
    weight: float  # share of the whole population (normalised: all contexts sum to 1)
    answers: Mapping[str, str]
    causes: tuple[Cause, ...]
    cannot: Mapping[str, float] = field(default_factory=dict)  # can't-do rate per fix

    def true_p(self) -> dict[str, float]:
        """The true chance, per fix, that it solves the problem of a person here."""
        p: dict[str, float] = {}
        for cause in self.causes:
            for fix in cause.fixes:
                p[fix] = p.get(fix, 0.0) + cause.share
        return p

    def needs_support(self) -> float:
        """The share of people here whom no fix in the guide helps."""
        return max(0.0, 1.0 - sum(cause.share for cause in self.causes))

    def cannot_rate(self, fix: str) -> float:
        return self.cannot.get(fix, 0.0)


@dataclass(frozen=True)
class Person:
    """One simulated person: their answers, the fixes that would solve their problem,
    and the fixes they could not carry out."""

    context: Context
    works: frozenset[str]
    cannot: frozenset[str]

    @property
    def answers(self) -> Mapping[str, str]:
        return self.context.answers

    def result(self, fix: str) -> str:
        """What they report after being offered ``fix``: "cannot", "fixed" or "not_fixed"
        (the values of ``diagnostics.engine.Result``)."""
        if fix in self.cannot:
            return "cannot"
        return "fixed" if fix in self.works else "not_fixed"


@dataclass(frozen=True)
class Drift:
    """An iOS update: what ``fix`` used to solve, only ``to`` solves from now on."""

    fix: str
    to: str
    note: str = ""


@dataclass(frozen=True)
class Population:
    name: str
    guide: str  # the slug of the guide it is meant for
    description: str
    contexts: tuple[Context, ...]
    drift: Drift | None = None
    path: Path | None = None

    def sample(self, rng: random.Random) -> Person:
        """Draw one person: a context by weight, a cause by share, then their can't-dos.

        Uses only ``rng``, so a seeded generator gives the same people every run.
        """
        context = rng.choices(self.contexts, weights=[c.weight for c in self.contexts])[0]
        works: frozenset[str] = frozenset()
        draw = rng.random()
        for cause in context.causes:
            if draw < cause.share:
                works = cause.fixes
                break
            draw -= cause.share
        fixes = sorted({f for c in context.causes for f in c.fixes} | set(context.cannot))
        cannot = frozenset(f for f in fixes if rng.random() < context.cannot_rate(f))
        return Person(context=context, works=works, cannot=cannot)

    def context_for(self, answers: Mapping[str, str]) -> Context | None:
        """The context whose answers include all of ``answers``, if exactly one does."""
        found = [c for c in self.contexts if all(c.answers.get(q) == a for q, a in answers.items())]
        return found[0] if len(found) == 1 else None

    def drifted(self) -> Population:
        """The population after its drift (itself if it has none): in every cause,
        ``drift.fix`` is replaced by ``drift.to``."""
        if self.drift is None:
            return self
        old, new = self.drift.fix, self.drift.to

        def moved(cause: Cause) -> Cause:
            if old not in cause.fixes:
                return cause
            return Cause(share=cause.share, fixes=(cause.fixes - {old}) | {new})

        contexts = tuple(
            replace(c, causes=tuple(moved(x) for x in c.causes)) for c in self.contexts
        )
        return replace(self, contexts=contexts, drift=None)


# --- reading ------------------------------------------------------------------


def _fail(path: Path, where: str, message: str) -> TruthError:
    return TruthError(f"{path.name}: {where}: {message}")


def _rate(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, where, "must be a number")
    if not 0.0 <= float(value) <= 1.0 or math.isnan(value):
        raise _fail(path, where, "must be between 0 and 1")
    return float(value)


def _rates(path: Path, where: str, value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise _fail(path, where, "must map fix ids to numbers")
    return {str(k): _rate(path, f"{where}.{k}", v) for k, v in value.items()}


def _context(path: Path, index: int, data: Any, default_cannot: Mapping[str, float]) -> Context:
    where = f"context {index + 1}"
    if not isinstance(data, dict):
        raise _fail(path, where, "must be a table headed [[context]]")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(path, where, "needs a 'name'")
    where = f"context {name!r}"
    weight = data.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        raise _fail(path, where, "'weight' must be a number above 0")
    answers = data.get("answers")
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        raise _fail(path, where, "'answers' must map question ids to choice ids")
    causes = [
        Cause(share=share, fixes=frozenset({fix}))
        for fix, share in _rates(path, f"{where}: p", data.get("p", {})).items()
    ]
    for n, cause in enumerate(data.get("cause", [])):
        fixes = cause.get("fixes") if isinstance(cause, dict) else None
        if not isinstance(fixes, list) or not fixes or not all(isinstance(f, str) for f in fixes):
            raise _fail(path, f"{where}: cause {n + 1}", "'fixes' must list fix ids")
        share = _rate(path, f"{where}: cause {n + 1}: share", cause.get("share"))
        causes.append(Cause(share=share, fixes=frozenset(fixes)))
    total = sum(c.share for c in causes)
    if total > 1.0 + 1e-9:
        raise _fail(path, where, f"the shares of its causes sum to {total:.3f}, above 1")
    cannot = {**default_cannot, **_rates(path, f"{where}: cannot", data.get("cannot", {}))}
    return Context(
        name=name,
        weight=float(weight),
        answers=dict(answers),
        causes=tuple(causes),
        cannot=cannot,
    )


def load_truth(path: str | Path) -> Population:
    """Read a truth file into a :class:`Population` (context weights normalised to sum 1).

    ``path`` may be a file, or the bare name of one in ``bench/truth/``
    ("close" for ``bench/truth/close.toml``). Raises :class:`TruthError` naming
    the file and the place for anything malformed: a missing name or weight,
    a rate outside 0..1, causes whose shares sum above 1, two contexts with
    the same answers.
    """
    path = Path(path)
    if not path.suffix and not path.exists():
        path = TRUTH_DIR / f"{path}.toml"
    with path.open("rb") as file:
        data = tomllib.load(file)
    head = data.get("population")
    if not isinstance(head, dict):
        raise _fail(path, "[population]", "missing")
    for key in ("name", "guide", "description"):
        if not isinstance(head.get(key), str) or not head[key]:
            raise _fail(path, "[population]", f"needs a text '{key}'")
    default_cannot = _rates(path, "[population] cannot", head.get("cannot", {}))
    raw = data.get("context")
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "[[context]]", "needs at least one context")
    contexts = [_context(path, i, c, default_cannot) for i, c in enumerate(raw)]
    seen: dict[tuple[tuple[str, str], ...], str] = {}
    for context in contexts:
        key = tuple(sorted(context.answers.items()))
        if key in seen:
            raise _fail(path, f"context {context.name!r}", f"same answers as {seen[key]!r}")
        seen[key] = context.name
    total = sum(c.weight for c in contexts)
    contexts = [replace(c, weight=c.weight / total) for c in contexts]
    drift = None
    if "drift" in data:
        d = data["drift"]
        if not isinstance(d, dict) or not all(isinstance(d.get(k), str) for k in ("fix", "to")):
            raise _fail(path, "[drift]", "needs texts 'fix' and 'to'")
        drift = Drift(fix=d["fix"], to=d["to"], note=str(d.get("note", "")))
    return Population(
        name=head["name"],
        guide=head["guide"],
        description=head["description"],
        contexts=tuple(contexts),
        drift=drift,
        path=path,
    )


def truth_files() -> list[Path]:
    """Every truth file shipped in ``bench/truth/``, by name."""
    return sorted(TRUTH_DIR.glob("*.toml"))
