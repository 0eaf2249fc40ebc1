"""Every figure of the staff dashboard, checked against a hand-counted set of diagnoses."""

from __future__ import annotations

from datetime import date

import pytest

from diagnostics.insight.dashboard import Dashboard, Filters, dashboard
from diagnostics.models import Diagnosis, EmbedSite, Guide, StepEvent
from tests.dashboard_data import DAY1, DAY3, NOW, answered, hand_counted, make, shown

pytestmark = pytest.mark.django_db


def figures(**filters: object) -> Dashboard:
    chosen = {"start": DAY1, "end": DAY3, **filters}
    return dashboard(filters=Filters(**chosen), now=NOW)  # type: ignore[arg-type]


def outcomes(d: Dashboard) -> dict[str, int]:
    return {row.key: row.count for row in d.outcomes}


def test_outcomes_and_resolution_rate_by_hand(guide: Guide) -> None:
    hand_counted(guide)
    d = figures()
    assert d.started == 6  # A to F; not the preview, the demo, or the one never answered
    assert outcomes(d) == {
        "fixed": 1,  # A
        "explained": 1,  # B: the Apple outage
        "escalated": 1,  # C
        "abandoned": 2,  # D (marked), E (idle past 24 hours)
        "in_progress": 1,  # F, still active
    }
    assert (d.resolution.part, d.resolution.n) == (2, 6)
    assert d.resolution.percent == pytest.approx(100 * 2 / 6)
    # A took 120 s, B 30 s: the lower median, 30 s, is in the bucket 30 to 45 s.
    assert d.resolution_time == "30 s to 45 s"
    assert d.resolution_timed == 2


def test_per_fix_counts_rates_and_intervals_by_hand(guide: Guide) -> None:
    hand_counted(guide)
    fixes = {row.fix: row for row in figures().fixes}
    assert set(fixes) == {"restart", "toggle_contacts_sync"}
    restart = fixes["restart"]
    # Recommended to A, C and D; tried by A (fixed) and C (did not fix).
    assert (restart.shown, restart.tried, restart.fixed, restart.not_fixed, restart.cannot) == (
        3,
        2,
        1,
        1,
        0,
    )
    assert (restart.success.part, restart.success.n) == (1, 2)
    interval = restart.success.interval
    assert interval is not None
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0945, 0.9055)
    toggle = fixes["toggle_contacts_sync"]
    assert (toggle.shown, toggle.tried, toggle.fixed, toggle.cannot) == (1, 1, 0, 1)
    assert restart.title == "Restart your iPhone"
    # Nothing taught the ranking here, so its estimate is the author's prior for everyone.
    assert restart.estimate is not None
    assert 0 < restart.estimate < 1


def test_the_funnel_on_a_branching_path(guide: Guide) -> None:
    hand_counted(guide)
    steps = {row.step: row for row in figures().steps}
    first = steps["question:apple_status"]
    assert (first.views, first.exits) == (6, 0)
    # The branch to the account question: E left there, F is still on it (not an exit).
    account = steps["question:account"]
    assert (account.views, account.exits) == (2, 1)
    assert account.exit_rate.percent == 50
    # The other branch, straight to the restart fix: D left there.
    restart = steps["fix:restart"]
    assert (restart.views, restart.exits) == (3, 1)
    assert restart.exit_rate.percent == pytest.approx(100 / 3)
    # Endings are not exits.
    assert steps["outcome:fixed"].exits == 0
    assert steps["outcome:escalate"].exits == 0
    # Times: 8, 12, 15, 20, 25, 40 s; the lower median is 15 s.
    assert (first.median_time, first.timed) == ("15 s to 20 s", 6)
    assert (restart.median_time, restart.timed) == ("1.5 min to 2 min", 2)
    assert (account.median_time, account.timed) == ("", 0)


def test_a_diagnosis_shown_a_step_twice_counts_once_and_start_over_is_no_exit(
    guide: Guide,
) -> None:
    version = guide.current_version
    assert version is not None
    q = "question:apple_status"
    make(  # answered, went back, and was shown the first question again: then left
        version,
        at=NOW.replace(day=8),
        status="abandoned",
        last_step=q,
        events=[
            shown(q),
            answered(q, 10),
            shown("fix:restart"),
            ("back", "fix:restart", 5),
            shown(q),
        ],
    )
    make(  # started over: its last event is the start over, not a step on screen
        version,
        at=NOW.replace(day=8),
        status="abandoned",
        last_step=q,
        events=[shown(q), answered(q, 10), shown("fix:restart"), ("start_over", "fix:restart", 3)],
    )
    steps = {row.step: row for row in figures().steps}
    assert (steps[q].views, steps[q].exits) == (2, 1)
    assert (steps["fix:restart"].views, steps["fix:restart"].exits) == (2, 0)


def test_the_daily_trend(guide: Guide) -> None:
    hand_counted(guide)
    trend = figures().trend
    assert [(row.day, row.started, row.resolved) for row in trend] == [
        (date(2026, 3, 8), 5, 2),
        (date(2026, 3, 9), 0, 0),
        (date(2026, 3, 10), 1, 0),
    ]
    assert trend[0].rate.percent == 40
    assert trend[1].rate.percent is None


def test_each_filter_changes_the_numbers(guide: Guide) -> None:
    made = hand_counted(guide)
    everything = figures().started
    assert everything == 6
    # Version: F is on the second version.
    first = guide.current_version
    assert figures(guide=guide, version=first).started == 5
    assert figures(guide=guide, version=made["F"].guide_version).started == 1
    assert figures(guide=guide).started == 6
    # Date range: today only.
    assert figures(start=DAY3).started == 1
    assert figures(end=DAY1).started == 5
    # Embedding site: E ran on the shop's site; the rest on the help desk itself.
    site = EmbedSite.objects.get()
    on_site = figures(site=site)
    assert (on_site.started, outcomes(on_site)["abandoned"]) == (1, 1)
    assert figures(no_site=True).started == 5
    # Demo data only: H alone, and nothing live.
    demo = figures(demo=True)
    assert (demo.started, outcomes(demo)["fixed"]) == (1, 1)
    assert {row.fix: row.tried for row in demo.fixes} == {"restart": 1}


def test_another_guide_is_not_counted_under_this_one(guide: Guide) -> None:
    hand_counted(guide)
    other = Guide.objects.create(slug="other", title="Other")
    assert figures(guide=other).started == 0


def test_preview_demo_and_never_answered_are_left_out(guide: Guide) -> None:
    made = hand_counted(guide)
    before = figures()
    # Three more of each kind that must not count.
    for kind in (Diagnosis.Kind.PREVIEW, Diagnosis.Kind.DEMO):
        make(
            made["A"].guide_version,
            at=NOW.replace(day=8),
            status="resolved",
            last_step="outcome:fixed",
            events=[shown("fix:restart"), answered("fix:restart", 9), shown("outcome:fixed")],
            attempts=(("restart", "fixed"),),
            kind=kind,
        )
    make(
        made["A"].guide_version,
        at=NOW.replace(day=8),
        status="abandoned",
        last_step="question:apple_status",
        events=[shown("question:apple_status")],
        answered_once=False,
    )
    after = figures()
    assert after.started == before.started == 6
    assert outcomes(after) == outcomes(before)
    assert after.fixes == before.fixes
    assert after.steps == before.steps
    assert StepEvent.objects.count() > 0
