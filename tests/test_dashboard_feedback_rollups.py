""" "Was this helpful?" answers are rolled up with the rest, and each is counted once.

Counted by hand on tests/dashboard_data.py: of the live diagnoses started on
DAY1, A said yes and B said no before the day was stored; C (escalated)
answers "no" only after its day was stored (the end screen stayed open). The
demo H said yes, the preview G too (never counted). ``roll_up(now=NOW)``
stores DAY1 alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from diagnostics.insight.dashboard import Filters, dashboard
from diagnostics.insight.rollups import FEEDBACK_SETTLE, roll_up
from diagnostics.models import DailyRollup, Diagnosis, Feedback, Guide, RollupWatermark
from tests.dashboard_data import DAY1, DAY3, NOW, hand_counted, make, shown

pytestmark = pytest.mark.django_db


def answer(diagnosis: Diagnosis, *, helpful: bool, at: datetime, comment: str = "") -> None:
    feedback = Feedback.objects.create(diagnosis=diagnosis, helpful=helpful, comment=comment)
    Feedback.objects.filter(pk=feedback.pk).update(created=at)


def made_with_answers(guide: Guide) -> dict[str, Diagnosis]:
    made = hand_counted(guide)
    for name in ("A", "B", "G", "H"):
        made[name].refresh_from_db()
    answer(made["A"], helpful=True, at=made["A"].created + timedelta(minutes=10), comment="ok")
    answer(made["B"], helpful=False, at=made["B"].created + timedelta(hours=1))
    answer(made["G"], helpful=True, at=made["G"].created + timedelta(minutes=10))
    answer(made["H"], helpful=True, at=made["H"].created + timedelta(minutes=10))
    return made


def counted(*, now: datetime, demo: bool = False) -> list[tuple[int, int, int]]:
    """(yes, no, ended) per guide row of the dashboard for DAY1 to DAY3."""
    d = dashboard(filters=Filters(start=DAY1, end=DAY3, demo=demo), now=now)
    return [(row.yes, row.no, row.response.n) for row in d.feedback]


def stored(*, demo: bool = False, site: bool = False) -> dict[str, int] | None:
    """The answers in DAY1's stored row of version 1, live or demo, on the shop or not."""
    row = DailyRollup.objects.get(day=DAY1, demo=demo, embed_site__isnull=not site)
    return row.figures.get("feedback")


def test_a_stored_day_holds_its_answers_counted_by_hand(guide: Guide) -> None:
    made_with_answers(guide)
    live, demo = counted(now=NOW), counted(now=NOW, demo=True)
    assert live == [(1, 1, 3)]  # A yes, B no, of A, B, C ended
    assert demo == [(1, 0, 1)]  # H
    assert roll_up(now=NOW)[1] == 1
    assert stored() == {"yes": 1, "no": 1}
    assert stored(demo=True) == {"yes": 1, "no": 0}
    assert stored(site=True) == {"yes": 0, "no": 0}  # E, never ended
    assert sum(row.figures["feedback"]["yes"] for row in DailyRollup.objects.all()) == 2  # no G
    assert counted(now=NOW) == live
    assert counted(now=NOW, demo=True) == demo


def test_an_answer_after_its_day_was_stored_is_counted_once(guide: Guide) -> None:
    made = made_with_answers(guide)
    roll_up(now=NOW)
    late = NOW + timedelta(hours=1)
    answer(made["C"], helpful=False, at=late)
    assert stored() == {"yes": 1, "no": 1}  # not in the row yet ...
    assert counted(now=late) == [(1, 2, 3)]  # ... but counted, live
    # A roll-up right after it leaves it live: it may still have been being saved.
    roll_up(now=late + FEEDBACK_SETTLE - timedelta(minutes=1))
    assert stored() == {"yes": 1, "no": 1}
    assert counted(now=late) == [(1, 2, 3)]
    # The next one puts it in the row, and from then on it is counted there only.
    later = late + FEEDBACK_SETTLE + timedelta(minutes=1)
    roll_up(now=later)
    assert stored() == {"yes": 1, "no": 2}
    assert counted(now=later) == [(1, 2, 3)]
    roll_up(now=later)  # again: nothing new
    assert stored() == {"yes": 1, "no": 2}
    # A run that began earlier and finishes late changes nothing.
    roll_up(now=late)
    assert stored() == {"yes": 1, "no": 2}
    mark = RollupWatermark.objects.get()
    assert mark.feedback_before == later - FEEDBACK_SETTLE
    # Days later, with the 9th to the 11th stored too, still once.
    days_later = NOW + timedelta(days=3)
    assert roll_up(now=days_later)[1] == 3
    assert stored() == {"yes": 1, "no": 2}
    assert counted(now=days_later) == [(1, 2, 3)]


def test_an_answer_of_a_diagnosis_left_out_when_its_day_was_stored(guide: Guide) -> None:
    made = made_with_answers(guide)
    v2 = made["F"].guide_version
    # Opened on DAY1, never answered: no row of version 2 is stored for DAY1.
    back = make(
        v2,
        at=datetime(2026, 3, 8, 9, 0, tzinfo=made["A"].created.tzinfo),
        status="in_progress",
        last_step="question:apple_status",
        events=[shown("question:apple_status")],
        answered_once=False,
    )
    roll_up(now=NOW)
    assert not DailyRollup.objects.filter(day=DAY1, guide_version=v2).exists()
    # It comes back, ends, and says yes.
    Diagnosis.objects.filter(pk=back.pk).update(
        revision=1, status="resolved", last_step="outcome:fixed"
    )
    answer(back, helpful=True, at=NOW + timedelta(hours=1))
    after = NOW + timedelta(hours=2)
    assert counted(now=after) == [(2, 1, 3)]  # its end was not counted; its answer is
    roll_up(now=after)
    row = DailyRollup.objects.get(day=DAY1, guide_version=v2)
    assert row.figures["feedback"] == {"yes": 1, "no": 0}
    assert row.figures["outcomes"]["started"] == 0
    assert counted(now=after) == [(2, 1, 3)]


def test_rows_stored_before_answers_were_rolled_up_get_them_once(guide: Guide) -> None:
    made_with_answers(guide)
    roll_up(now=NOW)
    # As an older release stored them: no answers in the rows, no moment on the watermark.
    for row in DailyRollup.objects.all():
        del row.figures["feedback"]
        row.save()
    RollupWatermark.objects.update(feedback_before=None)
    assert counted(now=NOW) == [(1, 1, 3)]  # counted live meanwhile
    roll_up(now=NOW + timedelta(hours=1))
    assert stored() == {"yes": 1, "no": 1}
    assert stored(demo=True) == {"yes": 1, "no": 0}
    assert counted(now=NOW + timedelta(hours=1)) == [(1, 1, 3)]


def test_purging_diagnoses_keeps_the_answers_counted_but_not_the_comments(guide: Guide) -> None:
    made_with_answers(guide)
    roll_up(now=NOW)
    before = dashboard(filters=Filters(start=DAY1, end=DAY1), now=NOW)
    assert [c.comment for c in before.comments] == ["ok"]
    Diagnosis.objects.filter(created__date=DAY1).delete()
    assert not Feedback.objects.exists()
    after = dashboard(filters=Filters(start=DAY1, end=DAY1), now=NOW)
    assert [(row.yes, row.no) for row in after.feedback] == [(1, 1)]
    assert after.comments == []
    assert "ok" not in str(list(DailyRollup.objects.values_list("figures", flat=True)))


def test_comments_older_than_the_newest_looked_through_are_still_found(
    guide: Guide, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnostics.insight import feedback

    made = made_with_answers(guide)
    answer(made["C"], helpful=False, at=NOW - timedelta(hours=1), comment="newest")
    v1 = made["A"].guide_version
    monkeypatch.setattr(feedback, "WALK", 1)  # only C's comment is looked through first
    d = dashboard(filters=Filters(start=DAY1, end=DAY3, version=v1), now=NOW)
    assert [c.comment for c in d.comments] == ["newest", "ok"]  # C, then A (B left none)
    demo = dashboard(filters=Filters(start=DAY1, end=DAY3, demo=True), now=NOW)
    assert [c.support_code for c in demo.comments] == []  # H answered without a comment


def test_the_cached_sum_of_stored_days_never_outlives_a_roll_up(guide: Guide) -> None:
    from django.core.cache import cache

    cache.clear()
    made = made_with_answers(guide)
    roll_up(now=NOW)

    def shown() -> list[tuple[int, int]]:  # now=None: the cached sums, as the page reads them
        d = dashboard(filters=Filters(start=DAY1, end=DAY1))
        return [(row.yes, row.no) for row in d.feedback]

    assert shown() == [(1, 1)]
    answer(made["C"], helpful=False, at=NOW + timedelta(hours=1))
    assert shown() == [(1, 2)]  # the stored sum from the cache, C's answer live
    roll_up(now=NOW + timedelta(hours=2))  # C's answer moves into the stored row
    assert stored() == {"yes": 1, "no": 2}
    assert shown() == [(1, 2)]  # neither lost nor counted twice
    cache.clear()


def test_a_roll_up_committed_while_the_page_reads_counts_nothing_twice(
    guide: Guide, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from diagnostics.insight import rollups

    cache.clear()
    made = made_with_answers(guide)
    roll_up(now=NOW)
    answer(made["C"], helpful=False, at=NOW + timedelta(hours=1))
    read = rollups._stored_totals
    rolled: list[bool] = []

    def meanwhile(**kwargs: object) -> object:
        if not rolled:  # the watermark was read; a roll-up takes C's answer in now
            rolled.append(roll_up(now=NOW + timedelta(hours=2)) is not None)
        return read(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rollups, "_stored_totals", meanwhile)
    d = dashboard(filters=Filters(start=DAY1, end=DAY1))
    assert rolled == [True]
    assert stored() == {"yes": 1, "no": 2}
    assert [(row.yes, row.no) for row in d.feedback] == [(1, 2)]  # not (1, 3)
    monkeypatch.setattr(rollups, "_stored_totals", read)
    again = dashboard(filters=Filters(start=DAY1, end=DAY1))  # from the cache
    assert [(row.yes, row.no) for row in again.feedback] == [(1, 2)]
    cache.clear()
