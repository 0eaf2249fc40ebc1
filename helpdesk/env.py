"""Small, strict readers for settings that come from the environment.

Each helper fails loudly (``ImproperlyConfigured``) on a value it cannot
understand, so a typo in production configuration stops the process at start-up
instead of silently falling back to a default.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Return the variable as a stripped string, or ``default`` when unset."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no flag; anything other than the usual spellings is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, *, default: int, minimum: int = 0) -> int:
    """Read a whole number no smaller than ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_list(name: str, *, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list, dropping empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, *, choices: tuple[str, ...], default: str) -> str:
    """Read one of a fixed set of words (case-insensitive)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {raw!r}.")
    return value


def env_database(name: str, *, default: str) -> dict[str, Any]:
    """Read a database URL (``sqlite:///path`` or ``postgres://...``) into Django's form.

    Only SQLite and PostgreSQL are supported; anything else stops start-up.
    """
    url = env_str(name) or default
    try:
        config = dict(dj_database_url.parse(url))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {error}") from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:// or postgres:// URL (got engine {engine!r})."
        )
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://host/helpdesk.")
    return config


def env_url(name: str, *, schemes: tuple[str, ...]) -> str:
    """Read an optional URL whose scheme must be one of ``schemes``; '' when unset."""
    value = env_str(name)
    if value and urlsplit(value).scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with {' or '.join(s + '://' for s in schemes)}, not {value!r}."
        )
    return value


def env_email(name: str) -> str:
    """Read an optional email address (checked as Django checks one); '' when unset."""
    from django.core.validators import validate_email

    value = env_str(name)
    if value:
        try:
            validate_email(value)
        except Exception:
            raise ImproperlyConfigured(
                f"{name} must be one email address such as support@example.com, not {value!r}."
            ) from None
    return value


def parse_origin(item: str) -> str:
    """One exact web origin (``https://shop.example``), normalised; ValueError if not one.

    A scheme (http or https) and a host, with an optional port and nothing
    else: no path, no login, no wildcard, nothing that could add to a header.
    Scheme and host are lower-cased, as browsers compare them. The one rule for
    origins, wherever they come from (``HELPDESK_EMBED_ORIGINS``, the admin's
    embedding sites, the embed snippet's ``site``).
    """
    item = item.strip()
    if not item or any(char in item for char in "*;'\" \t\r\n,"):
        raise ValueError(item)
    try:
        parts = urlsplit(item)
        port = parts.port
    except ValueError:  # a broken IPv6 literal or a port that is not a number
        raise ValueError(item) from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise ValueError(item)
    host = f"[{host}]" if ":" in host else host
    origin = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    if origin != item.lower():  # a path, a query, an empty port...
        raise ValueError(item)
    return origin


def env_origins(name: str) -> list[str]:
    """Read a comma-separated list of exact web origins (see :func:`parse_origin`)."""
    origins = []
    for item in env_list(name):
        try:
            origins.append(parse_origin(item))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list exact origins such as https://shop.example.com, not {item!r}."
            ) from None
    return origins


# --- The env file: local settings for `make run`, read before the settings ------

ENV_FILE_VARIABLE = "HELPDESK_ENV_FILE"
_ENV_LINE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<value>.*)")


def read_env_file(path: Path) -> None:
    """Set each ``NAME=value`` line of ``path`` as an environment variable, unless already set.

    Real environment variables always win over the file. Blank lines and lines
    starting with ``#`` are skipped, and a value may be wrapped in one pair of
    matching quotes; nothing is expanded. Any other line is an error naming the
    file and the line number (never the line, which may hold a secret).
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImproperlyConfigured(f"Cannot read the env file {path}: {error}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if not match:
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value.")
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(match["name"], value)


def start_up(*, local_env_file: Path | None = None, web: bool = False) -> None:
    """Read the env file, then load the settings; on a problem, print one line and exit 1.

    The env file is the one ``HELPDESK_ENV_FILE`` names, when it is set (it must
    exist); otherwise ``local_env_file`` if that exists. ``manage.py`` passes the
    project's ``.env``, which ``make run`` writes; the web servers pass nothing, so
    production reads a file only when told to. A setting that is missing or
    cannot be understood ends the process with ``error: <what is wrong>`` on
    stderr and exit status 1, instead of a traceback.

    ``web``: a web server is starting (gunicorn, the WSGI or ASGI application).
    With DEBUG off it also refuses an SQLite database file that does not exist,
    rather than let SQLite create an empty one (``ops.startup``).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    try:
        named = env_str(ENV_FILE_VARIABLE)
        if named:
            if not os.path.exists(named):
                raise ImproperlyConfigured(
                    f"{ENV_FILE_VARIABLE} names {named!r}, which does not exist."
                )
            read_env_file(Path(named))
        elif local_env_file is not None and local_env_file.is_file():
            read_env_file(local_env_file)

        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 (loads the settings module now)
        if web:
            from ops.startup import forbid_new_sqlite_file

            forbid_new_sqlite_file(settings.DATABASES, debug=settings.DEBUG)
    except ImproperlyConfigured as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_networks(name: str) -> tuple[IPNetwork, ...]:
    """Read a comma-separated list of IP networks in CIDR form (``10.0.0.0/8``).

    A single address (``192.0.2.7``) is a network of one. Host bits set below
    the prefix (``10.0.0.1/8``) are an error rather than silently widened, and
    so is anything else that is not a network: the list decides whose word on
    the client's address is taken.
    """
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{name} must list IP networks such as 10.0.0.0/8 or 192.0.2.7, "
                f"not {item!r} ({error})."
            ) from None
    return tuple(networks)
