"""Rate limits on POSTs, per client: a friendly 429 page, counted in the database or Redis.

In-process tests use a limit of 3 POSTs a minute. The last tests fire
concurrent POSTs at a real gunicorn with two worker processes, to show the
count is shared and exact under contention on both backends.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from diagnostics.models import Answer
from ops.models import RateLimitCounter
from ops.ratelimit import bucket_for, client_address, client_digest
from tests import servers
from tests.conftest import Flow
from tests.local_services import needs_redis, redis_cache, redis_url, suite_database
from tests.threads import Threads

pytestmark = pytest.mark.django_db

LIMIT = 3
START_OF_A_WINDOW = 1_800_000_000.0  # a multiple of 60: windows are aligned to it


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    """The rate limiter's clock, fixed 5 s into a window: no test straddles two."""
    with mock.patch("ops.ratelimit.now", return_value=START_OF_A_WINDOW + 5):
        yield


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test runs against both counters: the database table and Redis."""
    overrides: dict = {
        "HELPDESK_RATE_LIMIT_BACKEND": "database",
        "HELPDESK_RATE_LIMIT_POSTS": LIMIT,
        "HELPDESK_RATE_LIMIT_WINDOW": 60,
    }
    if request.param == "redis":
        needs_redis()
        prefix = f"helpdesk-tests-{secrets.token_hex(4)}"  # a fresh count per test
        overrides |= {
            "HELPDESK_RATE_LIMIT_BACKEND": "cache",
            "CACHES": redis_cache(redis_url(), prefix=prefix),
        }
    with override_settings(**overrides):
        yield request.param


def answers_stored() -> int:
    return Answer.objects.count()


def test_posts_beyond_the_limit_get_a_friendly_429_page(backend: str, flow: Flow) -> None:
    flow.start()  # POST 1
    flow.answer(flow.choices[0])  # POST 2
    flow.answer(flow.choices[0])  # POST 3
    stored = answers_stored()
    response = flow.answer(flow.choices[0])  # POST 4: one too many
    assert response.status_code == 429
    page = response.content.decode()
    assert "<html" in page
    assert "Please slow down a little" in page
    assert "nothing was changed" in page
    assert 'href="/guides/icloud-contacts/">Try again</a>' in page
    # Four posts counted (the refused one too) in a sliding window: a fifth fits
    # once the window has slid half-way into the next, 55 + 30 s from now.
    assert response["Retry-After"] == "85"
    assert answers_stored() == stored  # the refused answer was not recorded
    assert flow.client.get(flow.url, follow=True).status_code == 200  # reading is never limited


def test_htmx_gets_only_the_step_panel(backend: str, htmx_flow: Flow) -> None:
    htmx_flow.start()
    for _ in range(LIMIT - 1):
        htmx_flow.answer(htmx_flow.choices[0])
    response = htmx_flow.answer(htmx_flow.choices[0])
    assert response.status_code == 429
    panel = response.content.decode().strip()
    assert panel.startswith('<section id="panel"')
    assert "<html" not in panel
    assert "Please slow down a little" in panel
    assert "HX-Request" in response["Vary"]


def test_other_clients_are_not_affected(backend: str, guide: object) -> None:
    crowded, other = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
    start = "/guides/icloud-contacts/start/"
    assert [crowded.post(start).status_code for _ in range(LIMIT + 1)] == [303] * LIMIT + [429]
    assert other.post(start).status_code == 303


def test_one_ipv6_network_is_one_client(backend: str, guide: object) -> None:
    """Stepping through addresses of one /64 buys no new allowance; another /64 has its own."""
    start = "/guides/icloud-contacts/start/"
    codes = [
        Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}").post(start).status_code
        for i in range(LIMIT + 1)
    ]
    assert codes == [303] * LIMIT + [429]
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post(start).status_code == 303


@pytest.mark.parametrize(
    ("address", "same_client"),
    [
        ("2001:db8:1:2::99", "2001:db8:1:2::1"),
        ("[2001:db8:1:2::99]:443", "2001:db8:1:2::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("198.51.100.7:51234", "198.51.100.7"),
        ("fe80::1%eth0", "fe80::2"),
    ],
)
def test_the_forms_of_one_address_count_as_one_client(address: str, same_client: str) -> None:
    assert bucket_for(address, 1) == bucket_for(same_client, 1)
    assert bucket_for(address, 1) != bucket_for("203.0.113.9", 1)


def test_the_allowance_comes_back_as_the_window_slides(backend: str, guide: object) -> None:
    client, start = Client(), "/guides/icloud-contacts/start/"
    codes = [client.post(start).status_code for _ in range(LIMIT + 1)]
    assert codes[-1] == 429
    retry_after = int(client.post(start)["Retry-After"])
    with mock.patch("ops.ratelimit.now", return_value=START_OF_A_WINDOW + 65):
        # In the next window, but the last 60 s still hold four posts.
        assert client.post(start).status_code == 429
    with mock.patch("ops.ratelimit.now", return_value=START_OF_A_WINDOW + 5 + retry_after):
        assert client.post(start).status_code == 303


# --- who the client is ------------------------------------------------------------------

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:f::/48")]


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # No trusted proxy in between: X-Forwarded-For is anyone's to write.
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),
        ("198.51.100.1", "", "198.51.100.1"),
        # One proxy: the entry it appended is the client; entries left of it are not.
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "1.2.3.4,203.0.113.7:5123", "203.0.113.7:5123"),
        # Two proxies (CDN 10.1.1.1 in front of the load balancer 10.0.0.5).
        ("10.0.0.5", "1.2.3.4, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        ("2001:db8:f::2", "[2001:db8:1::9]:443, 2001:db8:f::1", "[2001:db8:1::9]:443"),
        # A forged "trusted" entry further left does not help: the untrusted one stops the walk.
        ("10.0.0.5", "10.9.9.9, 203.0.113.7", "203.0.113.7"),
        # Every entry trusted (a request from inside): the leftmost.
        ("10.0.0.5", "10.2.2.2, 10.1.1.1", "10.2.2.2"),
        # A trusted proxy that added nothing: the proxy itself.
        ("10.0.0.5", "", "10.0.0.5"),
    ],
)
def test_forwarded_addresses_count_only_through_trusted_proxies(
    remote: str, forwarded: str, client: str
) -> None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().post("/", REMOTE_ADDR=remote, **headers)
    with override_settings(HELPDESK_TRUSTED_PROXIES=PROXIES):
        assert client_address(request) == client


def test_forged_forwarded_addresses_buy_no_allowance(guide: object) -> None:
    """A flood straight at the app, each POST naming another address, is limited."""
    flooder = Client(REMOTE_ADDR="198.51.100.66")  # not a trusted proxy
    start = "/guides/icloud-contacts/start/"
    with override_settings(
        HELPDESK_RATE_LIMIT_BACKEND="database",
        HELPDESK_RATE_LIMIT_POSTS=LIMIT,
        HELPDESK_TRUSTED_PROXIES=PROXIES,
    ):
        codes = [
            flooder.post(
                start, headers={"X-Forwarded-For": f"203.0.{i // 250}.{i % 250 + 1}"}
            ).status_code
            for i in range(200)
        ]
    assert codes.count(429) == 200 - LIMIT


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(
    guide: object,
) -> None:
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    start = "/guides/icloud-contacts/start/"
    with override_settings(
        HELPDESK_RATE_LIMIT_BACKEND="database",
        HELPDESK_RATE_LIMIT_POSTS=LIMIT,
        HELPDESK_TRUSTED_PROXIES=PROXIES,
    ):
        codes = [
            proxy.post(
                start, headers={"X-Forwarded-For": f"{i}.{i}.{i}.{i}, 203.0.113.7"}
            ).status_code
            for i in range(LIMIT + 1)
        ]
        assert codes[-1] == 429
        other = proxy.post(start, headers={"X-Forwarded-For": "203.0.113.8"})
        assert other.status_code == 303


# --- a sliding window -------------------------------------------------------------------


def test_a_burst_across_a_window_boundary_is_held_to_the_limit(backend: str, guide: object) -> None:
    """Spending the allowance at the end of one window buys no fresh one a second later."""
    client, start = Client(), "/guides/icloud-contacts/start/"
    with override_settings(HELPDESK_RATE_LIMIT_POSTS=10):
        codes = []
        for moment in (START_OF_A_WINDOW + 59.5, START_OF_A_WINDOW + 60.5):
            with mock.patch("ops.ratelimit.now", return_value=moment):
                codes += [client.post(start).status_code for _ in range(10)]
    assert codes.count(303) == 10, codes  # a fixed window let 20 through


# --- refusals are cheap -------------------------------------------------------------------


def over_the_limit(client: Client) -> None:
    codes = [client.post("/guides/icloud-contacts/start/").status_code for _ in range(LIMIT + 1)]
    assert codes[-1] == 429


def test_a_refused_post_makes_no_query(
    backend: str, guide: object, django_assert_num_queries: Callable[..., Any]
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.77")
    over_the_limit(client)
    counter = mock.Mock(side_effect=AssertionError("counted a refused post"))
    with (
        django_assert_num_queries(0),
        mock.patch.dict("ops.ratelimit.BACKENDS", {"database": counter, "cache": counter}),
    ):
        for _ in range(20):
            response = client.post("/guides/icloud-contacts/start/")
            assert response.status_code == 429
            assert response["Retry-After"] == "85"
    other = Client(REMOTE_ADDR="198.51.100.78")
    assert other.post("/guides/icloud-contacts/start/").status_code == 303


def test_refusals_are_logged_once_per_client_per_window_without_addresses(
    backend: str, guide: object, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.79")
    over_the_limit(client)
    for _ in range(50):
        assert client.post("/guides/icloud-contacts/start/").status_code == 429
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["ops.ratelimit"], [r.getMessage() for r in warnings]
    assert "refused 1 post" in warnings[0].getMessage()
    # Once the client's retry time has passed, the refusals since are summed up in one line.
    with mock.patch("ops.ratelimit.now", return_value=START_OF_A_WINDOW + 200):
        assert client.post("/guides/icloud-contacts/start/").status_code == 303
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2, lines
    assert "refused 50 posts" in lines[1]
    digest = client_digest("198.51.100.79")
    assert all(digest[:8] in line for line in lines)
    assert "198.51.100.79" not in caplog.text
    assert digest not in caplog.text  # only a prefix of the keyed hash


def test_the_database_counter_stores_no_address_and_costs_one_statement(guide: object) -> None:
    client = Client(REMOTE_ADDR="192.0.2.44")
    with (
        override_settings(HELPDESK_RATE_LIMIT_BACKEND="database", HELPDESK_RATE_LIMIT_POSTS=LIMIT),
        mock.patch("ops.ratelimit.PRUNE_CHANCE", 0),
    ):
        client.post("/guides/icloud-contacts/start/")
        with CaptureQueriesContext(connection) as queries:
            client.post("/guides/icloud-contacts/start/")
    counting = [q["sql"] for q in queries.captured_queries if "ops_rate_limit_counter" in q["sql"]]
    assert len(counting) == 1
    (row,) = RateLimitCounter.objects.all()
    assert row.count == 2
    assert "192.0.2.44" not in row.bucket
    assert "192.0.2.44" not in str(list(RateLimitCounter.objects.values_list()))


def test_past_windows_are_pruned(guide: object) -> None:
    RateLimitCounter.objects.create(bucket="post:1:old", count=5, expires=1)
    with (
        override_settings(HELPDESK_RATE_LIMIT_BACKEND="database"),
        mock.patch("ops.ratelimit.PRUNE_CHANCE", 1),
    ):
        Client().post("/guides/icloud-contacts/start/")
    assert not RateLimitCounter.objects.filter(bucket="post:1:old").exists()
    assert RateLimitCounter.objects.count() == 1


def test_an_unreachable_redis_lets_people_through(
    guide: object, caplog: pytest.LogCaptureFixture
) -> None:
    """The limit guards against abuse; a cache outage must not turn everyone away."""
    with override_settings(
        HELPDESK_RATE_LIMIT_BACKEND="cache", CACHES=redis_cache("redis://127.0.0.1:1/0")
    ):
        response = Client().post("/guides/icloud-contacts/start/")
    assert response.status_code == 303
    assert "rate limit not checked" in caplog.text


# --- shared and exact across worker processes ---------------------------------------


DAY = 86400


def burst(base: str, posts: int) -> list[int]:
    """``posts`` simultaneous start POSTs from one browser; their status codes."""
    browser = servers.Browser(base, htmx=True)
    browser.get()
    token = browser.fields()["csrfmiddlewaretoken"]
    codes: list[int] = []
    gate = threading.Barrier(posts, timeout=30)

    def one() -> None:
        gate.wait()
        response = servers.request(
            base,
            "POST",
            "/guides/icloud-contacts/start/",
            body=f"csrfmiddlewaretoken={token}".encode(),
            headers=browser._headers(post=True, htmx=True),
        )
        codes.append(response.status)

    threads = Threads()
    for _ in range(posts):
        threads.start(one)
    threads.join(timeout=60)
    return codes


def clear_of_a_window_edge(window: int, margin: float = 60) -> None:
    """Wait, if need be, until at least ``margin`` seconds of the current window are left.

    Windows are aligned to multiples of their length since the epoch, so a
    day's window ends at midnight UTC; a burst sent just before it would be
    counted in two windows.
    """
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 1)


@pytest.mark.parametrize("counter", ["database", "redis"])
def test_concurrent_posts_across_workers_are_counted_exactly(
    counter: str, tmp_path: Path, collected_static: Path
) -> None:
    if counter == "redis":
        needs_redis()
    with servers.fresh_database(suite_database(), tmp_path, name="ratelimit") as url:
        extra = {
            "DJANGO_STATIC_ROOT": str(collected_static),
            "HELPDESK_RATE_LIMIT_POSTS": "10",
            # A day's window, and the burst sent well before it ends (midnight
            # UTC): it is counted in one window, so exactly 10 of the 30 get through.
            "HELPDESK_RATE_LIMIT_WINDOW": str(DAY),
        }
        if counter == "redis":
            extra |= {"REDIS_URL": redis_url(), "CACHE_KEY_PREFIX": f"t-{secrets.token_hex(4)}"}
        with servers.Gunicorn(servers.production_env(url, **extra), workers=2) as server:
            clear_of_a_window_edge(DAY)
            codes = burst(server.base, 30)
    assert len(codes) == 30
    assert codes.count(200) == 10, codes
    assert codes.count(429) == 20, codes
