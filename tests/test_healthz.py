"""/healthz tells a load balancer whether this node can serve: JSON, 200 or 503.

The real outage (a server whose database is unreachable) is in test_faults.py
and test_outages.py; here the database call itself is made to fail, the
migrations are made to look unapplied, and the cache is pointed at a port where
nothing listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from ops import health
from tests.local_services import needs_redis, redis_cache, redis_url

pytestmark = pytest.mark.django_db

NOTHING_LISTENS = "redis://127.0.0.1:1/0"


def test_healthy_node_answers_200_json(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "schema": "ok",
        "cache": "local",
    }


def test_database_failure_answers_503(client: Client) -> None:
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "schema": "unknown",
        "cache": "local",
    }


@pytest.fixture
def schema_unchecked() -> Iterator[None]:
    """This process has not yet seen the migrations applied (as a fresh worker)."""
    with mock.patch.object(health, "_migrated", False):
        yield


def test_a_missing_migration_answers_503_unmigrated(client: Client, schema_unchecked: None) -> None:
    """A database that answers SELECT 1 but lacks this release's schema is not healthy."""
    latest = max(MigrationRecorder(connection).applied_migrations())
    MigrationRecorder(connection).migration_qs.filter(app=latest[0], name=latest[1]).delete()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["schema"] == "unmigrated"
    assert response.json()["database"] == "ok"


def test_a_missing_core_table_answers_503_unmigrated(client: Client) -> None:
    """Checked on every probe, even after the migrations were once seen applied."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE diagnostics_guide RENAME TO diagnostics_guide_gone")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["schema"] == "unmigrated"


def test_reachable_from_any_host_and_over_plain_http(client: Client) -> None:
    """Load balancers probe by address, without TLS: no host check, no redirect."""
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["help.example.com"]):
        response = client.get("/healthz", headers={"Host": "10.1.2.3:8000"})
        assert response.status_code == 200
        assert client.get("/", headers={"Host": "10.1.2.3:8000"}).status_code == 400
        assert client.get("/", headers={"Host": "help.example.com"}).status_code == 301


def test_only_reads(client: Client) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert client.head("/healthz").status_code == 200


def test_unreachable_redis_answers_503(client: Client) -> None:
    with override_settings(CACHES=redis_cache(NOTHING_LISTENS)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "schema": "ok",
        "cache": "unavailable",
    }


def test_reachable_redis_answers_200(client: Client) -> None:
    needs_redis()
    with override_settings(CACHES=redis_cache(redis_url())):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "schema": "ok", "cache": "ok"}
