"""pytest-django with two roles: the test database is made by the owner, the tests run as the application.

Without ``OWNER_DATABASE_URL`` (``settings.TASK_SYNC_OWNER`` None) both fixtures change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytask_sync.django.testing import as_application, as_owner


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    as_owner()  # runs before pytest-django creates and migrates the test database


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    as_application()  # the test database is there: the tests connect as the application's role
    yield
    as_owner()  # pytest-django drops it after this
