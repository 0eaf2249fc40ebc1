"""Stateless web nodes: any node can serve any step of anyone's diagnosis.

Two separate gunicorn servers ("nodes") share one database and one Redis, as
behind a load balancer without sticky sessions. A browser's requests go to
alternate nodes; the flow, the session and the rate limit must not notice.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import EVERYTHING_UNSURE
from tests.local_services import needs_redis, redis_url, suite_database

pytestmark = pytest.mark.django_db


def choice_for(browser: servers.Browser) -> str:
    """Unsure of every question; no fix helps (questions may come between fixes)."""
    kind, _, step_id = browser.fields()["step"].partition(":")
    return EVERYTHING_UNSURE[step_id] if kind == "question" else "not_fixed"


def test_a_diagnosis_moves_between_nodes_sharing_the_database_and_redis(
    tmp_path: Path, collected_static: Path
) -> None:
    needs_redis()
    with servers.fresh_database(suite_database(), tmp_path, name="nodes") as url:
        env = servers.production_env(
            url,
            DJANGO_STATIC_ROOT=str(collected_static),
            REDIS_URL=redis_url(),
            CACHE_KEY_PREFIX=f"nodes-{secrets.token_hex(4)}",
            HELPDESK_RATE_LIMIT_POSTS="6",  # shared: counted across both nodes
            HELPDESK_RATE_LIMIT_WINDOW="86400",
        )
        # One environment for both nodes: the same secret key, database and Redis.
        with servers.Gunicorn(env, workers=1) as one, servers.Gunicorn(env, workers=1) as two:
            browser = servers.Browser(one.base, htmx=True)
            assert browser.start().status == 200  # POST 1, on node one
            diagnosis = browser.fields()["diagnosis"]
            for i in range(4):
                browser.base = [two.base, one.base][i % 2]  # alternate nodes
                response = browser.answer(choice_for(browser))  # POSTs 2-5
                assert response.status == 200
                assert browser.fields()["diagnosis"] == diagnosis
            browser.base = two.base
            assert browser.get().status == 200  # a plain page load: the session is shared
            assert browser.fields()["diagnosis"] == diagnosis
            assert browser.answer(choice_for(browser)).status == 200  # POST 6
            browser.base = one.base
            refused = browser.answer(choice_for(browser))  # POST 7: over the shared limit
            assert refused.status == 429
        assert servers.step_rows(url) == 5
