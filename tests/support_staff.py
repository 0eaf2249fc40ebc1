"""The "Support staff" group for tests: the migration's, or made again as it does after a flush.

Tests marked ``transaction=True`` empty every table when they end, the rows
data migrations made included. tests/test_migrations.py checks that the
migration itself makes the group.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.test import Client

import diagnostics.migrations


def _migration() -> object:
    (path,) = Path(diagnostics.migrations.__file__).parent.glob("*_support.py")
    return importlib.import_module(f"diagnostics.migrations.{path.stem}")


def support_staff() -> Group:
    made_by = _migration()
    group, created = Group.objects.get_or_create(name=made_by.SUPPORT_STAFF)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="diagnostics", codename__in=made_by.SUPPORT_PERMISSIONS
            )
        )
    return group


def member(name: str = "sam") -> User:
    """A staff user in the Support staff group."""
    user = User.objects.create_user(name, password=None, is_staff=True)
    user.groups.add(support_staff())
    return user


def logged_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser
