"""Faults in the middle of a sync: a killed backend, a statement or lock timeout. Nothing partial."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from tests.builders import Builder
from tests.concurrency import Background, wait_until_blocked


@pytest.fixture
def half_synced(conn: psycopg.Connection[Any]) -> tuple[Builder, int, int]:
    """A job whose plan removes, updates and adds; returns it and the id of a draft the plan updates."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 9 WHERE id = %s", (wo,))
    conn.execute("DELETE FROM task_sync.work_order_die WHERE work_order_id = %s", (wo,))
    b.add_process(wo, "LAM_M")
    (die,) = [t["id"] for t in b.tasks(wo) if t["task_type"] == "foiling"]
    return b, wo, die


def _assert_untouched_then_recovers(b: Builder, wo: int, before: Any, connect: Any) -> None:
    assert b.snapshot() == before  # nothing partial, the mark is still there
    assert TaskSync(b.conn).check_sync_needed(wo) is True
    res = TaskSync(connect()).execute(wo, confirm=True)  # locks were released
    assert (res.added, res.removed, res.updated) == (1, 2, 5)
    assert TaskSync(b.conn).preview(wo).summary.changes == 0


@pytest.mark.parametrize("call", ["execute", "sync_pending"])
def test_backend_killed_mid_sync(half_synced: Any, connect: Any, call: str) -> None:
    b, wo, held_task = half_synced
    before = b.snapshot()
    holder, victim = connect(autocommit=False), connect()
    holder.execute("SELECT 1 FROM task_sync.task WHERE id = %s FOR UPDATE", (held_task,))
    ts = TaskSync(victim)
    bg = Background((lambda: ts.execute(wo, confirm=True)) if call == "execute" else (lambda: ts.sync_pending()))
    wait_until_blocked(b.conn, victim.info.backend_pid, by=holder.info.backend_pid)
    b.conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError):
        bg.result()
    holder.rollback()
    _assert_untouched_then_recovers(b, wo, before, connect)


def test_statement_timeout_cancels_cleanly(half_synced: Any, connect: Any) -> None:
    b, wo, held_task = half_synced
    before = b.snapshot()
    holder = connect(autocommit=False)
    holder.execute("SELECT 1 FROM task_sync.task WHERE id = %s FOR UPDATE", (held_task,))
    impatient = connect(options="-c statement_timeout=300")
    with pytest.raises(psycopg.errors.QueryCanceled):
        TaskSync(impatient).execute(wo, confirm=True)
    holder.rollback()
    _assert_untouched_then_recovers(b, wo, before, connect)


def test_lock_timeout_on_the_work_order(half_synced: Any, connect: Any) -> None:
    b, wo, _ = half_synced
    before = b.snapshot()
    holder = connect(autocommit=False)
    holder.execute("SELECT 1 FROM task_sync.work_order WHERE id = %s FOR NO KEY UPDATE", (wo,))
    impatient = connect(options="-c lock_timeout=200")
    with pytest.raises(psycopg.errors.LockNotAvailable):
        TaskSync(impatient).execute(wo, confirm=True)
    holder.rollback()
    _assert_untouched_then_recovers(b, wo, before, connect)
