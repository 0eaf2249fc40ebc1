"""What each POST of the flow costs in queries; a step costs the same at step 2 as at step 12.

The learned ranking adds at most one read (the guide's evidence, cached per
process for up to a minute), and the step that ends a diagnosis its three
upserts, in the same transaction. Every POST that moves a diagnosis also
writes its step events: one multi-row insert, in the same transaction.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from diagnostics.learning import evidence
from diagnostics.models import Diagnosis, Guide, guide_for_version
from tests.authoring import DRAFTS, author, new_version
from tests.conftest import Flow

# Measured as production runs it: no test transaction around each request, so
# the answer's own transaction costs what it really costs (BEGIN IMMEDIATE on
# SQLite, nothing extra on PostgreSQL) rather than a savepoint pair.
pytestmark = pytest.mark.django_db(transaction=True)

# The session, the diagnosis, the compare-and-swap update, the answer's row,
# the step events (answered and the next step's shown, in one insert).
BUDGET = 5
# The guide's evidence, when this process's copy is over a minute old: one read.
EVIDENCE_READ = 1
# A step that ends the diagnosis also records what it teaches: the network's
# daily quota, the guide's clock and every evidence line (one upsert each).
ENDING = 3
# Transaction control is logged too; the budget is about the queries themselves.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def data_queries(queries: list[str]) -> list[str]:
    return [q for q in queries if not q.upper().startswith(TRANSACTION_CONTROL)]


ANSWER_URL = "/guides/icloud-contacts/answer/"


def post_step(flow: Flow, choice: str) -> list[str]:
    """Post one answer through the real form; return the SQL it ran (the POST alone)."""
    form = flow.form(choice=choice)
    with CaptureQueriesContext(connection) as captured:
        response = flow.client.post(ANSWER_URL, form, headers=flow.headers)
    queries = [query["sql"] for query in captured.captured_queries]
    assert response.status_code in (200, 303)
    flow.get()
    return queries


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_step_post_costs_the_same_at_step_2_and_step_12(
    flow: Flow, htmx_flow: Flow, unsure: dict[str, str], htmx: bool, django_assert_num_queries
) -> None:
    flow = htmx_flow if htmx else flow
    flow.start()
    flow.answer("all_green")
    step_2 = post_step(flow, "not_sure")
    assert len(data_queries(step_2)) <= BUDGET, "\n".join(step_2)
    assert len(step_2) - len(data_queries(step_2)) <= 2  # one transaction, at most

    for _ in range(9):  # questions as they come (some between fixes), fixes not fixed
        kind, _, step_id = flow.step.partition(":")
        flow.answer(unsure[step_id] if kind == "question" else "not_fixed")
    assert flow.step.startswith("fix:")
    assert flow.html.count("</li>") > 1  # a real fix with steps, eleven answers in
    with django_assert_num_queries(len(step_2)):
        flow.client.post(ANSWER_URL, flow.form(choice="not_fixed"), headers=flow.headers)


def diagnosis_update(queries: list[str]) -> str:
    """The compare-and-swap UPDATE of the diagnosis among ``queries``."""
    (update,) = [q for q in queries if q.upper().startswith('UPDATE "DIAGNOSTICS_DIAGNOSIS"')]
    return update


def test_a_step_writes_only_the_columns_it_changes(htmx_flow: Flow, unsure: dict[str, str]) -> None:
    """A fix that did not help keeps the plan and the status: the update leaves them out.

    The plan (a JSON object, a few hundred bytes) changes only when a context
    is reached for the first time, and the status only when the diagnosis ends.
    """
    flow = htmx_flow.start()
    flow.answer_questions(unsure)
    assert flow.step.startswith("fix:")
    diagnosis = Diagnosis.objects.get(pk=flow.diagnosis)
    plan, status = diagnosis.plan, diagnosis.status

    kept = diagnosis_update(post_step(flow, "not_fixed"))
    assert '"journal"' in kept
    assert '"revision"' in kept
    assert '"plan"' not in kept
    assert '"status"' not in kept
    diagnosis.refresh_from_db()
    assert (diagnosis.plan, diagnosis.status) == (plan, status)
    assert diagnosis.last_step == flow.step  # the step shown is the step stored

    flow.answer_questions(unsure)  # a question may come between fixes
    ended = diagnosis_update(post_step(flow, "fixed"))
    assert '"status"' in ended
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.RESOLVED


def test_showing_a_step_is_cheap(
    flow: Flow, unsure: dict[str, str], django_assert_max_num_queries
) -> None:
    flow.start()
    flow.answer_questions(unsure)
    assert flow.step.startswith("fix:")
    assert flow.page.startswith("/guides/icloud-contacts/step/")  # the step's own address
    with django_assert_max_num_queries(2):  # the session and the diagnosis
        flow.get(flow.page)


def test_showing_an_end_screen_is_cheap(
    flow: Flow, unsure: dict[str, str], django_assert_max_num_queries
) -> None:
    flow.start()
    flow.walk(unsure)
    assert flow.step == "outcome:escalate"
    # The session, the diagnosis, and whether its ticket and its feedback were sent.
    with django_assert_max_num_queries(3):
        flow.get(flow.page)


# Start, Back and Start over: what each POST costs today, query by query (the
# same with and without htmx). A new query in any of them fails here; lower a
# budget when a query is saved.
START_BUDGET = [
    "the guide (its row only: the version's id is all a Start needs)",
    "the new diagnosis",
    "its first step event (shown)",
    "whether the new session's key is taken (Django's session store)",
    "the new session",
]
BACK_BUDGET = [
    "the session",
    "the diagnosis",
    "the compare-and-swap update",
    "deleting the undone answer's row",
    "the step events (back, and the earlier step shown again) in one insert",
]
START_OVER_BUDGET = [
    "the guide",
    "the session",
    "the diagnosis being left",
    "the compare-and-swap update marking it abandoned",
    "the new diagnosis",
    "the step events (start_over on the old one, shown on the new one) in one insert",
    "the session, now naming the new diagnosis",
]
# Half-way through, Start over first asks "Start over?" and writes nothing.
ASK_FIRST_BUDGET = ["the guide", "the session", "the diagnosis"]


def post_action(flow: Flow, action: str, data: dict[str, str]) -> list[str]:
    """Post ``data`` to ``action``; return the SQL the POST alone ran."""
    with CaptureQueriesContext(connection) as captured:
        response = flow.client.post(f"{flow.url}{action}/", data, headers=flow.headers)
    queries = [query["sql"] for query in captured.captured_queries]  # before the next request
    assert response.status_code in (200, 303)
    if response.status_code == 303:
        flow.get()
    else:
        flow.html = response.content.decode()
    return queries


def assert_within(queries: list[str], budget: list[str], transactions: int) -> None:
    assert len(data_queries(queries)) <= len(budget), "\n".join(queries)
    # Transaction control: SQLite logs BEGIN and COMMIT, PostgreSQL does not.
    assert len(queries) - len(data_queries(queries)) <= transactions, "\n".join(queries)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_start_back_and_start_over_posts_keep_to_their_budgets(
    client: Client, guide: Guide, htmx: bool
) -> None:
    flow = Flow(client, htmx=htmx)
    # Parsed once per process in production; not what a Start costs. Nor is the
    # evidence, read at most once a minute (test_the_ranking_costs_one_read...).
    parsed = guide_for_version(guide.current_version_id)
    evidence.knowledge_for(guide=parsed, version_id=guide.current_version_id)
    flow.get()
    start = post_action(flow, "start", {"ticket": flow.field("ticket")})
    assert_within(start, START_BUDGET, transactions=4)  # the diagnosis; the session
    assert flow.step == "question:apple_status"

    flow.answer("all_green")
    flow.answer("icloud")
    back = post_action(flow, "back", flow.form())
    assert_within(back, BACK_BUDGET, transactions=2)
    assert flow.step == "question:account"

    ask = post_action(flow, "restart", flow.form())
    assert_within(ask, ASK_FIRST_BUDGET, transactions=2)  # begun, rolled back
    assert Diagnosis.objects.count() == 1

    over = post_action(flow, "restart", {**flow.form(), "confirm": "on"})
    # The move and the new diagnosis in one transaction (the new row in a
    # savepoint, as its support code may collide); then the session's.
    assert_within(over, START_OVER_BUDGET, transactions=6)
    assert flow.step == "question:apple_status"
    assert Diagnosis.objects.count() == 2


# The session, the diagnosis, the compare-and-swap update, deleting the later
# answers and fix results (one query per table that holds any), the new row,
# the step events (answered and the next step's shown, in one insert).
REWIND_BUDGET = 7


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_answering_an_earlier_step_again_has_a_budget(
    flow: Flow, htmx_flow: Flow, unsure: dict[str, str], htmx: bool
) -> None:
    """Back from the fixes to the second question, then a different answer there."""
    flow = htmx_flow if htmx else flow
    flow.start()
    flow.answer_questions(unsure)
    for _ in range(3):
        flow.answer("not_fixed")
    flow.get("/guides/icloud-contacts/step/2/")
    form = flow.form(choice="icloud")
    assert form["position"] == "2"
    with CaptureQueriesContext(connection) as captured:
        response = flow.client.post(ANSWER_URL, form, headers=flow.headers)
    assert response.status_code in (200, 303)
    queries = [query["sql"] for query in captured.captured_queries]
    assert len(data_queries(queries)) <= REWIND_BUDGET, "\n".join(queries)
    assert len(queries) - len(data_queries(queries)) <= 2  # one transaction, at most
    # Within the questions, only the answers' table is touched: one query fewer.
    flow.get("/guides/icloud-contacts/step/2/")
    with CaptureQueriesContext(connection) as captured:
        flow.client.post(ANSWER_URL, flow.form(choice="on_my_iphone"), headers=flow.headers)
    queries = [query["sql"] for query in captured.captured_queries]
    assert len(data_queries(queries)) <= REWIND_BUDGET - 1, "\n".join(queries)


def evidence_reads(queries: list[str]) -> list[str]:
    return [q for q in queries if "diagnostics_evidence" in q and q.startswith("SELECT")]


def test_the_ranking_costs_one_read_a_minute_and_none_when_cached(
    flow: Flow, unsure: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [1000.0]
    monkeypatch.setattr(evidence, "now", lambda: moment[0])
    flow.start()
    flow.answer("all_green")
    cached = post_step(flow, unsure.get(flow.step.partition(":")[2], "not_fixed"))
    assert evidence_reads(cached) == []
    assert len(data_queries(cached)) <= BUDGET, "\n".join(cached)

    moment[0] += evidence.MAX_AGE + 1  # this process's copy is now too old
    cold = post_step(flow, unsure.get(flow.step.partition(":")[2], "not_fixed"))
    assert len(evidence_reads(cold)) == 1
    assert len(data_queries(cold)) == len(data_queries(cached)) + EVIDENCE_READ, "\n".join(cold)

    moment[0] += evidence.MAX_AGE - 1  # fresh enough again
    assert (
        evidence_reads(post_step(flow, unsure.get(flow.step.partition(":")[2], "not_fixed"))) == []
    )


def test_the_step_that_ends_a_diagnosis_records_it_in_the_same_transaction(
    flow: Flow, unsure: dict[str, str]
) -> None:
    flow.start()
    flow.answer_questions(unsure)
    ending = post_step(flow, "fixed")
    assert flow.step == "outcome:fixed"
    assert evidence_reads(ending) == []  # the cache was warm
    data = data_queries(ending)
    assert len(data) <= BUDGET + ENDING, "\n".join(ending)
    writes = [q for q in data if q.startswith(("INSERT", "UPDATE"))]
    tables = [w.split()[2 if w.startswith("INSERT") else 1].strip('"') for w in writes]
    assert tables == [
        "diagnostics_evidencequota",
        "diagnostics_evidenceclock",
        "diagnostics_evidence",
        "diagnostics_diagnosis",
        "diagnostics_fixattempt",
        "diagnostics_stepevent",
    ]
    assert len(ending) - len(data) <= 2  # all in one transaction


# The staff dashboard: the session and user, the filter form's sites, the
# watermark (twice), the stored rollups and the "Was this helpful?" answers
# given since they were stored, five queries for the live days (answers
# counted with the outcomes), per guide shown its row and its evidence (one or
# two reads), and the latest comments (live: comments must not outlive a
# purge in a rollup row; one more query when fewer than 20 of the newest
# comments fit the filters): 17 for one guide.
DASHBOARD_BUDGET = 17


def test_the_dashboard_costs_the_same_however_many_diagnoses_and_days(guide: Guide) -> None:
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.utils import timezone

    from diagnostics.insight.feedback import LATEST_COMMENTS
    from diagnostics.insight.rollups import roll_up
    from diagnostics.models import Feedback
    from tests.dashboard_data import answered, make, shown

    staff = Client()
    staff.force_login(User.objects.create_superuser("lead", "l@example.com", password=None))
    version = guide.current_version
    now = timezone.now()
    url = "/admin/diagnostics/dashboard/?start={}&end={}"

    def add(days_ago: int) -> None:
        diagnosis = make(
            version,
            at=now - timedelta(days=days_ago),  # today at the latest, whatever the hour
            status="resolved",
            last_step="outcome:fixed",
            events=[shown("fix:restart"), answered("fix:restart", 30), shown("outcome:fixed")],
            attempts=(("restart", "fixed"),),
        )
        Feedback.objects.create(diagnosis=diagnosis, helpful=days_ago % 2 == 0, comment="Thanks")

    def cost(days: int) -> int:
        start = (now - timedelta(days=days - 1)).date()
        staff.get(url.format(start, now.date()))  # parses the guide once for the process
        cache.clear()  # the live counts, not their minute-old copy
        with CaptureQueriesContext(connection) as queries:
            response = staff.get(url.format(start, now.date()))
        assert response.status_code == 200
        return len(data_queries([q["sql"] for q in queries.captured_queries]))

    for _ in range(LATEST_COMMENTS):  # enough recent comments to fill the list
        add(0)
    small = cost(1)
    for days_ago in range(40):
        add(days_ago)
        add(days_ago)
    roll_up(now=now)
    assert cost(1) == small  # today only: counted live
    # And one read of the stored days, one of the answers given since they were stored.
    assert cost(30) == cost(40) == small + 2
    assert small + 2 <= DASHBOARD_BUDGET


def test_the_authoring_pages_keep_to_a_fixed_budget(
    guide: Guide, django_assert_max_num_queries
) -> None:
    """A draft page reads the session, the user, its permissions and the draft: a fixed
    handful of queries, not one per step (the steps live in the draft's one JSON column)."""
    browser = author()
    draft = new_version(browser, guide.pk)
    for page in ("change/", "review/", "fix/0/", "toml/"):
        with django_assert_max_num_queries(6):
            assert browser.get(f"{DRAFTS}{draft.pk}/{page}").status_code == 200
