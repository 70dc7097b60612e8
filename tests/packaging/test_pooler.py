"""Through PgBouncer in transaction pooling, as production runs: the wrapper, the CLI, the worker.

Each transaction may run on another server connection, and server connections outlive their
clients. So the package must leave nothing on one past its transaction: no prepared statement
(psycopg prepares a query after five uses; the next client then meets ``DuplicatePreparedStatement:
prepared statement "_pg3_0" already exists``), no session setting, advisory lock, temporary table
or LISTEN. After each scenario :func:`_nothing_left_behind` looks at every server connection
PgBouncer holds for the database, from inside it.

PgBouncer is Debian's ``pgbouncer`` (``.ci/run`` installs it on the PostgreSQL 15 leg, where
``PYTASK_SYNC_REQUIRE_PGBOUNCER=1`` makes its absence a failure instead of a skip).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync._connection import behind_pooler
from pytask_sync.cli import main
from tests.builders import Builder, bulk_jobs
from tests.pgbouncer_for_tests import POOL_SIZE, PgBouncer, pgbouncer, pgbouncer_path
from tests.pgserver_for_tests import TestServer

# slow: a process of its own (PgBouncer), and the CLI and the worker run through it
pytestmark = pytest.mark.slow

#: parameters PgBouncer itself sets on a server connection for each client (it tracks them)
_POOLER_TRACKED = ("application_name", "client_encoding", "datestyle", "timezone", "standard_conforming_strings")


@pytest.fixture(scope="module")
def bouncer(_test_server: TestServer) -> Iterator[PgBouncer]:
    if pgbouncer_path() is None:
        if os.environ.get("PYTASK_SYNC_REQUIRE_PGBOUNCER") == "1":
            pytest.fail("PYTASK_SYNC_REQUIRE_PGBOUNCER=1 but pgbouncer is not installed")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    with pgbouncer(_test_server) as b:
        yield b


@pytest.fixture
def pooled(bouncer: PgBouncer, dsn: str, conn: psycopg.Connection[Any]) -> str:
    """The DSN of this test's database through PgBouncer."""
    return bouncer.dsn(conn.info.dbname)


def _pooled_conn(dsn: str) -> psycopg.Connection[Any]:
    """An application's connection through the pooler, configured as psycopg's docs advise."""
    return psycopg.connect(dsn, autocommit=True, prepare_threshold=None)


def _nothing_left_behind(bouncer: PgBouncer, dbname: str) -> None:
    """Every server connection PgBouncer holds for ``dbname`` is clean, seen from inside it.

    ``POOL_SIZE`` clients each hold a transaction at once, so each runs on a server connection of
    its own, and together they cover every one the pool has; each reports what its server
    connection carries from earlier transactions.
    """
    clients = [psycopg.connect(bouncer.dsn(dbname), prepare_threshold=None) for _ in range(POOL_SIZE)]
    try:
        seen: dict[int, dict[str, Any]] = {}
        for c in clients:
            row = c.execute(
                """
                SELECT pg_backend_pid(),
                       (SELECT array_agg(name ORDER BY name) FROM pg_prepared_statements),
                       (SELECT array_agg(c ORDER BY c) FROM pg_listening_channels() c),
                       (SELECT array_agg(relname ORDER BY relname) FROM pg_class
                         WHERE relnamespace = pg_my_temp_schema() AND relkind IN ('r', 'p')),
                       (SELECT array_agg(objid ORDER BY objid) FROM pg_locks
                         WHERE locktype = 'advisory' AND pid = pg_backend_pid()),
                       (SELECT array_agg(name || '=' || setting ORDER BY name) FROM pg_settings
                         WHERE source = 'session' AND name <> ALL (%s))
                """,
                (list(_POOLER_TRACKED),),
            ).fetchone()
            assert row is not None
            pid, *found = row
            seen[pid] = dict(zip(("prepared", "listening", "temp_tables", "advisory", "settings"), found, strict=True))
        assert len(seen) == POOL_SIZE, "each client ran on a server connection of its own"
        assert bouncer.server_pids(dbname) <= set(seen), "every server connection of the pool was looked at"
        left = {pid: {k: v for k, v in what.items() if v} for pid, what in seen.items()}
        assert left == {pid: {} for pid in seen}, f"left behind on server connections: {left}"
    finally:
        for c in clients:
            c.rollback()
            c.close()
    # and from the server itself: no advisory lock anywhere, no pooled session left in a transaction
    with psycopg.connect(bouncer.server.dsn(dbname), autocommit=True) as direct:
        assert direct.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone() == (0,)
        stuck = direct.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state LIKE 'idle in transaction%%'",
            (dbname,),
        ).fetchone()
        assert stuck == (0,)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _invariant(conn: psycopg.Connection[Any]) -> None:
    """No work order that is not pending has anything to do in its plan."""
    rows = conn.execute(
        """
        SELECT w.id, p.summary FROM task_sync.work_order w,
               LATERAL (SELECT task_sync.preview(w.id) -> 'summary' AS summary) p
        WHERE NOT task_sync.check_sync_needed(w.id)
        """
    ).fetchall()
    for wo, summary in rows:
        assert (summary["add"], summary["remove"], summary["update"], summary["conflict"]) == (0, 0, 0, 0), wo


def test_the_wrapper_on_an_applications_pooled_connection(
    bouncer: PgBouncer, pooled: str, conn: psycopg.Connection[Any]
) -> None:
    b = Builder(conn)
    wo, other = b.tangled(), b.realistic()
    with _pooled_conn(pooled) as app:
        assert behind_pooler(app)
        ts = TaskSync(app)
        for _ in range(7):  # past psycopg's prepare_threshold, had it one
            plan = ts.preview(wo)
            assert ts.check_sync_needed(wo)
        result = ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
        assert (result.conflicts, result.updated) == (plan.summary.conflict, plan.summary.update)
        assert not ts.check_sync_needed(wo)
        # in the application's own transaction: one server connection for all of it
        with app.transaction():
            plan = ts.preview(other)
            ts.execute(other, confirm=True, expected_plan_hash=plan.plan_hash)
        assert not ts.check_sync_needed(other)
    _invariant(conn)
    _nothing_left_behind(bouncer, conn.info.dbname)


def test_sync_pending_then_worker_once_through_the_pooler(
    bouncer: PgBouncer, pooled: str, conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's table: 30 pending work orders, batches of 2, the CLI connecting through PgBouncer."""
    bulk_jobs(conn, 30)
    code, out, err = _cli(capsys, "--dsn", pooled, "sync-pending", "--batch", "2", "--json")
    assert (code, err) == (0, "")
    assert conn.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (0,)
    _nothing_left_behind(bouncer, conn.info.dbname)

    conn.execute("UPDATE task_sync.work_order SET production_quantity = production_quantity + 1")
    assert conn.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (30,)
    # a second client on the same server connections: before, psycopg prepared a statement on
    # them, and this one failed with DuplicatePreparedStatement
    code, out, err = _cli(capsys, "--dsn", pooled, "worker", "--once", "--batch", "2", "--json")
    assert (code, err) == (0, ""), err
    assert out.strip() == '{"synced": 30}'
    code, out, err = _cli(capsys, "--dsn", pooled, "worker", "--once", "--batch", "2", "--json")
    assert (code, out.strip()) == (0, '{"synced": 0}')
    _invariant(conn)
    _nothing_left_behind(bouncer, conn.info.dbname)
