"""sync_pending scheduled inside the database by pg_cron, as a role in task_sync_writer.

Runs where the server has pg_cron loaded (``shared_preload_libraries``); CI's PostgreSQL 15 leg
does, with ``PYTASK_SYNC_REQUIRE_PG_CRON=1`` so that it cannot skip there. The job is the recipe
of docs/operations.md, run every minute (pg_cron 1.4, Debian 12's, has no seconds; from 1.5 on, '5 seconds'): the
edits made are synced within a bounded wait, a work order whose sync fails does not keep the
others from being synced, and a failing run is visible in cron.job_run_details with the engine's
error while the next runs go on.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from tests.builders import Builder, bulk_jobs
from tests.pgserver_for_tests import TestServer

# slow (waits for pg_cron's minute): pytest -m "not slow" leaves it out
pytestmark = pytest.mark.slow

RECIPE = "SELECT count(*) FROM task_sync.sync_pending(500)"


@pytest.fixture
def cron(server: TestServer) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the database pg_cron runs in (cron.database_name), with the extension."""
    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        loaded = admin.execute("SELECT current_setting('shared_preload_libraries') ~ 'pg_cron'").fetchone()
        if loaded != (True,):
            if os.environ.get("PYTASK_SYNC_REQUIRE_PG_CRON"):
                pytest.fail("pg_cron is required (PYTASK_SYNC_REQUIRE_PG_CRON) but not loaded")
            pytest.skip("pg_cron is not loaded on this server")
        (database,) = admin.execute("SELECT current_setting('cron.database_name')").fetchone()  # type: ignore[misc]
    with psycopg.connect(server.dsn(database), autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        yield c


def _schedule(cron: psycopg.Connection[Any], command: str, database: str, role: str) -> int:
    (job,) = cron.execute(
        "SELECT cron.schedule_in_database(%s, '* * * * *', %s, %s, %s)",
        (f"task-sync-{uuid.uuid4().hex[:8]}", command, database, role),
    ).fetchone()  # type: ignore[misc]
    return int(job)


def _runs(cron: psycopg.Connection[Any], job: int) -> list[tuple[str, str]]:
    return [
        (status, message or "")
        for status, message in cron.execute(
            "SELECT status, return_message FROM cron.job_run_details WHERE jobid = %s AND status <> 'running'"
            " ORDER BY runid",
            (job,),
        )
    ]


def test_pg_cron_syncs_pending_work_orders_as_a_writer(
    conn: psycopg.Connection[Any], cron: psycopg.Connection[Any], login: dict[str, str]
) -> None:
    b = Builder(conn)
    wos = bulk_jobs(conn, 3)
    conn.execute("CREATE TABLE public.time_entry (task_id bigint REFERENCES task_sync.task (id), minutes integer)")
    TaskSync(conn).sync_pending()
    # the first work order's printing draft must go, but an application's row points at it
    (printing,) = [t["id"] for t in b.tasks(wos[0]) if t["task_type"] == "printing"]
    conn.execute("INSERT INTO public.time_entry VALUES (%s, 30)", (printing,))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wos[0],))
    for wo in wos[1:]:
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 999 WHERE id = %s", (wo,))
    closed = b.work_order(approval_status="approved")

    database = conn.info.dbname
    writer = login["task_sync_writer"]
    job = _schedule(cron, RECIPE, database, writer)
    failing = _schedule(cron, f"SELECT task_sync.execute({closed}, true)", database, writer)
    try:
        deadline = time.monotonic() + 150  # two of pg_cron's minutes, and some
        while time.monotonic() < deadline:
            if len(_runs(cron, job)) >= 2 and _runs(cron, failing):
                break
            time.sleep(1)
        runs = _runs(cron, job)
        assert len(runs) >= 2, runs
        assert all(status == "succeeded" for status, _ in runs), runs
        # the others synced, the one that fails recorded with its error, the invariant holds
        pending = TaskSync(conn).pending()
        assert [p.work_order_id for p in pending] == [wos[0]]
        assert pending[0].last_error is not None and pending[0].last_error.startswith("23503")
        for wo in wos[1:]:
            assert b.versions(wo)[0] == b.versions(wo)[1]
        # a failing run is visible with the engine's error; the recipe's runs went on beside it
        failed = _runs(cron, failing)
        assert failed and failed[0][0] == "failed" and "may not be synced" in failed[0][1], failed
    finally:
        cron.execute("SELECT cron.unschedule(%s)", (job,))
        cron.execute("SELECT cron.unschedule(%s)", (failing,))
        cron.execute("DELETE FROM cron.job_run_details WHERE jobid IN (%s, %s)", (job, failing))
