"""Django's and SQLAlchemy's exception text names the engine's SQLSTATE (the message starts with it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django
import psycopg
import pytest
from django.conf import settings
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tests.builders import Builder

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["pytask_sync.django", "tests.django_app"],
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres"}},
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()

from django.db import DatabaseError, connections


@pytest.fixture
def django_db(dsn: str) -> Iterator[Any]:
    """Django's default connection to this test's database."""
    params = conninfo_to_dict(dsn)
    db = connections["default"]
    db.close()
    db.settings_dict.update(
        NAME=params["dbname"],
        USER=params.get("user") or "",
        HOST=params.get("host") or "",
        PORT=str(params.get("port") or ""),
        PASSWORD="",
    )
    try:
        yield db
    finally:
        db.close()


def test_djangos_exception_text_names_the_code(conn: psycopg.Connection[Any], django_db: Any) -> None:
    wo = Builder(conn).realistic()
    with pytest.raises(DatabaseError) as info, django_db.cursor() as cur:
        cur.execute("SELECT task_sync.execute(%s, true, %s)", [wo, "a" * 64])
    assert str(info.value).startswith(f"TSC02: stale plan for work order {wo}"), str(info.value)


def test_sqlalchemys_exception_text_names_the_code(conn: psycopg.Connection[Any], dsn: str) -> None:
    wo = Builder(conn).realistic()
    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=NullPool)
    try:
        with engine.connect() as sa, pytest.raises(DBAPIError) as info:
            sa.execute(text("SELECT task_sync.execute(:wo, true, :h)"), {"wo": wo, "h": "a" * 64})
    finally:
        engine.dispose()
    assert f"TSC02: stale plan for work order {wo}" in str(info.value).splitlines()[0], str(info.value)
