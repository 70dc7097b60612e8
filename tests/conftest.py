"""Test harness: a server started by the suite, a template database with the canonical install,
and a fresh clone of it per test (pytest-postgresql's ``postgresql_noproc`` + client factory).

The server starts when the first test runs (a session fixture), so ``pytest --collect-only``
starts nothing. ``pytest -m "not slow"`` leaves out the long property, stress and mutation runs.
"""

from __future__ import annotations

import contextlib
import os
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import settings
from pytest_postgresql import factories

from pytask_sync._resources import canonical_sql
from pytask_sync.pytest_plugin import DatabasePool

from . import pgserver_for_tests

SERVER: pgserver_for_tests.TestServer | None = None

#: The seed of this run's randomised tests (the stress test's sessions, the property tests'
#: examples). Random per run, so CI keeps exploring; printed in the header and after a failure;
#: ``PYTASK_SYNC_SEED=N`` (or ``--hypothesis-seed=N`` for the property tests) replays a run.
RUN_SEED = int(os.environ.get("PYTASK_SYNC_SEED") or random.SystemRandom().randrange(2**32))


def pytest_configure(config: pytest.Config) -> None:
    global RUN_SEED
    given = getattr(config.option, "hypothesis_seed", None)
    if given is not None and str(given).isdigit():
        RUN_SEED = int(given)
    else:
        from hypothesis import core

        config.option.hypothesis_seed = str(RUN_SEED)
        core.global_force_seed = RUN_SEED  # type: ignore[attr-defined]


@pytest.fixture(scope="session", autouse=True)
def _test_server(pytestconfig: pytest.Config) -> pgserver_for_tests.TestServer:
    """Start the test server before the first test (autouse session fixtures come first in their
    scope, so before pytest-postgresql's, which read where the server is from the options)."""
    global SERVER
    if SERVER is None:
        SERVER = pgserver_for_tests.start()
        config = pytestconfig
        config.option.postgresql_host = SERVER.host
        config.option.postgresql_port = str(SERVER.port)
        config.option.postgresql_user = SERVER.user
        if SERVER.password:
            config.option.postgresql_password = SERVER.password
        # a suite run in a subprocess against the same server (tests/concurrency/test_mutations.py) names its own
        config.option.postgresql_dbname = os.environ.get("PYTASK_SYNC_TEST_DBNAME", "pytask_sync_test")
    return SERVER


def pytest_unconfigure(config: pytest.Config) -> None:
    if SERVER is not None:
        SERVER.stop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    dsn = os.environ.get("PYTASK_SYNC_TEST_DSN")
    kind = os.environ.get("PYTASK_SYNC_TEST_SERVER") or ("dsn" if dsn else "embedded")
    return [
        f"pytask_sync test server: {kind} (started with the first test)",
        f"pytask_sync seed: {_seed(config)} (replay: PYTASK_SYNC_SEED={_seed(config)})",
    ]


def _seed(config: pytest.Config) -> str:
    return str(getattr(config.option, "hypothesis_seed", None) or RUN_SEED)


@pytest.fixture
def run_seed() -> int:
    """This run's seed (see ``RUN_SEED``), for tests that draw their own random numbers."""
    return RUN_SEED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Every run, even ``-q``, ends by naming its server and its seed (CI's log keeps both)."""
    if SERVER is not None:
        version = SERVER.server_version()
        terminalreporter.write_line(
            f"pytask_sync test server: {SERVER.kind}, PostgreSQL {version // 10000}.{version % 10000}"
        )
    terminalreporter.write_line(
        f"pytask_sync seed of this run: {_seed(config)}; replay with PYTASK_SYNC_SEED={_seed(config)}"
    )


#: Deliberate breakages for tests/concurrency/test_mutations.py, which shows the concurrency suite catches them.
MUTATIONS = {
    "no_row_lock": [
        ("WHERE id = p_work_order_id FOR NO KEY UPDATE;", "WHERE id = p_work_order_id;"),
        ("FOR NO KEY UPDATE SKIP LOCKED);", ");"),
    ],
    "no_unique_key": [
        ("CREATE UNIQUE INDEX task__generation_key_key", "CREATE INDEX task__generation_key_key"),
    ],
}


def load_canonical(**kwargs: Any) -> None:
    """Loader of the template database: the canonical install of sql/ (mutated when asked)."""
    sql = canonical_sql()
    for name in filter(None, os.environ.get("PYTASK_SYNC_TEST_MUTATION", "").split(",")):
        for old, new in MUTATIONS[name]:
            assert old in sql, f"mutation {name} no longer applies: {old!r}"
            sql = sql.replace(old, new)
    with psycopg.connect(**kwargs) as conn, conn.transaction():
        conn.execute(sql.encode())


task_sync_proc = factories.postgresql_noproc(load=[load_canonical])


@pytest.fixture(scope="session")
def database_pool(task_sync_proc: Any) -> Iterator[DatabasePool]:
    """Clones of the template, made ahead by a thread while tests run (see ``DatabasePool``)."""
    assert SERVER is not None
    pool = DatabasePool(
        SERVER.dsn(task_sync_proc.maintenance_dbname),
        task_sync_proc.template_dbname,
        prefix=task_sync_proc.dbname,
    )
    yield pool
    pool.close()


@contextlib.contextmanager
def _clone(pool: DatabasePool, *, autocommit: bool) -> Iterator[psycopg.Connection[Any]]:
    """A connection to a fresh clone taken from ``pool``; closed, and the clone given back, after."""
    assert SERVER is not None
    name = pool.take()
    try:
        db = psycopg.connect(SERVER.dsn(name), autocommit=autocommit)
        try:
            yield db
        finally:
            db.close()
    finally:
        pool.give_back(name)


@pytest.fixture
def task_sync_db(database_pool: DatabasePool) -> Iterator[psycopg.Connection[Any]]:
    """A connection (not autocommit) to this test's own fresh clone of the canonical install."""
    with _clone(database_pool, autocommit=False) as db:
        yield db


@pytest.fixture
def server(_test_server: pgserver_for_tests.TestServer) -> pgserver_for_tests.TestServer:
    return _test_server


@pytest.fixture(scope="module")
def module_conn(database_pool: DatabasePool) -> Iterator[psycopg.Connection[Any]]:
    """One fresh clone for a whole module, autocommit, for tests that change nothing: each runs
    its statements inside ``conn.transaction(force_rollback=True)``, so every test of the module
    starts from the same state (test_books.py's refusals, whose point is that nothing changes)."""
    with _clone(database_pool, autocommit=True) as db:
        yield db


@pytest.fixture
def closed_conn(_test_server: pgserver_for_tests.TestServer) -> psycopg.Connection[Any]:
    """A connection that was opened and closed: anything sent on it raises OperationalError."""
    closed = psycopg.connect(_test_server.dsn())
    closed.close()
    return closed


@pytest.fixture
def dsn(task_sync_db: psycopg.Connection[Any]) -> str:
    """The DSN of this test's fresh database (canonical install)."""
    assert SERVER is not None
    return SERVER.dsn(task_sync_db.info.dbname)


@pytest.fixture
def conn(task_sync_db: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """This test's database, autocommit: every statement is its own transaction."""
    task_sync_db.autocommit = True
    return task_sync_db


@pytest.fixture
def connect(dsn: str) -> Iterator[Callable[..., psycopg.Connection[Any]]]:
    """Open more connections to this test's database (closed at the end of the test)."""
    opened: list[psycopg.Connection[Any]] = []

    def _connect(**kwargs: Any) -> psycopg.Connection[Any]:
        kwargs.setdefault("autocommit", True)
        c = psycopg.connect(dsn, **kwargs)
        opened.append(c)
        return c

    yield _connect
    for c in opened:
        c.close()


@pytest.fixture
def empty_dsn(_test_server: pgserver_for_tests.TestServer) -> Iterator[str]:
    """A new, empty database (no schema): for migrations and the CLI's first run."""
    name = f"pytask_sync_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _test_server.dsn(name)
    with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Hypothesis profiles: CI runs 2,000 examples of each property test; by hand 200, or more.
settings.register_profile("ci", max_examples=2000, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile("thorough", max_examples=20000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@contextlib.contextmanager
def login_roles(conn: psycopg.Connection[Any]) -> Iterator[dict[str, str]]:
    """One login role per group (``task_sync_reader``, ``task_sync_writer``), dropped afterwards."""
    roles = {}
    for group in ("task_sync_reader", "task_sync_writer"):
        role = f"ts_{group.removeprefix('task_sync_')}_{uuid.uuid4().hex[:8]}"
        conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE {group}")
        roles[group] = role
    try:
        yield roles
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
        for role in roles.values():
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


@pytest.fixture
def login(conn: psycopg.Connection[Any]) -> Iterator[dict[str, str]]:
    """One login role per group (``task_sync_reader``, ``task_sync_writer``), dropped afterwards."""
    with login_roles(conn) as roles:
        yield roles
