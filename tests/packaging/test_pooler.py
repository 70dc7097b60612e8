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

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync._connection import behind_pooler
from pytask_sync.cli import main
from pytask_sync.migrate import current_revision, head_revision, migrate
from pytask_sync.worker import Worker
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


def _eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def _edits(dsn: str, jobs: list[int], rounds: int) -> None:
    """What planners and other services do meanwhile, through the pooler: inputs change, drafts
    are edited and deleted, each in a transaction of its own."""
    with _pooled_conn(dsn) as c:
        for n in range(rounds):
            wo = jobs[n % len(jobs)]
            with c.transaction():
                c.execute(
                    "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
                )
                if n % 3 == 0:
                    c.execute(
                        "UPDATE task_sync.task SET work_content = work_content || ' (checked)' WHERE id ="
                        " (SELECT min(id) FROM task_sync.task WHERE work_order_id = %s AND status = 'draft')",
                        (wo,),
                    )
                if n % 7 == 0:
                    c.execute(
                        "DELETE FROM task_sync.task WHERE id = (SELECT max(id) FROM task_sync.task"
                        " WHERE work_order_id = %s AND status = 'draft' AND task_type = 'general')",
                        (wo,),
                    )


def _all_synced(conn: psycopg.Connection[Any]) -> bool:
    return conn.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (0,)


def test_the_worker_behind_the_pooler_says_so_once_and_polls_while_edits_arrive(
    bouncer: PgBouncer, pooled: str, conn: psycopg.Connection[Any], caplog: pytest.LogCaptureFixture
) -> None:
    jobs = bulk_jobs(conn, 12)
    worker = Worker(lambda: psycopg.connect(pooled, prepare_threshold=None), batch=2, debounce=0, idle_poll=0.2)
    caplog.set_level(logging.INFO, logger="pytask_sync.worker")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        _eventually(lambda: _all_synced(conn))  # its first pass
        editors = [threading.Thread(target=_edits, args=(pooled, jobs[i::2], 30)) for i in range(2)]
        for t in editors:
            t.start()
        for t in editors:
            t.join()
        _eventually(lambda: _all_synced(conn))  # by polling: nothing is announced to it
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert worker.listening is False and worker.stats.synced >= 12
    told = [r.getMessage() for r in caplog.records if "not listening on task_sync" in r.getMessage()]
    assert len(told) == 1 and "connection pooler" in told[0] and "polling every 0.2s" in told[0], told
    _invariant(conn)
    assert conn.execute("SELECT count(*) FROM task_sync.task_dismissal").fetchone() != (0,)  # deletes were dismissals
    _nothing_left_behind(bouncer, conn.info.dbname)


def test_the_worker_listens_on_a_direct_connection_and_syncs_through_the_pooler(
    bouncer: PgBouncer, pooled: str, dsn: str, conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """``pytask-sync worker --listen-dsn``: notifications come on the direct connection (the poll is
    an hour away, so only they can start a sync), the syncs run through the pooler."""
    jobs = bulk_jobs(conn, 6)
    env = dict(os.environ, PYTASK_SYNC_DSN=pooled)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytask_sync.cli", "worker", "--batch", "2", "--poll", "3600", "--listen-dsn", dsn],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "listening on task_sync on its own connection" in first, first
        _eventually(lambda: _all_synced(conn))  # its first pass
        _edits(pooled, jobs, 12)
        _eventually(lambda: _all_synced(conn))  # announced on the direct connection
        with psycopg.connect(dsn, autocommit=True) as direct:
            listening = direct.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pytask-sync worker (LISTEN)'"
            ).fetchone()
        assert listening == (1,)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        rest = proc.stderr.read()
        assert "not listening" not in rest and "stopped after" in rest
    finally:
        proc.kill()
        proc.wait()
    _invariant(conn)
    _nothing_left_behind(bouncer, conn.info.dbname)


def test_migrate_and_the_demo_through_the_pooler(
    bouncer: PgBouncer, empty_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from psycopg.conninfo import conninfo_to_dict

    dbname = str(conninfo_to_dict(empty_dsn)["dbname"])
    pooled = bouncer.dsn(dbname)
    code, out, err = _cli(capsys, "--dsn", pooled, "migrate", "--json")
    assert (code, err) == (0, ""), err
    assert current_revision(empty_dsn) == head_revision()
    migrate(pooled)  # again, from Python: a no-op
    for _ in range(7):  # past psycopg's prepare_threshold, had the CLI one
        code, out, err = _cli(capsys, "--dsn", pooled, "migrate", "current", "--json")
        assert code == 0 and '"up to date"' in out
    code, out, err = _cli(capsys, "--dsn", pooled, "demo")
    assert code == 0, err
    for _ in range(6):
        code, out, err = _cli(capsys, "--dsn", pooled, "status", "--json")
        assert code == 0, err
    _nothing_left_behind(bouncer, dbname)
    bouncer.close_server_connections(dbname)  # they would hold up the DROP DATABASE after the test


def test_the_pooler_check_sees_what_a_session_leaves(
    bouncer: PgBouncer, pooled: str, conn: psycopg.Connection[Any]
) -> None:
    """The check itself: each thing the package must not do is found when something does it."""
    dbname = conn.info.dbname
    leftovers = {
        "prepared": "PREPARE left_over AS SELECT 1",
        "settings": "SET work_mem = '7MB'",
        "advisory": "SELECT pg_advisory_lock(42)",
        "temp_tables": "CREATE TEMPORARY TABLE left_over (x int)",
        "listening": "LISTEN left_over",
    }
    for what, sql in leftovers.items():
        with _pooled_conn(pooled) as c:
            c.execute(sql)
        with pytest.raises(AssertionError, match=what):
            _nothing_left_behind(bouncer, dbname)
        bouncer.close_server_connections(dbname)  # a fresh pool for the next one


def test_the_engines_functions_keep_nothing_past_a_transaction(conn: psycopg.Connection[Any]) -> None:
    """The engine's side of the same rule, read from the catalog: settings only in a function's own
    SET clause or with set_config(..., true); no session advisory lock, LISTEN, PREPARE, temporary
    table or session-level SET in any function body."""
    import re

    session_level = {
        "set_config(..., false)": re.compile(r"set_config\s*\((?:[^()]|\([^()]*\))*,\s*false\s*\)", re.I),
        "session advisory lock": re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I),
        "LISTEN": re.compile(r"\bLISTEN\s+\w", re.I),
        "PREPARE": re.compile(r"\bPREPARE\s+\w+\s+(\(|AS\b)", re.I),
        "temporary table": re.compile(r"\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s+TABLE", re.I),
        "SET SESSION": re.compile(r"\bSET\s+SESSION\b", re.I),
        "DISCARD": re.compile(r"\bDISCARD\s+(ALL|PLANS|TEMP)", re.I),
    }
    rows = conn.execute(
        """
        SELECT p.oid::regprocedure::text, coalesce(p.prosrc, '')
        FROM pg_proc p WHERE p.pronamespace IN ('task_sync'::regnamespace, 'task_sync_internal'::regnamespace)
          AND p.prokind IN ('f', 'p')
        """
    ).fetchall()
    assert len(rows) > 30
    found = [(name, what) for name, src in rows for what, pattern in session_level.items() if pattern.search(src)]
    assert found == []
    # and each pattern finds what it is for
    samples = {
        "set_config(..., false)": "PERFORM set_config('work_mem', format('%sMB', 7), false);",
        "session advisory lock": "PERFORM pg_advisory_lock(42);",
        "LISTEN": "EXECUTE 'LISTEN task_sync';",
        "PREPARE": "EXECUTE 'PREPARE q AS SELECT 1';",
        "temporary table": "CREATE TEMP TABLE t (x int);",
        "SET SESSION": "EXECUTE 'SET SESSION work_mem = 1';",
        "DISCARD": "DISCARD ALL;",
    }
    assert all(session_level[what].search(text) for what, text in samples.items())


def test_the_workers_poll_is_a_positive_number_of_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "--dsn", "host=/nonexistent dbname=x", "worker", "--poll", "0")
    assert (code, out) == (2, "") and err.strip().splitlines() == [
        "error: not a number of seconds: --poll 0 (expected more than 0)"
    ]
    with pytest.raises(SystemExit) as usage:
        main(["worker", "--poll", "-1"])
    assert usage.value.code == 2
