"""Plain statistics for staff figures: Wilson intervals and bucketed time histograms.

Pure Python, no Django. Medians cannot be added up across days, so time is
kept as counts per bucket (:data:`SECOND_BUCKETS`): histograms of several days
add up bucket by bucket, and the median of the sum is known to lie within one
bucket, which is what staff are shown.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the two-sided 95% quantile of the standard normal

# Upper bounds (exclusive), in seconds, of each bucket but the last, which is
# open-ended. Finer where most steps fall (under two minutes).
SECOND_BUCKETS: tuple[int, ...] = (
    5,
    10,
    15,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    43200,
    86400,
)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> Interval | None:
    """The Wilson score interval for a proportion ``successes / n``; None when ``n`` is 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n, not {successes} of {n}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Interval(low=max(0.0, centre - half), high=min(1.0, centre + half))


def bucket_of(seconds: float) -> int:
    """The index of the bucket ``seconds`` falls in (negative times count as 0)."""
    return bisect.bisect_right(SECOND_BUCKETS, max(seconds, 0))


def bucket_bounds(index: int) -> tuple[int, int | None]:
    """A bucket's lower bound (inclusive) and upper bound (exclusive; None: open-ended)."""
    low = SECOND_BUCKETS[index - 1] if index > 0 else 0
    high = SECOND_BUCKETS[index] if index < len(SECOND_BUCKETS) else None
    return low, high


def median_bucket(histogram: Mapping[int, int]) -> int | None:
    """The bucket holding the median of a histogram (bucket index -> count); None if empty.

    With an even total the lower middle value is taken, so the answer is
    always a bucket that holds an observed time.
    """
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = (total + 1) // 2  # 1-based rank of the (lower) median
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return index
    return None  # unreachable: the counts add up to total


def describe_seconds(seconds: int) -> str:
    """A duration for people: ``45 s``, ``3 min``, ``2 h``."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds / 60:.1f} min"
    hours = seconds / 3600
    return f"{hours:g} h" if hours == int(hours) else f"{hours:.1f} h"


def describe_bucket(index: int) -> str:
    """A bucket in words: ``30 s to 45 s``, or ``over 24 h`` for the last."""
    low, high = bucket_bounds(index)
    if high is None:
        return f"{describe_seconds(low)} or more"
    return f"{describe_seconds(low)} to {describe_seconds(high)}"
