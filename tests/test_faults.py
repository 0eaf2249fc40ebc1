"""Faults a production help desk meets, and what people see when they happen.

Most tests here run the app as in production (gunicorn, two sync workers,
production settings) on a fresh database of this run's kind, SQLite or
PostgreSQL, and talk to it over loopback like a browser behind a TLS proxy.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from random import Random
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from diagnostics.models import Answer, Diagnosis, Guide
from tests import servers
from tests.conftest import GUIDES_DIR, SLUG, Flow
from tests.local_services import needs_postgres, suite_database
from tests.threads import Threads

pytestmark = pytest.mark.django_db

ANSWER = f"/guides/{SLUG}/answer/"


@pytest.fixture
def live_env(collected_static: Path) -> dict[str, str]:
    """Production settings for a server of this test run (static files already collected)."""
    return {
        "DJANGO_STATIC_ROOT": str(collected_static),
        "HELPDESK_RATE_LIMIT_POSTS": "1000000",
    }


def stored_steps(database_url: str) -> set[tuple[str, str, str]]:
    """Every (diagnosis, step, choice) the database holds."""
    found: set[tuple[str, str, str]] = set()
    queries = [
        ("question", "SELECT diagnosis_id, question, choice FROM diagnostics_answer"),
        ("fix", "SELECT diagnosis_id, fix, result FROM diagnostics_fixattempt"),
    ]
    for kind, sql in queries:
        if database_url.startswith("sqlite:"):
            import sqlite3

            path = database_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(path)) as conn:
                rows = conn.execute(sql).fetchall()
        else:
            import psycopg

            with psycopg.connect(database_url) as conn:
                rows = conn.execute(sql).fetchall()
        found |= {(str(uuid.UUID(str(d))), f"{kind}:{step}", choice) for d, step, choice in rows}
    return found


# --- a worker killed mid-request ------------------------------------------------------


def test_a_worker_killed_during_load_loses_no_acknowledged_answer(
    tmp_path: Path, live_env: dict[str, str]
) -> None:
    acknowledged: list[servers.Step] = []
    interrupted: list[str] = []  # requests cut off by a kill
    server_errors: list[str] = []
    lock = threading.Lock()
    deadline = 0.0  # set once the server is up
    browsers: list[servers.Browser] = []

    def person(seed: int, base: str) -> None:
        rng = Random(seed)
        browser = servers.Browser(base, htmx=seed % 2 == 0)  # with and without htmx
        browsers.append(browser)
        for _ in range(500):  # bounded; the deadline ends it first
            if time.monotonic() > deadline:
                return
            try:
                if not browser.choices() and browser.start().status not in (200, 303):
                    raise RuntimeError(f"start answered {browser.html[:100]}")
                for step in servers.walk(browser, rng):
                    with lock:
                        acknowledged.append(step)
                    if time.monotonic() > deadline:
                        return
                browser.html = ""  # next diagnosis
                browser.cookies.pop("sessionid", None)
            except (OSError, RuntimeError, KeyError) as error:
                with lock:
                    if re.search(r"answered 5\d\d", str(error)):
                        server_errors.append(repr(error))
                    else:
                        interrupted.append(repr(error))
                # Like a person after an error: reload the page and carry on from there.
                for _ in range(50):
                    with contextlib.suppress(OSError):
                        if browser.get().status == 200:
                            break
                    time.sleep(0.05)

    with servers.fresh_database(suite_database(), tmp_path, name="kill") as url:
        env = servers.production_env(url, **live_env)
        with servers.Gunicorn(env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
            original = set(server.worker_pids())
            deadline = time.monotonic() + 7
            people = Threads()
            for seed in range(6):
                people.start(person, seed, server.base)
            for kill in range(4):
                time.sleep(1.2)
                os.kill(Random(kill).choice(server.worker_pids()), signal.SIGKILL)
            people.join(timeout=60)
            # gunicorn replaced the killed workers and the node is healthy again.
            assert len(server.worker_pids()) == 2
            assert set(server.worker_pids()) != original
            assert servers.request(server.base, "GET", "/healthz").status == 200
            # The flow continues: every browser reloads and finishes its diagnosis.
            for seed, browser in enumerate(browsers):
                assert browser.get().status == 200
                if 'name="diagnosis"' not in browser.html:  # was between two diagnoses
                    browser.start()
                acknowledged.extend(servers.walk(browser, Random(seed)))
                assert not browser.choices()  # at an outcome
        stored = stored_steps(url)

    missing = {(s.diagnosis, s.step, s.choice) for s in acknowledged} - stored
    assert not missing, f"acknowledged but not stored: {sorted(missing)[:5]}"
    assert len(acknowledged) > 20
    assert interrupted, "no request was in flight when a worker was killed"
    assert not server_errors, server_errors[:3]


# --- the database unreachable -----------------------------------------------------


UNREACHABLE = {
    # A path that exists but is no database file: SQLite cannot open it.
    "sqlite": "sqlite:////",
    "postgres": "postgres://helpdesk@127.0.0.1:1/helpdesk",  # nothing listens on port 1
}


def assert_outage_page(response: servers.Response) -> None:
    assert response.status == 503
    assert "We'll be back in a minute" in response.body
    assert "Nothing you already told us is lost" in response.body
    assert response.headers["retry-after"] == "30"
    for leak in ("Traceback", "OperationalError", "Error", "127.0.0.1:1", "nonexistent"):
        assert leak not in response.body


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_an_unreachable_database_gives_a_503_page_and_healthz_503(
    database: str, live_env: dict[str, str]
) -> None:
    env = servers.production_env(
        UNREACHABLE[database],
        **live_env,
        DATABASE_POOL_TIMEOUT="1",
        DATABASE_CONNECT_TIMEOUT="1",
    )
    with servers.Gunicorn(env, workers=1, ready_status=(503,)) as server:
        health = servers.request(server.base, "GET", "/healthz")
        assert health.status == 503
        assert '"database": "unavailable"' in health.body
        browser = servers.Browser(server.base, htmx=False)
        assert_outage_page(browser.get("/"))
        assert_outage_page(browser.get(f"/guides/{SLUG}/"))
        # A step posted from an open page: refused with the same page, and an
        # htmx request is told to reload so the whole page shows it.
        posted = browser.post(ANSWER, {"diagnosis": str(uuid.uuid4()), "step": "x"}, htmx=True)
        assert_outage_page(posted)
        assert posted.headers["hx-refresh"] == "true"


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that can be cut, to stage an outage."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = servers.free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a failed database would."""
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self.listener.close()
            self.listener = None
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()


def test_a_postgres_outage_mid_flow_shows_503_then_the_flow_resumes(
    tmp_path: Path, live_env: dict[str, str]
) -> None:
    needs_postgres()
    with servers.fresh_database("postgres", tmp_path, name="outage") as url:
        proxy = TcpProxy(("127.0.0.1", 5432))
        proxy.start()
        proxied = url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
        env = servers.production_env(proxied, **live_env, DATABASE_POOL_TIMEOUT="1")
        try:
            with servers.Gunicorn(env, workers=1) as server:
                browser = servers.Browser(server.base, htmx=True)
                browser.start()
                first = browser.answer(browser.choices()[0])
                assert first.status == 200
                before = browser.fields()["step"]

                proxy.cut()
                assert servers.request(server.base, "GET", "/healthz").status == 503
                assert_outage_page(browser.get())
                browser.html = first.body  # the page still open in the browser
                assert_outage_page(browser.answer(browser.choices()[0]))

                proxy.start()
                for _ in range(100):  # bounded: at most ~10 s for the pool to reconnect
                    if servers.request(server.base, "GET", "/healthz").status == 200:
                        break
                    time.sleep(0.1)
                assert browser.get().status == 200
                assert browser.fields()["step"] == before  # nothing lost, nothing skipped
                steps = list(servers.walk(browser, Random(1)))
                assert steps
                assert not browser.choices()  # reached an outcome
        finally:
            proxy.cut()


# --- sessions, guide versions and bad input (in-process) ----------------------------


def test_a_session_that_expired_mid_flow_leads_to_a_clear_start_again_page(flow: Flow) -> None:
    flow.start()
    flow.answer(flow.choices[0])
    old = Diagnosis.objects.get()
    stale_form = flow.form(choice=flow.choices[0])
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = flow.post("answer", stale_form)
    assert response.status_code == 410
    page = response.content.decode()
    assert "Your session has ended" in page
    assert f'href="/guides/{SLUG}/">Start again</a>' in page

    # Nothing broken: the old answers are kept, and starting again just works.
    assert Answer.objects.filter(diagnosis=old).count() == 1
    flow.get()
    assert 'name="choice"' not in flow.html  # the start screen
    flow.start()
    assert flow.choices
    assert flow.diagnosis != str(old.pk)


def test_an_expired_session_with_htmx_gets_the_start_again_panel(htmx_flow: Flow) -> None:
    htmx_flow.start()
    stale_form = htmx_flow.form(choice=htmx_flow.choices[0])
    Session.objects.all().delete()
    response = htmx_flow.post("answer", stale_form)
    assert response.status_code == 410
    panel = response.content.decode()
    assert "<html" not in panel
    assert "Start again" in panel


def test_diagnoses_in_progress_finish_on_their_guide_version(
    flow: Flow, unsure: dict[str, str], tmp_path: Path
) -> None:
    flow.start()
    flow.answer(unsure["apple_status"])
    assert "Which account are the missing contacts kept in?" in flow.html
    diagnosis_id = flow.diagnosis
    started_on = Diagnosis.objects.get(pk=diagnosis_id).guide_version

    source = (GUIDES_DIR / f"{SLUG}.toml").read_text("utf-8")
    changed = source.replace(
        "Which account are the missing contacts kept in?", "Where do the missing contacts live?"
    )
    assert changed != source
    (tmp_path / f"{SLUG}.toml").write_text(changed, "utf-8")
    call_command("load_guides", dir=tmp_path, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Guide.objects.get(slug=SLUG).current_version.number == started_on.number + 1

    flow.get()
    assert "Which account are the missing contacts kept in?" in flow.html
    flow.walk(unsure)
    assert 'name="choice"' not in flow.html  # finished
    finished = Diagnosis.objects.get(pk=diagnosis_id)
    assert finished.guide_version == started_on
    assert finished.status in {Diagnosis.Status.RESOLVED, Diagnosis.Status.ESCALATED}

    newcomer = Flow(Client())
    newcomer.start()
    newcomer.answer(unsure["apple_status"])
    assert "Where do the missing contacts live?" in newcomer.html


@pytest.fixture
def csrf_flow(guide: Guide) -> tuple[Client, dict[str, str]]:
    """A browser with CSRF checks on, at the first question: its client and form."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    flow = Flow(client)
    flow.get()
    token = flow.field("csrfmiddlewaretoken")
    flow.post("start", {"csrfmiddlewaretoken": token})
    return client, {"csrfmiddlewaretoken": token, **flow.form()}


def raw_post(client: Client, body: bytes, content_type: str) -> int:
    return client.generic("POST", ANSWER, body, content_type=content_type).status_code


def test_oversized_bodies_are_refused_with_400(csrf_flow: tuple[Client, dict[str, str]]) -> None:
    client, form = csrf_flow
    big = {**form, "choice": "x" * 300_000}
    assert client.post(ANSWER, big).status_code == 400
    many = {**form, **{f"field{i}": "x" for i in range(1500)}}
    assert client.post(ANSWER, many).status_code == 400
    assert Answer.objects.count() == 0


def test_non_utf8_input_is_refused_with_400(csrf_flow: tuple[Client, dict[str, str]]) -> None:
    client, form = csrf_flow
    prefix = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    form_type = "application/x-www-form-urlencoded"
    assert raw_post(client, prefix + b"&choice=%FF%FE%80", form_type) == 400
    assert raw_post(client, prefix + b"&choice=\xff\xfe\x80", form_type) == 400
    assert raw_post(client, prefix + b"&choice=\xe9", f"{form_type}; charset=latin-1") == 400
    assert raw_post(client, prefix + b"&choice=x", f"{form_type}; charset=no-such-codec") == 400
    assert Answer.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--x\r\nContent-Disposition: form-data\r\n\r\nnope", "multipart/form-data; boundary=x"),
        (b"garbage", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary="),
        (b'{"choice": "icloud"}', "application/json"),
        (b"\x00\x01\x02\x03", "application/octet-stream"),
        (b"=&=&&==", "application/x-www-form-urlencoded"),
    ],
)
def test_garbage_bodies_get_a_4xx(
    csrf_flow: tuple[Client, dict[str, str]], body: bytes, content_type: str
) -> None:
    client, _ = csrf_flow
    assert 400 <= raw_post(client, body, content_type) < 500
    assert Answer.objects.count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"diagnosis": "not-a-uuid"},
        {"diagnosis": ""},
        {"step": ""},
        {"step": "question:" + "x" * 200},
        {"choice": ""},
        {"choice": "no-such-choice"},
        {"choice": "y" * 100},
        {"diagnosis": str(uuid.UUID(int=0))},
    ],
)
def test_garbage_form_data_gets_a_4xx_and_changes_nothing(
    csrf_flow: tuple[Client, dict[str, str]], changes: dict[str, str]
) -> None:
    client, form = csrf_flow
    response = client.post(ANSWER, {**form, "choice": "all_green", **changes})
    assert 400 <= response.status_code < 500
    assert Answer.objects.count() == 0


def test_the_outage_page_never_links_off_the_site(rf) -> None:
    from ops.errors import retry_url

    tricky = rf.get("/")
    tricky.path = tricky.path_info = "//evil.example/path"  # a protocol-relative path
    assert tricky.get_full_path() == "//evil.example/path"
    assert retry_url(tricky) == "/"
    assert retry_url(rf.get("/guides/icloud-contacts/?d=x")) == "/guides/icloud-contacts/?d=x"
    assert retry_url(rf.post("/embed/guides/icloud-contacts/answer/")) == (
        "/embed/guides/icloud-contacts/"
    )


@pytest.fixture
def broken_step(flow: Flow) -> Iterator[Flow]:
    """A started flow whose next step POST hits a bug while storing the answer."""
    flow.start()
    flow.client.raise_request_exception = False
    with mock.patch.object(Answer, "save", side_effect=RuntimeError("a bug")):
        yield flow


def test_a_bug_gets_the_styled_500_page_and_nothing_is_written(broken_step: Flow) -> None:
    before = Diagnosis.objects.get()
    response = broken_step.answer("all_green")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert re.search(
        r'<link rel="stylesheet" href="/static/diagnostics/site\.[0-9a-f]+\.css">', page
    )
    assert 'href="/">Back to the help desk' in page
    assert "<script" not in page  # nothing that could need the broken parts
    after = Diagnosis.objects.get()  # the move was rolled back with the row
    assert (after.revision, after.journal) == (before.revision, before.journal)
    assert Answer.objects.count() == 0


def test_the_500_page_falls_back_to_plain_words(broken_step: Flow) -> None:
    with mock.patch("ops.errors.loader.get_template", side_effect=ValueError("no manifest")):
        response = broken_step.answer("all_green")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/plain")
    assert b"Something went wrong on our side" in response.content


def test_a_500_inside_an_iframe_stays_in_the_iframe(guide: Guide, settings: object) -> None:
    settings.HELPDESK_EMBED_ORIGINS = ["https://shop.example.com"]
    client = Client(raise_request_exception=False)
    with mock.patch("diagnostics.flow.commands.start_diagnosis", side_effect=RuntimeError("a bug")):
        response = client.post(
            "/embed/guides/icloud-contacts/start/", headers={"Sec-Fetch-Site": "same-origin"}
        )
    assert response.status_code == 500
    assert 'href="/embed/">Back to the help desk' in response.content.decode()
    assert "X-Frame-Options" not in response
    assert "frame-ancestors https://shop.example.com" in response["Content-Security-Policy"]
