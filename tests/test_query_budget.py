"""A step costs the same few queries at step 2 as at step 12; the ranking adds at most one read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diagnostics.learning import evidence
from tests.conftest import Flow

# Measured as production runs it: no test transaction around each request, so
# the answer's own transaction costs what it really costs (BEGIN IMMEDIATE on
# SQLite, nothing extra on PostgreSQL) rather than a savepoint pair.
pytestmark = pytest.mark.django_db(transaction=True)

# The session, the diagnosis, the compare-and-swap update, the answer's row.
BUDGET = 4
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

    for question in ["icloud_web", "contacts_sync", "storage", "same_account"]:
        flow.answer(unsure[question])
    for _ in range(5):
        flow.answer("not_fixed")
    assert flow.step.startswith("fix:")
    assert flow.html.count("</li>") > 1  # a real fix with steps, eleven answers in
    with django_assert_num_queries(len(step_2)):
        flow.client.post(ANSWER_URL, flow.form(choice="not_fixed"), headers=flow.headers)


def test_showing_a_step_is_cheap(
    flow: Flow, unsure: dict[str, str], django_assert_max_num_queries
) -> None:
    flow.start()
    flow.walk(unsure)
    assert flow.page.startswith("/guides/icloud-contacts/step/")  # the step's own address
    with django_assert_max_num_queries(2):  # the session and the diagnosis
        flow.get(flow.page)


def evidence_reads(queries: list[str]) -> list[str]:
    return [q for q in queries if "diagnostics_evidence" in q and q.startswith("SELECT")]


def test_the_ranking_costs_one_read_a_minute_and_none_when_cached(
    flow: Flow, unsure: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [1000.0]
    monkeypatch.setattr(evidence, "now", lambda: moment[0])
    flow.start()
    flow.answer("all_green")
    cached = post_step(flow, unsure["account"])
    assert evidence_reads(cached) == []
    assert len(data_queries(cached)) <= BUDGET, "\n".join(cached)

    moment[0] += evidence.MAX_AGE + 1  # this process's copy is now too old
    cold = post_step(flow, unsure["icloud_web"])
    assert len(evidence_reads(cold)) == 1
    assert len(data_queries(cold)) == len(data_queries(cached)) + EVIDENCE_READ, "\n".join(cold)

    moment[0] += evidence.MAX_AGE - 1  # fresh enough again
    assert evidence_reads(post_step(flow, unsure["contacts_sync"])) == []


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
    ]
    assert len(ending) - len(data) <= 2  # all in one transaction


# The session, the diagnosis, the compare-and-swap update, deleting the later
# answers and fix results (one query per table that holds any), the new row.
REWIND_BUDGET = 6


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
