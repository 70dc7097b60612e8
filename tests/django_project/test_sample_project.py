"""A Django project adopts the engine end to end: ``examples/django_project`` run as a user runs it.

Each test runs the sample project's ``manage.py`` (and pytest-django) in a process of its own,
against a new database on the test server: ``migrate`` installs the engine through the app's
Django migrations, agrees with ``pytask-sync migrate`` in either order, refuses to unapply the
engine, leaves ``makemigrations --check`` clean; ``manage.py test`` and pytest-django make test
databases with the engine in them, with one role and with the two-role recipe (the owner migrates
and makes test databases, the application runs as a member of ``task_sync_writer``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pytask_sync.migrate import current_revision, downgrade, head_revision, migrate
from tests.pgserver_for_tests import TestServer

# slow: processes of their own (manage.py, pytest-django); pytest -m "not slow" leaves them out
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "django_project"


def manage(*argv: str, dsn: str, owner_dsn: str | None = None, as_owner: bool = False, check: bool = True) -> str:
    """``python manage.py ARGV`` in the sample project; its output (stdout and stderr)."""
    return _run([sys.executable, "manage.py", *argv], dsn, owner_dsn, as_owner, check)


def _run(cmd: list[str], dsn: str, owner_dsn: str | None, as_owner: bool, check: bool) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "OWNER_DATABASE"))}
    env["DATABASE_URL"] = dsn
    if owner_dsn:
        env["OWNER_DATABASE_URL"] = owner_dsn
    if as_owner:
        env["DJANGO_AS_OWNER"] = "1"
    done = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    if check:
        assert done.returncode == 0, out
    elif done.returncode == 0:
        raise AssertionError(f"{cmd} succeeded:\n{out}")
    return out


def _one(dsn: str, query: str) -> object:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
        return None if row is None else row[0]


def _versions(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r for (r,) in conn.execute("SELECT version_num FROM task_sync.alembic_version").fetchall()]


def test_djangos_migrate_installs_the_engine_then_pytask_sync_migrate_agrees(empty_dsn: str) -> None:
    out = manage("migrate", dsn=empty_dsn)
    assert "Applying task_sync.0001_initial... OK" in out and "Applying shop.0001_initial... OK" in out
    assert _versions(empty_dsn) == [head_revision()]  # one version record: alembic's
    # the shop's foreign key to the engine's work order is a real one
    fk = _one(
        empty_dsn,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'shop_delivery'::regclass AND contype = 'f'",
    )
    assert "REFERENCES task_sync.work_order(id)" in str(fk)
    migrate(empty_dsn)  # nothing left to apply: no revision runs twice (a second run of 0001 would fail)
    assert _versions(empty_dsn) == [head_revision()]
    assert "No changes detected" in manage("makemigrations", "--check", "--dry-run", dsn=empty_dsn)
    assert "No migrations to apply" in manage("migrate", dsn=empty_dsn)


def test_pytask_sync_migrate_first_then_djangos_migrate_applies_nothing_twice(empty_dsn: str) -> None:
    migrate(empty_dsn)
    manage("migrate", dsn=empty_dsn)
    assert _versions(empty_dsn) == [head_revision()]
    assert _one(empty_dsn, "SELECT count(*) FROM task_sync.process") == 21  # seeded once


def test_djangos_migrate_upgrades_an_older_engine(empty_dsn: str) -> None:
    migrate(empty_dsn, "0009_one_place")
    manage("migrate", dsn=empty_dsn)
    assert current_revision(empty_dsn) == head_revision()


def test_migrate_task_sync_zero_is_refused_while_the_engine_is_installed(empty_dsn: str) -> None:
    manage("migrate", dsn=empty_dsn)
    out = manage("migrate", "task_sync", "zero", dsn=empty_dsn, check=False)
    assert "pytask-sync migrate downgrade base" in out
    # nothing ran: not the engine, not the shop's table that depends on it, not Django's records
    assert _versions(empty_dsn) == [head_revision()]
    assert _one(empty_dsn, "SELECT to_regclass('shop_delivery') IS NOT NULL") is True
    assert "[X] 0001_initial" in manage("showmigrations", "shop", dsn=empty_dsn)
    # the way the message gives: the apps that point at the engine, the engine, Django's record
    manage("migrate", "shop", "zero", dsn=empty_dsn)
    downgrade(empty_dsn, "base")
    manage("migrate", "task_sync", "zero", dsn=empty_dsn)
    assert _one(empty_dsn, "SELECT to_regnamespace('task_sync') IS NULL") is True
    assert "[ ] 0001_initial" in manage("showmigrations", "task_sync", dsn=empty_dsn)
    manage("migrate", dsn=empty_dsn)  # and back
    assert _versions(empty_dsn) == [head_revision()]


def test_manage_py_test_and_pytest_django_with_one_role(empty_dsn: str) -> None:
    # Django makes test_<name> by running the migrations: the engine is in it
    out = manage("test", "-v", "2", dsn=empty_dsn)
    assert "OK" in out and "Applying task_sync.0001_initial... OK" in out
    out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"], empty_dsn, None, False, True)
    assert "passed" in out and "failed" not in out


@pytest.fixture
def two_roles(server: TestServer, conn: psycopg.Connection[Any]) -> Iterator[tuple[str, str]]:
    """An owner (may create databases, admin of the engine's groups) and an application role in
    ``task_sync_writer``, with a database of the owner's: (application DSN, owner DSN)."""
    tag = uuid.uuid4().hex[:8]
    owner, app, db = f"shop_owner_{tag}", f"shop_app_{tag}", f"shop_{tag}"
    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        # the groups exist once a database of the cluster has the engine (conn: the test template has)
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD 'o'").format(sql.Identifier(owner)))
        admin.execute(
            sql.SQL("GRANT task_sync_reader, task_sync_writer TO {} WITH ADMIN OPTION").format(sql.Identifier(owner))
        )
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'a' IN ROLE task_sync_writer").format(sql.Identifier(app)))
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(owner)))
    params = conninfo_to_dict(server.dsn(db))
    try:
        yield (
            make_conninfo("", **{**params, "user": app, "password": "a"}),
            make_conninfo("", **{**params, "user": owner, "password": "o"}),
        )
    finally:
        with psycopg.connect(server.dsn(), autocommit=True) as admin:
            for name in (db, f"test_{db}"):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(app)))
            if server.server_version() >= 160000:
                # the engine's install re-granted task_sync_reader to task_sync_writer: on 16+ a grant
                # of the owner's own (PostgreSQL 15 records none, and the first grant must stay)
                admin.execute(
                    sql.SQL("REVOKE task_sync_reader FROM task_sync_writer GRANTED BY {}").format(sql.Identifier(owner))
                )
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(owner)))


def test_two_roles_the_owner_migrates_the_application_writes(two_roles: tuple[str, str]) -> None:
    app_dsn, owner_dsn = two_roles
    # the application's role may not make Django's tables (PostgreSQL 15+: no CREATE on public)
    refused = manage("migrate", dsn=app_dsn, check=False)
    assert "permission denied" in refused
    manage("migrate", dsn=app_dsn, owner_dsn=owner_dsn, as_owner=True)
    assert _versions(owner_dsn) == [head_revision()]
    assert "No migrations to apply" in manage("migrate", dsn=app_dsn, owner_dsn=owner_dsn)  # it may read them
    # the test runners make the test database as the owner and run the tests as the application
    out = manage("test", "-v", "2", dsn=app_dsn, owner_dsn=owner_dsn)
    assert "test_the_books_are_not_the_applications" in out and "skipped" not in out, out
    out = _run([sys.executable, "-m", "pytest", "-q", "-rs"], app_dsn, owner_dsn, False, True)
    assert "passed" in out and "skipped" not in out, out
