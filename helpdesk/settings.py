"""Settings for the help desk: one file, read from the environment.

Defaults are safe for production (DEBUG off, secure cookies when DEBUG is off);
``make run`` turns DEBUG on for local use, in the .env file it writes for
manage.py. See docs/configuration.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from helpdesk.env import (
    env_bool,
    env_choice,
    env_database,
    env_email,
    env_int,
    env_list,
    env_networks,
    env_origins,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105
# Old keys still accepted for signatures (sessions, CSRF) while a new key rolls out.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_FAILURE_VIEW = "diagnostics.flow.views.csrf_failure"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "ops",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "diagnostics",
]

MIDDLEWARE = [
    # /healthz answers before host checks and the HTTPS redirect, for load balancers.
    "ops.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # /embed/ responses (error pages too) may be framed by HELPDESK_EMBED_ORIGINS.
    "diagnostics.embed.framing.EmbedFramingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Counts every POST per client before any other work is done for it.
    "ops.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# /healthz checks on every probe that this model's table answers (ops/health.py):
# one every page needs, so an empty or replaced database is not called healthy.
HELPDESK_HEALTH_MODEL = "diagnostics.Guide"

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "diagnostics.context_processors.site",
                "diagnostics.embed.tokens.embed_token",
                "diagnostics.embed.sites.embed_frame",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------
# DATABASE_URL picks the database: SQLite (the default, a file at SQLITE_PATH) or
# PostgreSQL (postgres://user:password@host:5432/name), through dj-database-url.
DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        default=f"sqlite:///{env_str('SQLITE_PATH', str(BASE_DIR / 'db.sqlite3'))}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite that can serve production: readers never wait for the writer (WAL),
    # writers queue for up to SQLITE_BUSY_TIMEOUT seconds instead of failing with
    # "database is locked", and every transaction takes the write lock up front
    # (IMMEDIATE) so it can never fail half-way when upgrading a read to a write.
    # Each worker keeps its connection open rather than reopening the file and
    # rerunning these pragmas on every request.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", default=20, minimum=1),
    }
else:
    # Django's PostgreSQL backend with a circuit breaker in front of its pool: while
    # the database refuses connections, requests get their 503 at once instead of
    # waiting out the pool timeout (ops/outage.py explains how).
    DATABASES["default"]["ENGINE"] = "ops.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", default=5, minimum=1),
    }
    if env_bool("DATABASE_POOL", default=True):
        from psycopg_pool import ConnectionPool

        # Django's own connection pool (psycopg_pool), one per worker process.
        # A sync worker serves one request at a time, so a few connections suffice;
        # "check" replaces connections that died (e.g. after a database restart).
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", default=4, minimum=1),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", default=10, minimum=1),
            "check": ConnectionPool.check_connection,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", default=0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache, sessions and rate limits -------------------------------------------
# With REDIS_URL (redis://host:6379/0) every web node shares one cache: sessions
# are cached there (and kept in the database), and rate limits are counted there.
# Without it, rate limits are counted in the database, so they still hold across
# worker processes.
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "helpdesk"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Rate limit on every POST, per client: at most HELPDESK_RATE_LIMIT_POSTS in each
# window of HELPDESK_RATE_LIMIT_WINDOW seconds. A person clicks far fewer.
HELPDESK_RATE_LIMIT_BACKEND = env_choice(
    "HELPDESK_RATE_LIMIT_BACKEND",
    choices=("cache", "database"),
    default="cache" if REDIS_URL else "database",
)
HELPDESK_RATE_LIMIT_POSTS = env_int("HELPDESK_RATE_LIMIT_POSTS", default=60, minimum=1)
HELPDESK_RATE_LIMIT_WINDOW = env_int("HELPDESK_RATE_LIMIT_WINDOW", default=60, minimum=1)
# The reverse proxies (load balancer, nginx) whose X-Forwarded-For is believed:
# comma-separated networks, e.g. "10.0.0.0/8". Empty: the client is the connecting
# address and X-Forwarded-For is ignored. See ops/ratelimit.py.
HELPDESK_TRUSTED_PROXIES = env_networks("HELPDESK_TRUSTED_PROXIES")
if env_str("HELPDESK_PROXY_COUNT") not in {"", "0"}:
    # Counting proxies trusted whoever could reach the app directly to name any
    # address they liked; it is no longer read, so refuse to start rather than
    # quietly count every client by the proxy's address.
    raise ImproperlyConfigured(
        "HELPDESK_PROXY_COUNT is no longer supported: list your proxies' networks in "
        "HELPDESK_TRUSTED_PROXIES instead (e.g. HELPDESK_TRUSTED_PROXIES=10.0.0.0/8), "
        "and unset HELPDESK_PROXY_COUNT."
    )
# The learned ranking: how many ended diagnoses from one client network (IPv4
# address or IPv6 /64) may teach it per day (UTC). More are kept, but not counted.
HELPDESK_EVIDENCE_PER_NETWORK = env_int("HELPDESK_EVIDENCE_PER_NETWORK", default=3)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Sessions hold only the ids of this browser's diagnoses; outcomes live in
# their own tables, so an expired session never deletes a transcript.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 30, minimum=60)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True

# --- HTTPS, HSTS, proxies and the Content Security Policy ----------------------
# Secure by default when DEBUG is off; see docs/configuration.md to relax.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy: the header it sets, e.g. X-Forwarded-Proto.
# Only set this when the proxy always overwrites that header.
_proxy_ssl_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_ssl_header.upper().replace("-", "_").removeprefix("HTTP_"),
        "https",
    )
USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", default=False)
X_FRAME_OPTIONS = "DENY"

# Only our own files: no inline scripts or styles, no eval, no third parties.
# Pages under /embed/ get their own frame-ancestors from
# diagnostics.embed.framing.EmbedFramingMiddleware.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Bodies are small forms; anything bigger is refused with a 400 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024, minimum=1024
)

# --- Email: error reports to DJANGO_ADMINS, and anything else the app sends -----
# SMTP by default (to localhost:25 unless DJANGO_EMAIL_HOST says otherwise); the
# console backend only when DEBUG is on.
_email_use_tls = env_bool("DJANGO_EMAIL_USE_TLS", default=False)
_email_use_ssl = env_bool("DJANGO_EMAIL_USE_SSL", default=False)
if _email_use_tls and _email_use_ssl:
    raise ImproperlyConfigured(
        "Set only one of DJANGO_EMAIL_USE_TLS (port 587) and DJANGO_EMAIL_USE_SSL (port 465)."
    )
_email_backend = env_str("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": {
            "host": env_str("DJANGO_EMAIL_HOST", "localhost"),
            "port": env_int("DJANGO_EMAIL_PORT", default=0) or None,  # None: by TLS/SSL
            "username": env_str("DJANGO_EMAIL_HOST_USER"),
            "password": env_str("DJANGO_EMAIL_HOST_PASSWORD"),
            "use_tls": _email_use_tls,
            "use_ssl": _email_use_ssl,
            "timeout": 10,
        }
        if _email_backend.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "helpdesk@localhost")
SERVER_EMAIL = env_str("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = env_list("DJANGO_ADMINS")

# Where people are sent when nothing in a guide works.
HELPDESK_SUPPORT_CONTACT = env_str("HELPDESK_SUPPORT_CONTACT", "")
HELPDESK_SITE_NAME = env_str("HELPDESK_SITE_NAME", "Help desk")
# Origins allowed to show the flow in an iframe under /embed/ (docs/embedding.md),
# e.g. "https://www.example.com". Empty: embedding is off and /embed/ is a 404.
HELPDESK_EMBED_ORIGINS = env_origins("HELPDESK_EMBED_ORIGINS")
# Diagnoses opened but never answered are deleted by `manage.py purge_diagnoses --yes`
# once they are this many hours old (docs/operations.md).
HELPDESK_UNANSWERED_RETENTION_HOURS = env_int(
    "HELPDESK_UNANSWERED_RETENTION_HOURS", default=24, minimum=1
)
# A diagnosis idle this long counts as abandoned on the staff dashboard, and is
# the default of `manage.py mark_abandoned --idle-hours` (docs/operations.md).
HELPDESK_ABANDON_AFTER_HOURS = env_int("HELPDESK_ABANDON_AFTER_HOURS", default=24, minimum=1)

# Escalations that reach a human (docs/configuration.md, "Support"): the escalation
# screen's form stores a ticket in the admin, and emails HELPDESK_SUPPORT_EMAIL if set.
HELPDESK_TICKETS = env_bool("HELPDESK_TICKETS", default=True)
HELPDESK_SUPPORT_EMAIL = env_email("HELPDESK_SUPPORT_EMAIL")
HELPDESK_TICKETS_PER_NETWORK = env_int("HELPDESK_TICKETS_PER_NETWORK", default=5, minimum=1)
# Contact details and messages of tickets, and feedback comments, are erased by
# `manage.py purge_diagnoses --yes` once they are this many days old.
HELPDESK_CONTACT_RETENTION_DAYS = env_int("HELPDESK_CONTACT_RETENTION_DAYS", default=30, minimum=1)

# Web addresses in guide text ("icloud.com") become links; assume https for them.
URLIZE_ASSUME_HTTPS = True

LOG_LEVEL = env_choice(
    "LOG_LEVEL", choices=("debug", "info", "warning", "warn", "error", "critical"), default="info"
).upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"message": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # One JSON object per line on stdout (see diagnostics/events.py).
        "events": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "message",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "helpdesk.events": {"handlers": ["events"], "level": "INFO", "propagate": False},
    },
}
HELPDESK_GUIDES_DIR = env_str("HELPDESK_GUIDES_DIR", str(BASE_DIR / "diagnostics" / "guides"))
