"""``python manage.py prepare_database``: migrate, then publish the bundled guides.

The container runs this at start-up (docker/entrypoint.sh). On PostgreSQL it
holds an advisory lock meanwhile, so web nodes that start together take turns
instead of racing each other through the same migrations.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# Any fixed number works; it only has to be the same for every node.
ADVISORY_LOCK_ID = 4_242_001


class Command(BaseCommand):
    help = "Apply database migrations, then load the guide files (as at container start-up)."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        locked = connection.vendor == "postgresql"
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_ID])
        try:
            call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout)
            call_command("load_guides", verbosity=verbosity, stdout=self.stdout)
        finally:
            if locked:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_ID])
