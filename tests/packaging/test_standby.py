"""Reads on a hot standby; syncs refused there with an error that says where to run them.

A standby of the test server is made with ``pg_basebackup -R`` from the server's own binaries and
started beside it. preview, plan, plan_pending, pending and check_sync_needed work there and agree
with the primary once it has replayed (so a plan_hash read there confirms an execute on the
primary); execute and sync_pending fail with TSC07, in SQL, in Python and on the command line, as
they do in a read-only transaction on the primary.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from pytask_sync import ReadOnlyTransaction, TaskSync
from pytask_sync.cli import main
from tests.builders import Builder
from tests.pgserver_for_tests import TestServer
from tests.sql.errors import raises_sqlstate


def _replayed(primary: psycopg.Connection[Any], standby: psycopg.Connection[Any], timeout: float = 60) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    (lsn,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()  # type: ignore[misc]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone() == (True,):
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not replay in time")


# slow (a second server, started for the test): pytest -m "not slow" leaves it out
@pytest.mark.slow
def test_reads_on_a_standby_agree_with_the_primary_and_syncs_are_refused_there(
    conn: psycopg.Connection[Any], dsn: str, server: TestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    if server.binaries() is None:
        pytest.skip("the server's binaries are unknown: set PYTASK_SYNC_TEST_BINDIR")
    b = Builder(conn)
    wo = b.tangled()  # a conflict, updates and a dismissal pending
    other = b.realistic()
    dbname = conn.info.dbname
    with server.standby() as replica:
        standby = psycopg.connect(replica.dsn(dbname), autocommit=True)
        try:
            _replayed(conn, standby)
            assert standby.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            on_primary, on_standby = TaskSync(conn), TaskSync(standby)
            for flags in ({}, {"overwrite_edits": True, "restore_dismissed": True}):
                assert on_standby.preview(wo, **flags) == on_primary.preview(wo, **flags)
                assert on_standby.plan(wo, **flags) == on_primary.plan(wo, **flags)
            assert on_standby.plan_pending() == on_primary.plan_pending()
            assert on_standby.pending() == on_primary.pending()
            assert on_standby.check_sync_needed(other) and on_standby.check_sync_needed(wo)

            # a plan read on the standby confirms an execute on the primary
            plan = on_standby.preview(wo)
            assert on_primary.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash).conflicts == 1
            _replayed(conn, standby)
            assert on_standby.preview(wo).plan_hash == on_primary.preview(wo).plan_hash
            assert not on_standby.check_sync_needed(wo)

            # the syncs are refused there, with the engine's error, nothing changed
            for sql in (f"SELECT task_sync.execute({other}, true)", "SELECT * FROM task_sync.sync_pending()"):
                with pytest.raises(psycopg.DatabaseError) as refusal:
                    standby.execute(sql)
                assert refusal.value.sqlstate == "TSC07"
                assert "hot standby" in str(refusal.value) and "primary" in str(refusal.value)
            with pytest.raises(ReadOnlyTransaction):
                on_standby.execute(other, confirm=True)
            with pytest.raises(ReadOnlyTransaction):
                on_standby.sync_pending()
            assert main(["--dsn", replica.dsn(dbname), "execute", str(other), "--yes"]) == 1
            err = capsys.readouterr().err
            assert "run it on the primary" in err and len(err.strip().splitlines()) == 1
        finally:
            standby.close()
    assert b.versions(other)[0] > b.versions(other)[1]  # still pending on the primary


def test_a_read_only_transaction_on_the_primary_is_refused_the_same_way(conn: psycopg.Connection[Any]) -> None:
    wo = Builder(conn).realistic()
    for sql in (f"SELECT task_sync.execute({wo}, true)", "SELECT * FROM task_sync.sync_pending()"):
        with raises_sqlstate(conn, "TSC07") as refusal, conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(sql)
        assert "read-only" in str(refusal.value) and "hot standby" not in str(refusal.value)
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        assert TaskSync(conn).preview(wo).summary.add == 14  # reads still work
