"""Production settings come from the environment, and pass Django's deploy checks.

Each case starts a fresh Python process with only the variables an operator
would set, because settings are read once, at start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What docs/deployment.md tells an operator to set, and nothing from the test run.
PRODUCTION = {
    "DJANGO_SECRET_KEY": "pRod-7vQx2m9Lk3Zt8Wc4Rb6Ny1Hs5Jd0Fg-Ta9Ue2Xi7Oo3Pp6Qq8Rr1Ss4",
    "DJANGO_ALLOWED_HOSTS": "help.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://help.example.com",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "HELPDESK_SUPPORT_CONTACT": "help@example.com",
}

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
pool = db.get("OPTIONS", {}).get("pool")
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "OPTIONS": {k: v for k, v in db.get("OPTIONS", {}).items() if k != "pool"},
    "POOL": {k: v for k, v in pool.items() if k != "check"} if pool else None,
    "POOL_CHECKS": bool(pool and pool.get("check")),
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "SESSION_ENGINE": settings.SESSION_ENGINE,
    "RATE_LIMIT_BACKEND": settings.HELPDESK_RATE_LIMIT_BACKEND,
    "SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "HSTS": settings.SECURE_HSTS_SECONDS,
    "PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "TRUSTED_PROXIES": [str(n) for n in settings.HELPDESK_TRUSTED_PROXIES],
    "MAILER": settings.MAILERS["default"],
}))
"""


def clean_env(**variables: str) -> dict[str, str]:
    """The machine's environment without any setting of ours, plus ``variables``."""
    ours = ("DJANGO_", "HELPDESK_", "DATABASE_", "REDIS_", "SQLITE_", "SESSION_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    env["HELPDESK_ENV_FILE"] = os.devnull  # not a developer's .env from `make run`
    return {**env, **variables}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_with(**variables: str) -> dict:
    result = run(["-c", "import django; django.setup()\n" + PRINT_SETTINGS], clean_env(**variables))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_checks_pass_with_production_settings(tmp_path: Path) -> None:
    env = clean_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_pass_for_the_scale_out_setup() -> None:
    env = clean_env(
        **PRODUCTION,
        DATABASE_URL="postgres://helpdesk:secret@db.internal:5432/helpdesk",
        REDIS_URL="redis://cache.internal:6379/0",
        DJANGO_EMAIL_HOST="smtp.example.com",
        DJANGO_EMAIL_USE_TLS="true",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_checks_catch_a_weakened_setting(tmp_path: Path) -> None:
    """The check really looks: turning HSTS off makes it fail."""
    env = clean_env(
        **PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SECURE_HSTS_SECONDS="0",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_rate_limits_in_a_per_process_cache_are_flagged_for_deploy(tmp_path: Path) -> None:
    env = clean_env(
        **PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        HELPDESK_RATE_LIMIT_BACKEND="cache",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "ops.W001" in result.stderr + result.stdout


def test_debug_is_off_and_secure_by_default() -> None:
    found = settings_with(DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"])
    assert found["DEBUG"] is False
    assert found["SSL_REDIRECT"] is True
    assert found["HSTS"] >= 31_536_000
    assert found["ALLOWED_HOSTS"] == []  # nothing is served until hosts are named
    assert found["PROXY_SSL_HEADER"] is None  # trusted only when configured
    assert found["TRUSTED_PROXIES"] == []  # X-Forwarded-For is believed from no one
    assert found["MAILER"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_without_a_secret_key_production_refuses_to_start() -> None:
    result = run(["manage.py", "check"], clean_env())
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://db/helpdesk", "sqlite:// or postgres://"),
        ("DATABASE_URL", "nonsense://x", "not a usable database URL"),
        ("REDIS_URL", "http://cache:6379", "must start with redis://"),
        ("DJANGO_DEBUG", "maybe", "must be true or false"),
        ("HELPDESK_RATE_LIMIT_POSTS", "lots", "must be a whole number"),
        ("HELPDESK_UNANSWERED_RETENTION_HOURS", "a day", "must be a whole number"),
        ("HELPDESK_UNANSWERED_RETENTION_HOURS", "0", "must be at least 1"),
        ("HELPDESK_RATE_LIMIT_BACKEND", "memcached", "must be one of cache, database"),
        ("DJANGO_EMAIL_USE_SSL", "true", "Set only one of"),
        ("LOG_LEVEL", "verbose", "must be one of debug, info, warning, warn, error"),
        ("HELPDESK_EMBED_ORIGINS", "*", "must list exact origins"),
        ("HELPDESK_EMBED_ORIGINS", "https://shop.example; script-src *", "must list exact"),
        ("HELPDESK_EMBED_ORIGINS", "https://shop.example/help", "must list exact origins"),
        ("HELPDESK_EMBED_ORIGINS", "shop.example", "must list exact origins"),
        ("HELPDESK_EMBED_ORIGINS", "https://user:pw@shop.example", "must list exact origins"),
        ("HELPDESK_EMBED_ORIGINS", "https://shop.example:", "must list exact origins"),
        ("HELPDESK_EMBED_ORIGINS", "https://[::1", "must list exact origins"),
        ("HELPDESK_TRUSTED_PROXIES", "10.0.0.1/8", "must list IP networks"),
        ("HELPDESK_TRUSTED_PROXIES", "10.0.0.0/8, nginx", "must list IP networks"),
        ("HELPDESK_TRUSTED_PROXIES", "*", "must list IP networks"),
        ("HELPDESK_TRUSTED_PROXIES", "10.0.0.0/33", "must list IP networks"),
        # Counting proxies trusted anyone who could reach the app: no longer read,
        # and never silently ignored.
        ("HELPDESK_PROXY_COUNT", "1", "HELPDESK_TRUSTED_PROXIES instead"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(
    variable: str, value: str, message: str
) -> None:
    extra = {"DJANGO_EMAIL_USE_TLS": "true"} if variable == "DJANGO_EMAIL_USE_SSL" else {}
    env = clean_env(**PRODUCTION, **extra, **{variable: value})
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert message in result.stderr
    assert variable in result.stderr or "DJANGO_EMAIL_USE_TLS" in result.stderr


def test_sqlite_is_set_up_for_concurrent_writers(tmp_path: Path) -> None:
    """WAL, a busy timeout, IMMEDIATE transactions and synchronous=NORMAL, as SQLite reports."""
    path = tmp_path / "db.sqlite3"
    code = (
        "import django, json; django.setup()\n"
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "out = {}\n"
        "for p in ('journal_mode', 'synchronous', 'busy_timeout'):\n"
        "    c.execute(f'PRAGMA {p}'); out[p] = c.fetchone()[0]\n"
        "out['transaction_mode'] = connection.transaction_mode\n"
        "print(json.dumps(out))\n"
    )
    result = run(["-c", code], clean_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{path}"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "busy_timeout": 20_000,
        "transaction_mode": "IMMEDIATE",
    }


def test_sqlite_is_the_default_database() -> None:
    found = settings_with(**PRODUCTION)
    assert found["ENGINE"] == "django.db.backends.sqlite3"
    assert found["NAME"].endswith("db.sqlite3")
    assert found["CACHE"].endswith("LocMemCache")
    assert found["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert found["RATE_LIMIT_BACKEND"] == "database"


def test_postgres_and_redis_for_scaling_out() -> None:
    found = settings_with(
        **PRODUCTION,
        DATABASE_URL="postgres://helpdesk:secret@db.internal:5432/helpdesk",
        REDIS_URL="redis://cache.internal:6379/0",
        DATABASE_POOL_MAX_SIZE="8",
        HELPDESK_TRUSTED_PROXIES="10.0.0.0/8, 2001:db8::/32,192.0.2.7",
        HELPDESK_PROXY_COUNT="0",  # the old default is still accepted
    )
    assert found["TRUSTED_PROXIES"] == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]
    assert found["ENGINE"] == "ops.postgresql"  # Django's, with a breaker (ops/outage.py)
    assert found["NAME"] == "helpdesk"
    assert found["POOL"] == {"min_size": 1, "max_size": 8, "timeout": 10}
    assert found["POOL_CHECKS"] is True  # dead connections are replaced, not handed out
    assert found["OPTIONS"]["connect_timeout"] == 5
    assert found["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert found["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert found["RATE_LIMIT_BACKEND"] == "cache"


def test_proxy_email_and_origins_from_the_environment() -> None:
    found = settings_with(
        **PRODUCTION,
        DJANGO_EMAIL_HOST="smtp.example.com",
        DJANGO_EMAIL_PORT="587",
        DJANGO_EMAIL_HOST_USER="helpdesk",
        DJANGO_EMAIL_HOST_PASSWORD="mail-secret",
        DJANGO_EMAIL_USE_TLS="true",
    )
    assert found["PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["ALLOWED_HOSTS"] == ["help.example.com"]
    assert found["CSRF_TRUSTED_ORIGINS"] == ["https://help.example.com"]
    assert found["MAILER"]["OPTIONS"] == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "helpdesk",
        "password": "mail-secret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }


def test_no_support_contact_and_no_tickets_is_flagged_for_deploy(tmp_path: Path) -> None:
    """Escalated people would get a code and nobody to give it to."""
    env = clean_env(
        **{**PRODUCTION, "HELPDESK_SUPPORT_CONTACT": "", "HELPDESK_TICKETS": "false"},
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "diagnostics.W001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    "support",
    [
        {"HELPDESK_SUPPORT_CONTACT": "", "HELPDESK_TICKETS": "true"},
        {"HELPDESK_SUPPORT_CONTACT": "help@example.com", "HELPDESK_TICKETS": "false"},
    ],
    ids=["tickets-only", "contact-only"],
)
def test_tickets_or_a_support_contact_is_enough_for_deploy(
    tmp_path: Path, support: dict[str, str]
) -> None:
    env = clean_env(
        **{**PRODUCTION, **support}, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    result = run(["manage.py", "check", "--deploy"], env)
    assert "diagnostics.W001" not in result.stderr + result.stdout


@pytest.mark.parametrize("value", ["not-an-address", "a@b@c", "help@example.com, x@y.z"])
def test_a_support_email_that_is_not_one_address_stops_start_up(tmp_path: Path, value: str) -> None:
    env = clean_env(
        **{**PRODUCTION, "HELPDESK_SUPPORT_EMAIL": value},
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "HELPDESK_SUPPORT_EMAIL must be one email address" in result.stderr


def test_embed_origins_take_exact_origins_with_or_without_a_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk.env import env_origins

    monkeypatch.setenv(
        "HELPDESK_EMBED_ORIGINS",
        "https://shop.example.com, http://127.0.0.1:8766, HTTPS://Shop.Example, https://[::1]:8443",
    )
    assert env_origins("HELPDESK_EMBED_ORIGINS") == [
        "https://shop.example.com",
        "http://127.0.0.1:8766",
        "https://shop.example",
        "https://[::1]:8443",
    ]
