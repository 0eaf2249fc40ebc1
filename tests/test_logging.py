"""One JSON line per diagnosis event on stdout, and nothing in it about the person."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from diagnostics.models import Diagnosis
from tests.conftest import SLUG, Flow

pytestmark = pytest.mark.django_db

ALLOWED_KEYS = {
    "event",
    "ts",
    "diagnosis",
    "support_code",
    "guide",
    "guide_version_id",
    "step",
    "choice",
    "next",
    "fix",
    "result",
    "outcome",
    "kind",
    "previous",
    "email",  # ticket_opened: "yes" or "no", never the address
    "phone",
    "helpful",
}


@pytest.fixture
def event_lines() -> Iterator[io.StringIO]:
    """What the configured events handler writes, exactly as it would reach stdout."""
    logger = logging.getLogger("helpdesk.events")
    # Ours is the plain StreamHandler; pytest adds capture handlers of its own.
    (handler,) = [h for h in logger.handlers if type(h) is logging.StreamHandler]
    stream = io.StringIO()
    original = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(original)


def events(stream: io.StringIO) -> list[dict]:
    lines = stream.getvalue().splitlines()
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(record, dict) for record in parsed)
    return parsed


def test_each_diagnosis_event_is_one_json_line(
    event_lines: io.StringIO, guide: object, unsure: dict[str, str]
) -> None:
    flow = Flow(Client(REMOTE_ADDR="203.0.113.99", HTTP_USER_AGENT="Mozilla/5.0 Alice's iPhone"))
    flow.start()
    flow.answer(unsure["apple_status"])
    flow.back()
    flow.answer(unsure["apple_status"])
    flow.walk(unsure, fixes="not_fixed")  # every fix fails: escalated
    flow.restart()

    found = events(event_lines)
    names = [record["event"] for record in found]
    assert names[0] == "diagnosis.started"
    assert names[1:3] == ["diagnosis.answered", "diagnosis.back"]
    assert "diagnosis.fix_result" in names
    assert names[-3:] == ["diagnosis.escalated", "diagnosis.started", "diagnosis.restarted"]

    first = Diagnosis.objects.order_by("created").first()
    started = found[0]
    assert started["diagnosis"] == str(first.pk)
    assert started["support_code"] == first.support_code
    assert started["guide"] == SLUG
    assert started["step"] == "question:apple_status"
    answered = found[1]
    assert answered["step"] == "question:apple_status"
    assert answered["choice"] == unsure["apple_status"]
    assert answered["next"].startswith("question:")
    fix = next(r for r in found if r["event"] == "diagnosis.fix_result")
    assert fix["result"] == "not_fixed"
    assert found[-1]["previous"] == str(first.pk)
    assert found[-1]["diagnosis"] != str(first.pk)


def test_a_fixed_problem_logs_resolved(
    event_lines: io.StringIO, flow: Flow, unsure: dict[str, str]
) -> None:
    flow.start()
    flow.walk(unsure, fixes="fixed")
    names = [record["event"] for record in events(event_lines)]
    assert names[-2:] == ["diagnosis.fix_result", "diagnosis.resolved"]


def test_no_personal_data_in_event_lines(
    event_lines: io.StringIO, guide: object, unsure: dict[str, str]
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.99", HTTP_USER_AGENT="Mozilla/5.0 Alice's iPhone")
    flow = Flow(client)
    flow.start()
    flow.walk(unsure)
    text = event_lines.getvalue()
    assert text
    for record in events(event_lines):
        assert set(record) <= ALLOWED_KEYS, set(record) - ALLOWED_KEYS
    for secret in ("203.0.113.99", "Alice", "Mozilla", client.cookies["sessionid"].value):
        assert secret not in text
    csrf = client.cookies.get("csrftoken")
    assert csrf is None or csrf.value not in text


def test_tickets_and_feedback_log_no_contact_details_or_comments(
    event_lines: io.StringIO, guide: object, unsure: dict[str, str]
) -> None:
    flow = Flow(Client())
    flow.start()
    flow.walk(unsure)
    flow.post(
        "escalate",
        flow.form(name="Alice Example", email="alice@example.com", phone="", message="My note"),
    )
    flow.post("feedback", flow.form(helpful="no", comment="Private comment"))
    records = events(event_lines)
    ticket = next(record for record in records if record["event"] == "diagnosis.ticket_opened")
    assert (ticket["email"], ticket["phone"]) == ("yes", "no")
    feedback = next(record for record in records if record["event"] == "diagnosis.feedback")
    assert feedback["helpful"] == "no"
    for record in records:
        assert set(record) <= ALLOWED_KEYS, set(record) - ALLOWED_KEYS
    text = event_lines.getvalue()
    for secret in ("Alice", "alice@example.com", "My note", "Private comment"):
        assert secret not in text
