"""A batch at REPEATABLE READ or SERIALIZABLE goes on past the rows changed since its snapshot
(issue 33, the sustained run).

At those levels a transaction that locks a row another committed a new version of after its
snapshot gets a serialization failure (40001), however the lock is asked for (SKIP LOCKED skips
only rows locked now). In a 600 s run at REPEATABLE READ, every ``sync_pending`` call whose
candidates a writer or the other batch loop had touched since the call began ended in 40001: the
two loops synced next to nothing (244 calls given up), and the marks of a busy work order grew to
7,177 rows. Each test replays one way it happened, and failed before the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from tests.builders import Builder, bulk_jobs

LEVELS = ["repeatable read", "serializable"]
BUMP = "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)"


def _snapshot_at(connect: Callable[..., Any], level: str) -> psycopg.Connection[Any]:
    """A session whose transaction has taken its snapshot (its first statement ran)."""
    s = connect(autocommit=False)
    s.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
    s.execute("SELECT 1")
    return s


def subxacts(conn: psycopg.Connection[Any], session: psycopg.Connection[Any]) -> tuple[int, bool]:
    """How many subtransactions the open transaction of ``session`` keeps cached, and whether it
    overflowed PostgreSQL's cache of 64 (PostgreSQL 16 and later)."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute(  # type: ignore[return-value]
        "SELECT s.subxact_count, s.subxact_overflowed"
        " FROM pg_stat_get_backend_idset() AS b (id), pg_stat_get_backend_subxact(b.id) AS s"
        " WHERE pg_stat_get_backend_pid(b.id) = %s",
        (session.info.backend_pid,),
    ).fetchone()


def _marked(conn: psycopg.Connection[Any]) -> set[int]:
    return {r[0] for r in conn.execute("SELECT DISTINCT work_order_id FROM task_sync.work_order_mark")}


@pytest.mark.parametrize(
    ("level", "n"), [("repeatable read", 12), ("serializable", 12), ("repeatable read", 150)], ids=str
)
def test_work_orders_changed_since_the_snapshot_are_left_the_others_synced(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], level: str, n: int
) -> None:
    """A writer changes work orders after the batch's snapshot: the batch got 40001 and synced
    nothing; now it syncs the others and leaves those to a later call (a group of 12 is probed
    work order by work order, one of 150 halved first)."""
    wos = bulk_jobs(conn, n)
    ts = TaskSync(conn)
    ts.sync_pending()
    conn.execute(BUMP, (wos,))  # all twelve pending
    batch = _snapshot_at(connect, level)
    changed = [wos[2], wos[7]]
    conn.execute(BUMP, (changed,))  # committed after the batch's snapshot
    synced = {r[0] for r in batch.execute("SELECT * FROM task_sync.sync_pending()")}
    batch.commit()
    assert synced == set(wos) - set(changed)
    assert _marked(conn) == set(changed)
    assert {r.work_order_id for r in ts.sync_pending()} == set(changed)  # a later call takes them
    assert _marked(conn) == set()


@pytest.mark.parametrize("level", LEVELS)
def test_a_draft_edited_since_the_snapshot_leaves_its_work_order_only(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], level: str
) -> None:
    wos = bulk_jobs(conn, 6)
    ts = TaskSync(conn)
    ts.sync_pending()
    conn.execute(BUMP, (wos,))
    edited = wos[3]
    batch = _snapshot_at(connect, level)
    conn.execute(
        "UPDATE task_sync.task SET work_content = work_content || ' (checked)'"
        " WHERE id = (SELECT min(id) FROM task_sync.task WHERE work_order_id = %s AND status = 'draft')",
        (edited,),
    )
    synced = {r[0] for r in batch.execute("SELECT * FROM task_sync.sync_pending()")}
    batch.commit()
    assert synced == set(wos) - {edited}
    assert {r.work_order_id for r in ts.sync_pending()} == {edited}


@pytest.mark.parametrize("level", LEVELS)
def test_two_batch_loops_one_behind_the_others_commit(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], level: str
) -> None:
    """The second loop's snapshot predates the first one's commit: it met the rows the first had
    synced (and the closed jobs whose marks it had parked) and ended in 40001."""
    wos = bulk_jobs(conn, 10)
    ts = TaskSync(conn)
    ts.sync_pending()
    closed = wos[:2]
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = ANY(%s)", (closed,))
    conn.execute(BUMP, (wos,))  # eight to sync, two closed ones to park
    behind = _snapshot_at(connect, level)
    first = {r.work_order_id for r in ts.sync_pending(4)}  # syncs four, parks the two closed ones
    assert len(first) == 4
    second = {r[0] for r in behind.execute("SELECT * FROM task_sync.sync_pending()")}
    behind.commit()
    assert second == set(wos[2:]) - first
    assert _marked(conn) == set()
    parked = conn.execute("SELECT work_order_id FROM task_sync.work_order_mark_parked ORDER BY 1").fetchall()
    assert [r[0] for r in parked] == closed


@pytest.mark.parametrize("level", LEVELS)
def test_a_route_row_changed_since_the_snapshot_leaves_its_work_order_only(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], level: str
) -> None:
    """The sync adds a draft for a route row renumbered after the snapshot: holding it fails with
    40001, which no probe of work orders and drafts finds; the group is halved down to it."""
    wos = bulk_jobs(conn, 6)
    ts = TaskSync(conn)
    ts.sync_pending()
    moved = wos[4]
    route = Builder(conn).add_process(moved, "VAN")
    conn.execute(BUMP, (wos,))
    batch = _snapshot_at(connect, level)
    conn.execute("UPDATE task_sync.work_order_process SET sequence = sequence + 1 WHERE id = %s", (route,))
    synced = {r[0] for r in batch.execute("SELECT * FROM task_sync.sync_pending()")}
    batch.commit()
    assert synced == set(wos) - {moved}
    assert {r.work_order_id for r in ts.sync_pending()} == {moved}
    assert ts.check_sync_needed(moved) is False


@pytest.mark.parametrize("level", LEVELS)
def test_a_failure_changed_since_the_snapshot_is_recorded_by_a_later_call(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], level: str
) -> None:
    wos = bulk_jobs(conn, 4)
    ts = TaskSync(conn)
    ts.sync_pending()
    bad = wos[0]
    conn.execute("CREATE TABLE public.app_ref (task_id bigint REFERENCES task_sync.task (id))")
    conn.execute(
        "INSERT INTO public.app_ref SELECT id FROM task_sync.task WHERE work_order_id = %s AND task_type = 'printing'",
        (bad,),
    )
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (bad,))
    conn.execute(BUMP, (wos[1:],))
    behind = _snapshot_at(connect, level)
    conn.execute(BUMP, ([bad],))
    synced = {r[0] for r in behind.execute("SELECT * FROM task_sync.sync_pending()")}
    behind.commit()
    assert synced == set(wos[1:])
    ts.sync_pending()
    assert conn.execute("SELECT work_order_id, reason FROM task_sync.sync_failure").fetchall() == [(bad, "failed")]


def test_the_marks_of_a_busy_work_order_fold_into_one(
    conn: psycopg.Connection[Any], connect: Callable[..., Any]
) -> None:
    """A planner holds a draft for long; the work order's inputs keep changing. Its marks grew
    one per editing transaction (7,177 rows for one work order in the sustained run): each batch
    that finds it busy now folds them into one, and no change is lost."""
    wos = bulk_jobs(conn, 3)
    ts = TaskSync(conn)
    ts.sync_pending()
    held = wos[0]
    (draft,) = [t["id"] for t in Builder(conn).tasks(held) if t["task_type"] == "printing"]
    holder = connect(autocommit=False)
    holder.execute("SELECT FROM task_sync.task WHERE id = %s FOR UPDATE", (draft,))
    for rounds in range(4):
        for _ in range(25):
            conn.execute(BUMP, ([held],))
        assert held not in {r.work_order_id for r in ts.sync_pending()}
        marks = conn.execute(
            "SELECT count(*) FROM task_sync.work_order_mark WHERE work_order_id = %s", (held,)
        ).fetchone()
        assert marks == (1,), f"round {rounds}: {marks} marks"
    (row,) = [p for p in ts.pending() if p.work_order_id == held]
    assert row.definition_version - row.synced_version == 4 * 25
    holder.rollback()
    assert [r.work_order_id for r in ts.sync_pending()] == [held]
    assert ts.check_sync_needed(held) is False


def test_a_call_full_of_rows_changed_since_its_snapshot_keeps_its_subtransactions_cached(
    conn: psycopg.Connection[Any], connect: Callable[..., Any]
) -> None:
    """Every attempt, probe and halving is a subtransaction: PostgreSQL caches 64 per transaction and
    slows every reader of the database once one has more (it overflows). The probes and the failed
    attempts are rolled back, which frees their slots: a call that meets 100 changed work orders
    among 150 stays within the cache while its transaction is open."""
    if conn.info.server_version < 160000:
        pytest.skip("pg_stat_get_backend_subxact: PostgreSQL 16 and later")
    wos = bulk_jobs(conn, 150)
    ts = TaskSync(conn)
    ts.sync_pending()
    conn.execute(BUMP, (wos,))
    batch = _snapshot_at(connect, "repeatable read")
    changed = wos[::3] + wos[1::3]  # 100 of them, spread over every group
    conn.execute(BUMP, (changed,))
    synced = {r[0] for r in batch.execute("SELECT * FROM task_sync.sync_pending()")}
    assert synced == set(wos) - set(changed)
    count, overflowed = subxacts(conn, batch)
    batch.commit()
    assert overflowed is False and count <= 64, (count, overflowed)
