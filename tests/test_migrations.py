"""Migrations that move data: existing diagnoses keep working after an upgrade."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

from diagnostics.flow import commands
from diagnostics.models import Diagnosis, Guide

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("diagnostics", "0001_initial")]
AFTER = [("diagnostics", "0002_diagnosis_journal")]


@pytest.fixture(autouse=True)
def _latest_schema_afterwards() -> Iterator[None]:
    """Whatever a test migrates to, the next test gets the current schema back."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _a_guide_at(
    state: list[tuple[str, str]],
) -> tuple[MigrationExecutor, StateApps, Any, Any]:
    """Migrate to ``state`` and make a guide with one version in its historical models."""
    executor = MigrationExecutor(connection)
    executor.migrate(state)
    apps = executor.loader.project_state(state).apps
    guide = apps.get_model("diagnostics", "Guide").objects.create(slug="g", title="G")
    version = apps.get_model("diagnostics", "GuideVersion").objects.create(
        guide=guide, number=1, checksum="x", source="", data={}
    )
    return executor, apps, guide, version


def test_the_journal_is_filled_from_the_rows_of_existing_diagnoses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One row per fetch, so the rows of one diagnosis span several chunks.
    migration = importlib.import_module("diagnostics.migrations.0002_diagnosis_journal")
    monkeypatch.setattr(migration, "CHUNK", 1)
    executor, apps, _, version = _a_guide_at(BEFORE)
    diagnosis_model = apps.get_model("diagnostics", "Diagnosis")
    started = diagnosis_model.objects.create(guide_version=version, support_code="AAA-AAA")
    untouched = diagnosis_model.objects.create(guide_version=version, support_code="BBB-BBB")
    other = diagnosis_model.objects.create(guide_version=version, support_code="CCC-CCC")
    answer = apps.get_model("diagnostics", "Answer")
    attempt = apps.get_model("diagnostics", "FixAttempt")
    # Stored out of order on purpose: the journal follows the positions.
    attempt.objects.create(diagnosis=started, position=3, fix="restart", result="not_fixed")
    answer.objects.create(diagnosis=started, position=2, question="storage", choice="full")
    answer.objects.create(diagnosis=other, position=1, question="account", choice="google")
    answer.objects.create(diagnosis=started, position=1, question="account", choice="icloud")
    attempt.objects.create(diagnosis=other, position=2, fix="signin", result="fixed")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    diagnosis_model = apps.get_model("diagnostics", "Diagnosis")
    assert diagnosis_model.objects.get(pk=started.pk).journal == [
        ["question", "account", "icloud"],
        ["question", "storage", "full"],
        ["fix", "restart", "not_fixed"],
    ]
    assert diagnosis_model.objects.get(pk=other.pk).journal == [
        ["question", "account", "google"],
        ["fix", "signin", "fixed"],
    ]
    assert diagnosis_model.objects.get(pk=untouched.pk).journal == []


def test_a_worker_of_the_release_before_the_journal_can_still_start_diagnoses(
    guide: Guide,
) -> None:
    """During a rolling upgrade, old workers insert diagnoses without the journal column."""
    old_release = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    old_diagnosis = old_release.get_model("diagnostics", "Diagnosis")
    started = old_diagnosis.objects.create(
        guide_version_id=guide.current_version_id, support_code="OLD-REL"
    )

    diagnosis = Diagnosis.objects.get(pk=started.pk)
    assert diagnosis.journal == []
    assert commands.load_state(diagnosis=diagnosis).step_key == "question:apple_status"


def test_the_support_staff_group_is_created_even_before_its_permissions_exist() -> None:
    """On a fresh database post_migrate has not run yet: the migration makes them."""
    from django.contrib.auth.models import Group, Permission

    executor = MigrationExecutor(connection)
    (support,) = [
        key
        for key in executor.loader.graph.nodes
        if key[0] == "diagnostics" and key[1].endswith("_support")
    ]
    (before,) = [
        parent.key
        for parent in executor.loader.graph.node_map[support].parents
        if parent.key[0] == "diagnostics"
    ]
    executor.migrate([before])
    assert not Group.objects.filter(name="Support staff").exists()
    Permission.objects.filter(content_type__app_label="diagnostics").delete()  # as if fresh

    executor = MigrationExecutor(connection)
    executor.migrate([support])
    group = Group.objects.get(name="Support staff")
    assert set(group.permissions.values_list("codename", flat=True)) >= {
        "view_diagnosis",
        "export_diagnosis",
        "view_ticket",
        "change_ticket",
    }


def test_a_new_half_life_keeps_what_the_evidence_weighs_today_and_what_going_back_takes_out() -> (
    None
):
    """0013 forgets faster (half-life 150 -> 100): each line weighs now what it weighed
    before, and a diagnosis that taught before still takes out about what it added."""
    before = [("diagnostics", "0012_feedback_rollup")]
    after = [("diagnostics", "0013_evidence_half_life")]
    executor, apps, guide, version = _a_guide_at(before)
    apps.get_model("diagnostics", "EvidenceClock").objects.create(guide=guide, tick=400, base=100)
    # Stored as the store writes them: scaled from base at the old half-life.
    stored = 2 ** ((390 - 100) / 150) + 2 ** ((120 - 100) / 150)
    line = apps.get_model("diagnostics", "Evidence").objects.create(
        guide=guide, context="", kind="fixed", key="a", count=2, weight=stored
    )
    taught = apps.get_model("diagnostics", "Diagnosis").objects.create(
        guide_version=version, support_code="AAA-AAA", taught_tick=390
    )
    untaught = apps.get_model("diagnostics", "Diagnosis").objects.create(
        guide_version=version, support_code="BBB-BBB"
    )
    today = stored * 2 ** (-(400 - 100) / 150)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    clock = apps.get_model("diagnostics", "EvidenceClock").objects.get(guide_id="g")
    assert (clock.tick, clock.base) == (400, 400)
    weight = apps.get_model("diagnostics", "Evidence").objects.get(pk=line.pk).weight
    assert weight * 2 ** (-(clock.tick - clock.base) / 100) == pytest.approx(today)
    diagnoses = apps.get_model("diagnostics", "Diagnosis").objects
    moved = diagnoses.get(pk=taught.pk).taught_tick
    assert moved == 394  # 10 ticks back at 150 weigh what 6.67 back weigh at 100
    added = 2 ** ((390 - 400) / 150)  # what it adds today, in the rescaled line
    taken_out = 2 ** ((moved - clock.base) / 100)  # what unteach takes out from now on
    assert taken_out == pytest.approx(added, rel=0.01)
    assert diagnoses.get(pk=untaught.pk).taught_tick is None
