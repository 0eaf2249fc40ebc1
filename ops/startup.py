"""Checks a web server makes before it serves anything (helpdesk/wsgi.py, asgi.py).

SQLite creates a database file whenever it is asked to open one that does not
exist. For ``manage.py migrate`` that is what we want; for a web server it is
a trap: a volume that was not mounted, a wrong ``SQLITE_PATH`` or a deleted
file silently became a fresh, empty database, ``SELECT 1`` passed, and every
page failed with "no such table".

So with DEBUG off a web server:

* refuses to start when the SQLite file is missing, with one line that names
  it and says how to create it (``prepare_database``, which the container's
  entrypoint runs before gunicorn unless ``HELPDESK_PREPARE_DATABASE=false``);
* opens the file in SQLite's ``mode=rw``, which never creates one: should the
  file vanish while the server runs, new connections fail (503 pages, and
  ``/healthz`` says so) instead of starting an empty database.

Management commands (``migrate``, ``prepare_database``, the tests) do not come
through here and create the file as before; so does ``make run`` (DEBUG on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured


def forbid_new_sqlite_file(databases: dict[str, dict[str, Any]], *, debug: bool) -> None:
    """Fail if an SQLite database file is missing; make later opens never create one."""
    if debug:
        return
    for config in databases.values():
        name = str(config.get("NAME", ""))
        if config.get("ENGINE") != "django.db.backends.sqlite3":
            continue
        if not name or name == ":memory:" or name.startswith("file:"):
            continue  # in-memory, or a URI the operator wrote (with its own mode)
        if not Path(name).exists():
            raise ImproperlyConfigured(
                f"The SQLite database {name} (SQLITE_PATH) does not exist, and with "
                "DJANGO_DEBUG off the app never creates an empty one: run `python manage.py "
                "prepare_database` first (the container does at start unless "
                "HELPDESK_PREPARE_DATABASE=false), or correct SQLITE_PATH or DATABASE_URL."
            )
        config["NAME"] = f"file:{quote(name)}?mode=rw"  # Django opens SQLite with uri=True
