"""What drawing guide prose costs: the Markdown subset against the urlize it replaced.

    .venv/bin/python bench/richtext.py [--rounds 20]

Takes every prose text of the shipped guides (help, why, steps, notes, outcome
bodies and steps) and prints, per text, the best of ``--rounds`` runs of: Django's
``urlize`` (what drew guide text before), the subset drawn afresh as blocks and
inline (markdown-it-py, then nh3), and the subset from the per-process cache
(what every request after the first one pays). Also the cost of drawing one
whole guide once, the price a fresh worker pays. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.utils.html import urlize  # noqa: E402

from diagnostics import engine  # noqa: E402
from diagnostics.catalog import richtext  # noqa: E402


def best_per_text(draw: Callable[[str], object], texts: list[str], rounds: int) -> float:
    """The best of ``rounds`` passes over ``texts``, in microseconds per text."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for text in texts:
            draw(text)
        best = min(best, time.perf_counter() - began)
    return best / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    texts: list[str] = []
    for path in sorted((ROOT / "diagnostics" / "guides").glob("*.toml")):
        guide = engine.load_guide(tomllib.loads(path.read_text("utf-8")))
        texts += [text for _, _, text in richtext.prose(guide)]
    print(f"{len(texts)} prose texts in the shipped guides; best of {rounds} rounds, per text:")
    rows = [
        ("urlize (before)", lambda t: urlize(t, nofollow=True, autoescape=True)),
        ("subset, blocks, afresh", richtext.render_block.__wrapped__),
        ("subset, inline, afresh", richtext.render_inline.__wrapped__),
    ]
    for name, draw in rows:
        print(f"  {name:<28} {best_per_text(draw, texts, rounds):9.1f} µs")
    for text in texts:
        richtext.render_block(text)
    cached = best_per_text(richtext.render_block, texts, rounds * 10)
    print(f"  {'subset, from the cache':<28} {cached:9.2f} µs")
    whole = best_per_text(richtext.render_block.__wrapped__, texts, rounds) * len(texts) / 1000
    print(f"Drawing every text once (a fresh worker, all guides): {whole:.1f} ms")


if __name__ == "__main__":
    main()
