"""Daily rollups: closed days are stored once, read back unchanged, and outlive the diagnoses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from diagnostics.insight.dashboard import Dashboard, Filters, dashboard
from diagnostics.insight.rollups import last_closed_day, roll_up, watermark
from diagnostics.models import DailyRollup, Diagnosis, Guide, RollupWatermark
from tests.dashboard_data import DAY1, DAY3, NOW, hand_counted

pytestmark = pytest.mark.django_db


def figures(*, demo: bool = False, now: object = NOW) -> Dashboard:
    filters = Filters(start=DAY1, end=DAY3, demo=demo)
    return replace(dashboard(filters=filters, now=now), rolled_up_through=None)  # type: ignore[arg-type]


def test_a_day_closes_once_idle_diagnoses_count_as_abandoned() -> None:
    # At noon on the 10th, with 24 hours to abandon, the 8th is over for good;
    # someone who started late on the 9th may still come back.
    assert last_closed_day(NOW) == date(2026, 3, 8)


def test_rolled_up_days_give_the_same_figures_as_counting_live(guide: Guide) -> None:
    hand_counted(guide)
    live, demo = figures(), figures(demo=True)
    assert roll_up(now=NOW) == (date(2026, 3, 8), 1)
    assert watermark() == date(2026, 3, 8)
    # Version 1 live on the help desk and on the shop, and version 1 demo.
    assert DailyRollup.objects.filter(day=DAY1).count() == 3
    assert figures() == live
    assert figures(demo=True) == demo
    assert figures().started == 6  # the 8th from the rollup, the 10th live


def test_rolling_up_is_idempotent(guide: Guide) -> None:
    hand_counted(guide)
    roll_up(now=NOW)
    rows = list(DailyRollup.objects.values_list("day", "guide_version", "embed_site", "figures"))
    assert roll_up(now=NOW) == (date(2026, 3, 8), 0)  # nothing new
    # Even from scratch (a lost watermark), each day is stored once.
    RollupWatermark.objects.all().delete()
    assert roll_up(now=NOW) == (date(2026, 3, 8), 1)
    again = list(DailyRollup.objects.values_list("day", "guide_version", "embed_site", "figures"))
    assert sorted(again, key=str) == sorted(rows, key=str)


def test_purging_diagnoses_keeps_the_rolled_up_history(guide: Guide) -> None:
    hand_counted(guide)
    roll_up(now=NOW)
    before = figures()
    deleted, _ = Diagnosis.objects.filter(created__date=DAY1).delete()
    assert deleted > 0
    after = figures()
    assert after == before
    assert after.trend[0].started == 5


def test_later_days_are_rolled_up_as_they_close(guide: Guide) -> None:
    hand_counted(guide)
    roll_up(now=NOW)
    later = NOW + timedelta(days=2)
    assert roll_up(now=later) == (date(2026, 3, 10), 2)  # the empty 9th, then the 10th
    d = figures(now=later)
    # F sat idle past 24 hours by then: counted as abandoned.
    assert {row.key: row.count for row in d.outcomes}["abandoned"] == 3
    assert {row.key: row.count for row in d.outcomes}["in_progress"] == 0


def test_the_command_says_what_it_stored(guide: Guide) -> None:
    out = StringIO()
    call_command("rollup_dashboard", stdout=out)
    assert out.getvalue() == "Nothing to roll up: no diagnoses yet.\n"
    hand_counted(guide)  # its days are long closed by the real clock
    call_command("rollup_dashboard", stdout=out)
    assert "days rolled up; stored through" in out.getvalue()
    assert DailyRollup.objects.filter(day=DAY1).exists()
