"""The dashboard's statistics: Wilson intervals against published values, medians from buckets."""

from __future__ import annotations

import pytest

from diagnostics.engine.stats import (
    SECOND_BUCKETS,
    bucket_bounds,
    bucket_of,
    describe_bucket,
    median_bucket,
    wilson_interval,
)


# Newcombe (1998), "Two-sided confidence intervals for the single proportion",
# Statistics in Medicine 17, table II, method 3 (score interval without
# continuity correction), and the textbook 5 of 10.
@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(
    successes: int, n: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, n)
    assert interval is not None
    assert round(interval.low, 4) == low
    assert round(interval.high, 4) == high


def test_wilson_interval_without_a_sample_is_none_and_bad_counts_are_refused() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(3, 2)


def test_the_interval_narrows_as_the_sample_grows() -> None:
    small, large = wilson_interval(5, 10), wilson_interval(500, 1000)
    assert small is not None
    assert large is not None
    assert large.high - large.low < small.high - small.low
    assert large.low < 0.5 < large.high


def test_buckets_cover_every_time_once() -> None:
    assert bucket_of(0) == 0
    assert bucket_of(-3) == 0  # a clock step backwards counts as no time
    assert bucket_of(4.9) == 0
    assert bucket_of(5) == 1  # bounds are inclusive below, exclusive above
    assert bucket_of(86400) == len(SECOND_BUCKETS)
    assert bucket_bounds(len(SECOND_BUCKETS)) == (86400, None)
    for seconds in (0, 7, 59, 60, 61, 599, 3600, 100000):
        low, high = bucket_bounds(bucket_of(seconds))
        assert low <= seconds
        assert high is None or seconds < high


def test_median_of_a_histogram_is_the_bucket_of_the_lower_middle_value() -> None:
    assert median_bucket({}) is None
    # 8, 12, 15, 20, 25, 40 s: the lower middle value is 15 s.
    times = [8, 12, 15, 20, 25, 40]
    histogram: dict[int, int] = {}
    for seconds in times:
        histogram[bucket_of(seconds)] = histogram.get(bucket_of(seconds), 0) + 1
    assert describe_bucket(median_bucket(histogram) or 0) == "15 s to 20 s"
    # Histograms of two days add up; the median of the sum is not a sum of medians.
    day1 = {bucket_of(10): 3}
    day2 = {bucket_of(600): 4}
    both = {k: day1.get(k, 0) + day2.get(k, 0) for k in {*day1, *day2}}
    assert describe_bucket(median_bucket(both) or 0) == "10 min to 15 min"
    assert describe_bucket(bucket_of(100000)) == "24 h or more"
