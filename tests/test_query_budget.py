"""A step costs the same few queries at step 2 as at step 12."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import Flow

# Measured as production runs it: no test transaction around each request, so
# the answer's own transaction costs what it really costs (BEGIN IMMEDIATE on
# SQLite, nothing extra on PostgreSQL) rather than a savepoint pair.
pytestmark = pytest.mark.django_db(transaction=True)

# The session, the diagnosis, the compare-and-swap update, the answer's row.
BUDGET = 4
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
