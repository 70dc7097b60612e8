"""The audit's retention scheduled by pg_cron, as docs/reference.md's recipe says (as the owner).

Runs where pg_cron is loaded (CI's PostgreSQL 15 leg, which requires it); slow: waits for
pg_cron's minute.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from tests.builders import bulk_jobs
from tests.packaging import test_pg_cron
from tests.packaging.test_pg_cron import _runs, _schedule

pytestmark = pytest.mark.slow

cron = test_pg_cron.cron  # the fixture: a connection to the database pg_cron runs in

#: docs/reference.md's recipe, its schedule aside (every minute here, daily there)
RECIPE = "SELECT task_sync.prune_history(interval '90 days')"


def test_pg_cron_prunes_the_audit_as_the_owner(conn: psycopg.Connection[Any], cron: psycopg.Connection[Any]) -> None:
    wos = bulk_jobs(conn, 6)
    TaskSync(conn).sync_pending()
    conn.execute(
        "UPDATE task_sync.sync_run SET ran_at = ran_at - interval '100 days' WHERE work_order_id = ANY(%s)",
        (wos[:4],),
    )
    job = _schedule(cron, RECIPE, conn.info.dbname, conn.info.user)
    try:
        deadline = time.monotonic() + 150  # two of pg_cron's minutes, and some
        while time.monotonic() < deadline and not _runs(cron, job):
            time.sleep(1)
        runs = _runs(cron, job)
        assert runs and runs[0][0] == "succeeded", runs
        left = conn.execute("SELECT array_agg(work_order_id ORDER BY work_order_id) FROM task_sync.sync_run")
        assert left.fetchone() == (wos[4:],)
        assert conn.execute(
            "SELECT count(*) FROM task_sync.sync_item WHERE work_order_id = ANY(%s)", (wos[:4],)
        ).fetchone() == (0,)
    finally:
        cron.execute("SELECT cron.unschedule(%s)", (job,))
        cron.execute("DELETE FROM cron.job_run_details WHERE jobid = %s", (job,))
