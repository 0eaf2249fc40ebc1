"""The dashboard's "Was this helpful?" section, and the diagnosis page's link to its ticket.

Counted by hand on tests/dashboard_data.py: of the live diagnoses started on
DAY1, A (fixed), B (explained) and C (escalated) reached an end screen. A said
yes with a comment, B said no with a hostile comment, C did not answer. J, on
version 2 and started today, said yes. The preview G and demo H said yes too,
and must not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from diagnostics.insight.dashboard import Dashboard, Filters, dashboard
from diagnostics.models import Diagnosis, Feedback, Guide, Ticket
from tests.dashboard_data import DAY1, DAY3, NOW, hand_counted, make, shown

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _no_cached_live_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def answer(diagnosis: Diagnosis, *, helpful: bool, comment: str = "", hours: int = 0) -> None:
    feedback = Feedback.objects.create(diagnosis=diagnosis, helpful=helpful, comment=comment)
    Feedback.objects.filter(pk=feedback.pk).update(
        created=diagnosis.created + timedelta(minutes=10, hours=hours)
    )


def with_feedback(guide: Guide) -> dict[str, Diagnosis]:
    made = hand_counted(guide)
    for name in ("A", "B", "G", "H"):
        made[name].refresh_from_db()
    answer(made["A"], helpful=True, comment="Restarting worked.")
    answer(made["B"], helpful=False, comment=HOSTILE, hours=1)
    answer(made["G"], helpful=True, comment="a preview comment")
    answer(made["H"], helpful=True, comment="a demo comment")
    v2 = made["F"].guide_version
    made["J"] = make(
        v2,
        at=NOW - timedelta(hours=3),
        status="resolved",
        last_step="outcome:fixed",
        events=[shown("outcome:fixed")],
    )
    made["J"].refresh_from_db()
    answer(made["J"], helpful=True, comment="Version two helped.")
    return made


def figures(**filters: object) -> Dashboard:
    chosen = {"start": DAY1, "end": DAY3, **filters}
    return dashboard(filters=Filters(**chosen), now=NOW)  # type: ignore[arg-type]


def test_each_feedback_number_by_hand(guide: Guide) -> None:
    with_feedback(guide)
    [row] = figures().feedback  # one guide: its row, no total
    assert row.guide == guide.title
    assert (row.yes, row.no, row.answered) == (2, 1, 3)  # A and J; B
    assert (row.helpful.part, row.helpful.n) == (2, 3)
    # Ended: A, B, C and J; the in-progress and abandoned ones were never asked.
    assert (row.response.part, row.response.n) == (3, 4)


def test_the_filters_change_the_feedback(guide: Guide) -> None:
    made = with_feedback(guide)
    v1, v2 = made["A"].guide_version, made["J"].guide_version
    [first] = figures(version=v1).feedback
    assert (first.yes, first.no, first.response.n) == (1, 1, 3)  # A, B of A, B, C
    [second] = figures(version=v2).feedback
    assert (second.yes, second.no, second.response.n) == (1, 0, 1)  # J
    [day1] = figures(end=DAY1).feedback
    assert (day1.yes, day1.no) == (1, 1)  # J started today
    assert figures(no_site=True).feedback[0].answered == 3  # none of them embedded
    site = made["E"].embed_site
    assert figures(site=site).feedback == []  # only E, which never ended
    assert [c.support_code for c in figures(version=v2).comments] == [made["J"].support_code]


def test_preview_and_demo_feedback_is_left_out(guide: Guide) -> None:
    with_feedback(guide)
    d = figures()
    comments = [c.comment for c in d.comments]
    assert "a preview comment" not in comments
    assert "a demo comment" not in comments
    demo = figures(demo=True)  # asked for: the demo answer alone
    assert [(row.yes, row.no, row.response.n) for row in demo.feedback] == [(1, 0, 1)]
    assert [c.comment for c in demo.comments] == ["a demo comment"]


def test_the_latest_comments_newest_first_and_at_most_twenty(guide: Guide) -> None:
    made = with_feedback(guide)
    assert [c.support_code for c in figures().comments] == [
        made["J"].support_code,  # today
        made["B"].support_code,  # DAY1, an hour after A's
        made["A"].support_code,
    ]
    v1 = made["A"].guide_version
    for hour in range(25):
        extra = make(
            v1,
            at=NOW.replace(day=9, hour=0) + timedelta(minutes=hour),
            status="resolved",
            last_step="outcome:fixed",
            events=[shown("outcome:fixed")],
        )
        extra.refresh_from_db()
        answer(extra, helpful=False, comment=f"comment {hour}")
    d = figures()
    assert len(d.comments) == 20
    assert d.comments[0].support_code == made["J"].support_code
    assert d.feedback[0].answered == 28  # every answer is counted, not only those listed


def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("lead", "l@example.com", password=None))
    return client


def test_the_page_shows_the_table_and_escapes_comments(guide: Guide) -> None:
    made = with_feedback(guide)
    html = staff().get("/admin/diagnostics/dashboard/?start=2026-03-08&end=2026-03-08").content
    page = html.decode()
    assert "Was this helpful?" in page
    # The real clock has left March behind, so only DAY1 counts: A yes, B no, of A, B, C.
    assert "<td>1</td><td>1</td><td>2</td><td>50% (n = 2)</td><td>67% (n = 3)</td>" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page
    link = f'href="/admin/diagnostics/diagnosis/{made["B"].pk}/change/"'
    assert link in page
    assert "a demo comment" not in page


def test_the_diagnosis_page_links_its_ticket_only_when_it_has_one(guide: Guide) -> None:
    made = hand_counted(guide)
    client = staff()
    escalated, fixed = made["C"], made["A"]
    ticket = Ticket.objects.create(diagnosis=escalated, email="p@example.com")
    page = client.get(f"/admin/diagnostics/diagnosis/{escalated.pk}/change/").content.decode()
    assert f'href="/admin/diagnostics/ticket/{ticket.pk}/change/">Ticket: New</a>' in page
    other = client.get(f"/admin/diagnostics/diagnosis/{fixed.pk}/change/").content.decode()
    assert ">Ticket: " not in other  # the nav sidebar's "Tickets" link aside, none to a ticket
    assert f"/admin/diagnostics/ticket/{ticket.pk}/change/" not in other
    assert '<div class="readonly">-</div>' in other.split(">Ticket:</label>")[1][:200]
    # And back: the ticket's page links its diagnosis.
    back = client.get(f"/admin/diagnostics/ticket/{ticket.pk}/change/").content.decode()
    assert f'href="/admin/diagnostics/diagnosis/{escalated.pk}/change/"' in back


def test_all_guides_shows_a_row_per_guide_and_the_total(guide: Guide) -> None:
    with_feedback(guide)
    photos = Guide.objects.get(slug="icloud-photos")
    assert photos.current_version is not None
    ended = make(
        photos.current_version,
        at=NOW.replace(day=9),
        status="escalated",
        last_step="outcome:escalate",
        events=[shown("outcome:escalate")],
    )
    ended.refresh_from_db()
    answer(ended, helpful=False)
    rows = {
        row.guide: (row.yes, row.no, row.response.part, row.response.n)
        for row in figures().feedback
    }
    assert rows == {
        guide.title: (2, 1, 3, 4),
        photos.title: (0, 1, 1, 1),
        "": (2, 2, 4, 5),  # all guides
    }
    [only] = figures(guide=photos).feedback  # one guide chosen: its row alone
    assert (only.guide, only.no) == (photos.title, 1)
