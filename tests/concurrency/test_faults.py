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


def _pause_before_commit(conn: psycopg.Connection[Any], key: int) -> None:
    """In this test's database only: a sync_run insert waits for advisory lock ``key``, so a sync
    can be caught after it has written everything and before it commits."""
    conn.execute(
        "CREATE FUNCTION public.pause_here() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$BEGIN PERFORM pg_advisory_xact_lock({key}); RETURN NULL; END$$"
    )
    conn.execute(
        "CREATE TRIGGER pause_here AFTER INSERT ON task_sync.sync_run"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.pause_here()"
    )


@pytest.mark.parametrize("call", ["execute", "sync_pending"])
def test_backend_killed_mid_sync(half_synced: Any, connect: Any, call: str) -> None:
    b, wo, _ = half_synced
    _pause_before_commit(b.conn, 4242)
    before = b.snapshot()
    holder, victim = connect(autocommit=False), connect()
    holder.execute("SELECT pg_advisory_xact_lock(4242)")
    ts = TaskSync(victim)
    bg = Background((lambda: ts.execute(wo, confirm=True)) if call == "execute" else (lambda: ts.sync_pending()))
    wait_until_blocked(b.conn, victim.info.backend_pid, by=holder.info.backend_pid)
    b.conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError):
        bg.result()
    holder.rollback()
    b.conn.execute("DROP TRIGGER pause_here ON task_sync.sync_run")
    _assert_untouched_then_recovers(b, wo, before, connect)


def test_sync_pending_leaves_a_work_order_whose_draft_is_held(half_synced: Any, connect: Any) -> None:
    """It never waits: the work order with a held draft stays pending, and nothing of it is written."""
    b, wo, held_task = half_synced
    other = b.realistic()
    holder = connect(autocommit=False)
    holder.execute("UPDATE task_sync.task SET work_content = 'mine' WHERE id = %s", (held_task,))
    before = b.tasks(wo)
    rows = TaskSync(connect()).sync_pending()
    assert [r.work_order_id for r in rows] == [other]
    assert b.tasks(wo) == before
    holder.rollback()
    _assert_untouched_then_recovers(b, wo, b.snapshot(), connect)


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
