"""Staff see the learned order of fixes per context, with its numbers, and can pin the author's."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from diagnostics.learning.evidence import forget_evidence, knowledge_for
from diagnostics.models import Evidence, Guide, guide_for_version
from tests.test_why import WHY_GUIDE, why_guide  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None) -> Client:
    user = User.objects.create_superuser("support", "support@example.com", password=None)
    browser = Client()
    browser.force_login(user)
    return browser


def hand_made_evidence() -> None:
    """USB people: "thorough" fixed 30 of 40 who tried it; "quick" none of 100, and
    10 of 110 offered it could not do it."""
    rows = [
        ("fixed", "thorough", 30),
        ("tried", "thorough", 40),
        ("offered", "thorough", 40),
        ("unfixed_after", "thorough", 10),
        ("tried", "quick", 100),
        ("offered", "quick", 110),
        ("cannot", "quick", 10),
        ("unfixed_after", "quick", 100),
    ]
    for kind, key, count in rows:
        Evidence.objects.create(
            guide_id="why", context="link=usb", kind=kind, key=key, count=count, weight=count
        )


def table_rows(html: str, heading: str) -> list[list[str]]:
    """The cells of each row of the table under ``heading``, tags stripped."""
    section = html.split(heading, 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-fix=\"[^\"]+\">(.*?)</tr>", section, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in rows
    ]


def test_the_learned_order_shows_prior_counts_estimate_and_cant_do(
    staff: Client,
    why_guide: Guide,  # noqa: F811
) -> None:
    hand_made_evidence()
    response = staff.get(f"/admin/diagnostics/guide/{why_guide.pk}/learned/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not pinned" in html
    rows = table_rows(html, "How is the scanner connected? <em>USB</em>")
    # Evidence put "thorough" first, though the author's order had "quick" first.
    assert [row[1] for row in rows] == [
        "Reinstall the driver (thorough)",
        "Unplug it and plug it back in (quick)",
    ]
    order, _, author, cost, prior, tried, fixed, estimate, _ = rows[0]
    assert (order, author, cost, prior, tried, fixed) == ("1", "2", "30", "40%", "40", "30")
    known = knowledge_for(
        guide=guide_for_version(why_guide.current_version_id),
        version_id=why_guide.current_version_id,
    )
    thorough, quick = known.estimates({"link": "usb"})
    assert estimate == f"{round(thorough.p * 100)}%"
    assert 40 < round(thorough.p * 100) < 75  # between the prior and the raw 30 of 40
    assert rows[1][5:7] == ["100", "0"]
    assert rows[1][8] == f"{round(quick.q * 100)}%"
    assert 5 <= round(quick.q * 100) <= 10  # 10 of 110 could not, pulled towards the prior


def test_with_no_evidence_the_page_says_so_and_shows_the_authors_order(
    staff: Client,
    why_guide: Guide,  # noqa: F811
) -> None:
    html = staff.get(f"/admin/diagnostics/guide/{why_guide.pk}/learned/").content.decode()
    assert "0 ended diagnoses have taught this guide" in html
    rows = table_rows(html, "Everyone, before any answer")
    assert [row[0] for row in rows] == [row[2] for row in rows]  # learned = author's


def test_the_pin_is_changed_on_the_guide_page_and_only_the_pin(
    staff: Client,
    why_guide: Guide,  # noqa: F811
) -> None:
    page = staff.get(f"/admin/diagnostics/guide/{why_guide.pk}/change/").content.decode()
    assert "Order of fixes: prior, evidence, estimate" in page
    knowledge_for(
        guide=guide_for_version(why_guide.current_version_id),
        version_id=why_guide.current_version_id,
    )
    response = staff.post(
        f"/admin/diagnostics/guide/{why_guide.pk}/change/",
        {
            "pin_author_order": "on",
            "title": "Changed",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": str(why_guide.current_version_id),
            "versions-0-guide": str(why_guide.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    why_guide.refresh_from_db()
    assert why_guide.pin_author_order
    assert why_guide.title == "Scanner not found"  # read-only stays as loaded
    html = staff.get(f"/admin/diagnostics/guide/{why_guide.pk}/learned/").content.decode()
    assert 'data-pinned="true"' in html


def test_the_learned_order_needs_permission_to_view_guides(why_guide: Guide) -> None:  # noqa: F811
    clerk = User.objects.create_user("clerk", password=None, is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    assert browser.get(f"/admin/diagnostics/guide/{why_guide.pk}/learned/").status_code == 403
    forget_evidence()
