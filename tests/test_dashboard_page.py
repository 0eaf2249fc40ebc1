"""The dashboard page in the admin: who may see it, what it shows, and bad filters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.test import Client

from diagnostics.models import DailyRollup, Diagnosis, EmbedSite, Guide, forget_parsed_guides
from tests.dashboard_data import DAY1, DAY3, hand_counted
from tests.test_csp import assert_runs_under_the_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_live_counts() -> Iterator[None]:
    """Each test counts its own diagnoses, not a minute-old count of another test's."""
    cache.clear()
    yield
    cache.clear()


URL = "/admin/diagnostics/dashboard/"
RANGE = "?start=2026-03-08&end=2026-03-10"


def login(*, staff: bool = True, can_view: bool = True) -> Client:
    name = f"lead{User.objects.count()}"
    user = User.objects.create_user(name, password=None, is_staff=staff)
    if can_view:
        user.user_permissions.add(Permission.objects.get(codename="view_diagnosis"))
    client = Client()
    client.force_login(user)
    return client


def test_only_staff_who_may_view_diagnoses_see_it(guide: Guide) -> None:
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert login(staff=False).get(URL).status_code == 302  # not staff: the login page
    assert login(can_view=False).get(URL).status_code == 403
    assert login().get(URL).status_code == 200


def test_the_admin_index_links_to_it_for_those_who_may_see_it(guide: Guide) -> None:
    assert f'href="{URL}"' in login().get("/admin/").content.decode()
    assert f'href="{URL}"' not in login(can_view=False).get("/admin/").content.decode()


def test_the_page_shows_the_figures_with_charts_and_tables(guide: Guide) -> None:
    hand_counted(guide)
    response = login().get(URL + RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Diagnoses: 6 started" in html
    assert "(2 of 6; 95% interval 0.10 to 0.70)" in html
    assert "Median time to resolution: 30 s to 45 s (n = 2)" in html
    restart = (
        '<th scope="row">Restart your iPhone</th><td>3</td><td>2</td><td>1</td><td>1</td>'
        "<td>0</td><td>50% (n = 2)</td><td>0.09 to 0.91</td>"
    )
    assert restart in html
    # The account question: E left there, and F has sat idle since March by the real clock.
    assert "<td>2</td><td>2</td><td>100.0%</td><td>- (n = 0)</td>" in html
    assert html.count('<svg class="chart"') == 4
    assert html.count("<table") >= 4
    for chart in ("outcomes", "trend", "fixes", "funnel"):
        assert f'aria-labelledby="chart-{chart}-title chart-{chart}-desc"' in html
    assert "Demo data only" not in html
    assert_runs_under_the_policy(response)


def test_demo_data_is_shown_only_on_request_and_says_so(guide: Guide) -> None:
    hand_counted(guide)
    html = login().get(URL + RANGE + "&demo=on").content.decode()
    assert "Demo data only." in html
    assert "Diagnoses: 1 started" in html


def test_filters_are_read_from_the_query_string(guide: Guide) -> None:
    made = hand_counted(guide)
    client = login()
    site = EmbedSite.objects.get()
    assert "Diagnoses: 1 started" in client.get(f"{URL}{RANGE}&site={site.pk}").content.decode()
    assert "Diagnoses: 5 started" in client.get(f"{URL}{RANGE}&site=none").content.decode()
    version = made["F"].guide_version_id
    page = client.get(f"{URL}{RANGE}&guide={guide.slug}&version={version}").content.decode()
    assert "Diagnoses: 1 started" in page


def test_htmx_gets_the_panel_alone(guide: Guide) -> None:
    hand_counted(guide)
    response = login().get(URL + RANGE, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-panel">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-03-10&end=2026-03-08", "The start date must not be after the end date."),
        ("?start=yesterday", "Enter a valid date."),
        ("?start=2020-01-01&end=2026-01-01", "Choose at most 366 days at a time."),
        ("?guide=no-such-guide", "Select a valid choice."),
        ("?version=999999", "Select a valid choice."),
        ("?version=abc", "Select a valid choice."),
        ("?site=999999", "Select a valid choice."),
        ("?site=%3Cscript%3E", "Select a valid choice."),
    ],
)
def test_bad_filters_get_a_clear_400_and_change_nothing(
    guide: Guide, query: str, message: str
) -> None:
    hand_counted(guide)
    before = list(Diagnosis.objects.values_list("pk", "status", "updated"))
    response = login().get(URL + query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing is shown until the filters above are corrected." in html
    assert "<script>" not in html
    assert list(Diagnosis.objects.values_list("pk", "status", "updated")) == before
    assert not DailyRollup.objects.exists()


def test_a_version_of_another_guide_is_refused(guide: Guide) -> None:
    other = Guide.objects.create(slug="other", title="Other")
    response = login().get(f"{URL}?guide={other.slug}&version={guide.current_version_id}")
    assert response.status_code == 400
    assert "That version belongs to another guide." in response.content.decode()


def test_hostile_guide_titles_are_escaped_in_charts_and_tables(guide: Guide) -> None:
    hand_counted(guide)
    version = guide.current_version
    assert version is not None
    data = {**version.data}
    fixes = [dict(fix) for fix in data["fix"]]
    for fix in fixes:
        if fix["id"] == "restart":
            fix["title"] = '<script>alert(1)</script>"'
    Guide.objects.filter(pk=guide.pk).update(title="<b>bold</b>")
    type(version).objects.filter(pk=version.pk).update(data={**data, "fix": fixes})
    forget_parsed_guides()  # as a new process would parse it
    query = f"{URL}{RANGE}&guide={guide.slug}&version={version.pk}"  # not the newer version 2
    html = login().get(query).content.decode()
    assert "Guide &lt;b&gt;bold&lt;/b&gt;" in html or "guide &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<b>bold</b>", html)


def test_live_counts_are_reused_for_a_minute_and_then_counted_again(guide: Guide) -> None:
    from diagnostics.insight import rollups

    made = hand_counted(guide)
    client = login()
    assert "Diagnoses: 6 started" in client.get(URL + RANGE).content.decode()
    made["A"].delete()
    assert "Diagnoses: 6 started" in client.get(URL + RANGE).content.decode()  # cached
    cache.clear()  # as when LIVE_SECONDS have passed
    assert rollups.LIVE_SECONDS == 60
    assert "Diagnoses: 5 started" in client.get(URL + RANGE).content.decode()


def test_the_trend_table_lists_each_day_newest_first(guide: Guide) -> None:
    from django.template.defaultfilters import date as date_filter

    hand_counted(guide)
    html = login().get(URL + RANGE).content.decode()
    body = html.split("<caption>Diagnoses started and resolved, per day</caption>")[1]
    body = body.split("<tbody>")[1].split("</tbody>")[0]

    def day(value: date) -> str:
        return f'<tr><th scope="row">{date_filter(value, "D j M")}</th>'

    assert body == (
        f"{day(DAY3)}<td>1</td><td>0</td><td>0%</td></tr>"  # F, in progress
        f"{day(DAY1 + timedelta(days=1))}<td>0</td><td>0</td><td>-</td></tr>"
        f"{day(DAY1)}<td>5</td><td>2</td><td>40%</td></tr>"  # A and B of A to E
    )
