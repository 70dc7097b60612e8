"""Test databases made by the owner role, tests run as the application's role.

In the two-role recipe (docs/django.md, "Roles") the application's login role is a
member of ``task_sync_writer``: it may not create databases, nor Django's own tables in schema
``public`` (PostgreSQL 15+), nor the engine's schema. The owner role does those: the setting
``TASK_SYNC_OWNER = {"USER": ..., "PASSWORD": ...}`` names it, and

- ``TEST_RUNNER = "pytask_sync.django.testing.OwnerTestRunner"`` makes ``manage.py test`` create,
  migrate (the engine included) and drop the test databases as the owner, and run the tests as
  the ``DATABASES`` user: what production refuses the application, the tests refuse too;
- with pytest-django, :func:`as_owner` / :func:`as_application` in two fixture overrides do the
  same (see ``examples/django_project/conftest.py``).

Without ``TASK_SYNC_OWNER`` nothing changes: one role does everything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.test.runner import DiscoverRunner

#: the application's credentials of each alias, while the owner's are in place
_saved: dict[str, dict[str, Any]] = {}


def _owner() -> dict[str, Any] | None:
    from django.conf import settings

    owner = getattr(settings, "TASK_SYNC_OWNER", None)
    return dict(owner) if owner else None


def as_owner() -> None:
    """Connect every database alias as ``TASK_SYNC_OWNER`` from now on (no-op without it)."""
    from django.db import connections

    owner = _owner()
    if owner is None:
        return
    for conn in connections.all(initialized_only=False):
        if conn.alias in _saved:
            continue
        _saved[conn.alias] = {key: conn.settings_dict.get(key) for key in owner}
        conn.close()
        conn.settings_dict.update(owner)


def as_application() -> None:
    """Connect every alias as its ``DATABASES`` user again (undoes :func:`as_owner`)."""
    from django.db import connections

    for alias, creds in list(_saved.items()):
        conn = connections[alias]
        conn.close()
        conn.settings_dict.update(creds)
        del _saved[alias]


@contextlib.contextmanager
def owner() -> Iterator[None]:
    """The block connects as ``TASK_SYNC_OWNER`` (no-op without it)."""
    as_owner()
    try:
        yield
    finally:
        as_application()


class OwnerTestRunner(DiscoverRunner):
    """``manage.py test`` with the test databases made, migrated and dropped by ``TASK_SYNC_OWNER``."""

    def setup_databases(self, **kwargs: Any) -> Any:
        """Create and migrate the test databases as the owner; the tests then run as the application."""
        with owner():
            return super().setup_databases(**kwargs)

    def teardown_databases(self, old_config: Any, **kwargs: Any) -> None:
        """Drop the test databases as the owner."""
        with owner():
            super().teardown_databases(old_config, **kwargs)
