"""The diagnosis list in the admin: the guide's words, filters staff need, no full count."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from diagnostics.flow import commands
from diagnostics.models import Diagnosis, EmbedSite, Guide, GuideVersion, guide_for_version
from tests.conftest import Flow

pytestmark = pytest.mark.django_db

LIST = "/admin/diagnostics/diagnosis/"


@pytest.fixture
def staff(db: None) -> Client:
    user = User.objects.create_superuser("support", "support@example.com", password=None)
    browser = Client()
    browser.force_login(user)
    return browser


def listed(staff: Client, query: str = "") -> set[str]:
    page = staff.get(f"{LIST}{query}").content.decode()
    codes = set(re.findall(r"\b[2-9A-Z]{3}-[2-9A-Z]{3}\b", page))
    return codes & set(Diagnosis.objects.values_list("support_code", flat=True))


def test_last_steps_and_outcomes_show_in_the_guides_words(staff: Client, flow: Flow) -> None:
    flow.start()
    flow.answer("outage")  # ends at once, on Apple's outage
    ended = Diagnosis.objects.get()
    Flow(Client()).start().answer("all_green")  # one still at the account question
    guide = guide_for_version(ended.guide_version_id)
    page = staff.get(LIST).content.decode()
    assert f"Outcome: {escape(guide.label('outcome:apple_outage'))}" in page
    assert f"Question: {escape(guide.question('account').prompt)}" in page
    assert "outcome:apple_outage" not in page
    assert "question:account" not in page


def test_the_list_never_counts_every_diagnosis(staff: Client, flow: Flow) -> None:
    for _ in range(3):
        Flow(Client()).start()
    with CaptureQueriesContext(connection) as captured:
        page = staff.get(f"{LIST}?status__exact=in_progress").content.decode()
    counts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    # Only the filtered count the paginator needs; no second count of the whole table,
    # and the fixes-tried column is not dragged into it.
    assert len(counts) == 1, counts
    assert "diagnostics_fixattempt" not in counts[0]
    assert "3 results" in page
    assert "Show all" in page
    assert "3 total" not in page


def test_showing_more_diagnoses_costs_no_more_queries(staff: Client, guide: Guide) -> None:
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(LIST).status_code == 200
        return len(captured.captured_queries)

    for _ in range(2):
        Flow(Client()).start().answer("all_green")
    few = queries_for_list()
    for _ in range(4):
        Flow(Client()).start().answer("all_green")
    assert queries_for_list() == few


def test_filtering_by_kind_separates_previews_from_live_diagnoses(
    staff: Client, guide: Guide, client: Client
) -> None:
    live = Flow(Client()).start()
    preview = commands.start_diagnosis(
        session=client.session, guide=guide, network="n", kind=Diagnosis.Kind.PREVIEW
    )
    live_code = Diagnosis.objects.get(pk=live.diagnosis).support_code
    assert listed(staff, "?kind__exact=preview") == {preview.support_code}
    assert listed(staff, "?kind__exact=live") == {live_code}
    assert "Preview" in staff.get(LIST).content.decode()


def test_filtering_by_embedding_site(staff: Client, guide: Guide) -> None:
    site = EmbedSite.objects.create(origin="https://shop.example.com", name="Example Shop")
    embedded = Flow(Client()).start()
    Diagnosis.objects.filter(pk=embedded.diagnosis).update(embed_site=site)
    at_home = Flow(Client()).start()
    codes = {str(pk): code for pk, code in Diagnosis.objects.values_list("pk", "support_code")}
    page = staff.get(LIST).content.decode()
    assert "None recorded" in page  # the filter's name for "no site"
    assert listed(staff, f"?embed_site__id__exact={site.pk}") == {codes[embedded.diagnosis]}
    assert listed(staff, "?embed_site__id__exact=none") == {codes[at_home.diagnosis]}


@pytest.mark.parametrize("query", ["?guide=x", "?embed_site__id__exact=x", "?guide=%00"])
def test_a_tampered_filter_is_refused_without_an_error_page(
    staff: Client, guide: Guide, query: str
) -> None:
    Flow(Client()).start()
    response = staff.get(f"{LIST}{query}")
    # The admin's own answer to a bad lookup: back to the list, saying so.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_guide_filter_covers_every_version_of_the_guide(staff: Client, guide: Guide) -> None:
    first = Flow(Client()).start()
    version = guide.current_version
    newer = GuideVersion.objects.create(
        guide=guide, number=version.number + 1, checksum="new", source="", data=version.data
    )
    Diagnosis.objects.filter(pk=first.diagnosis).update(guide_version=newer)
    second = Flow(Client()).start()
    codes = set(Diagnosis.objects.values_list("support_code", flat=True))
    assert Diagnosis.objects.filter(pk=second.diagnosis, guide_version=version).exists()
    assert listed(staff, f"?guide={guide.pk}") == codes
    other = Guide.objects.exclude(pk=guide.pk).first()
    assert other is not None
    assert listed(staff, f"?guide={other.pk}") == set()
