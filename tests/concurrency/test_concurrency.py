"""Several sessions at once, with an explicit order of steps (waiting on pg_blocking_pids, never sleeping)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from tests.builders import Builder, bulk_jobs
from tests.concurrency import Background, wait_until_blocked


def _isolation(level: str) -> str:
    """libpq options that make every transaction of the session run at ``level``."""
    return "-c default_transaction_isolation=" + level.replace(" ", "\\ ")


def _draft(b: Builder, wo: int, task_type: str) -> dict[str, Any]:
    (t,) = [t for t in b.tasks(wo) if t["task_type"] == task_type and t["origin"] == "generated"]
    return t


def test_two_executes_of_one_work_order(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    first, second = connect(autocommit=False), connect()
    r1 = TaskSync(first).execute(wo, confirm=True)  # holds the work order row, not committed
    bg = Background(lambda: TaskSync(second).execute(wo, confirm=True))
    wait_until_blocked(conn, second.info.backend_pid, by=first.info.backend_pid)
    first.commit()
    r2 = bg.result()
    assert (r1.added, r2.added) == (14, 0)
    assert r2.sync_run_id is None
    assert len(b.tasks(wo)) == 14
    keys = [(t["work_order_process_id"], t["task_type"], t["source_kind"], t["source_id"]) for t in b.tasks(wo)]
    assert len(keys) == len(set(keys))


def test_route_edit_during_a_sync_leaves_the_work_order_pending(conn: psycopg.Connection[Any], connect: Any) -> None:
    """The edit does not wait for the sync (marking touches no row the sync holds), and the sync,
    which could not see the edit, does not take its mark: the work order stays pending."""
    b = Builder(conn)
    wo = b.realistic()
    syncer, editor = connect(autocommit=False), connect()
    TaskSync(syncer).execute(wo, confirm=True)  # holds the work order row, not committed
    lam = b.process_id("LAM_M")
    editor.execute(
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES (%s, %s, 99)",
        (wo, lam),
    )
    syncer.commit()
    assert TaskSync(conn).check_sync_needed(wo) is True
    assert [i.action for i in TaskSync(conn).preview(wo).items] == ["add"]


def test_edit_committed_after_the_marks_were_read_keeps_its_mark(conn: psycopg.Connection[Any], connect: Any) -> None:
    """A mark committed between a sync's reading of the marks and its commit is not taken in."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    editor, syncer = connect(autocommit=False), connect(autocommit=False)
    editor.execute("UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = %s", (wo,))
    holder = connect(autocommit=False)
    (held,) = [t["id"] for t in b.tasks(wo) if t["task_type"] == "general"]
    holder.execute("SELECT 1 FROM task_sync.task WHERE id = %s FOR UPDATE", (held,))
    # committed: a mark the sync will read, and a plan that updates the held draft
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 77 WHERE id = %s", (wo,))
    bg = Background(lambda: TaskSync(syncer).execute(wo, confirm=True))
    wait_until_blocked(conn, syncer.info.backend_pid, by=holder.info.backend_pid)  # marks read, plan made
    editor.commit()  # the product edit's mark lands now
    holder.rollback()
    res = bg.result()
    syncer.commit()
    assert res.updated > 0
    assert TaskSync(conn).check_sync_needed(wo) is True
    plan = TaskSync(conn).preview(wo)
    assert {(i.action, i.task_type) for i in plan.items} == {("update", "packaging")}


def test_route_delete_before_a_sync_is_waited_for_not_deadlocked(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    editor, syncer = connect(autocommit=False), connect()
    editor.execute(
        "DELETE FROM task_sync.work_order_process wop USING task_sync.process p"
        " WHERE p.id = wop.process_id AND p.code = 'PRT' AND wop.work_order_id = %s",
        (wo,),
    )
    bg = Background(lambda: TaskSync(syncer).execute(wo, confirm=True))
    wait_until_blocked(conn, syncer.info.backend_pid, by=editor.info.backend_pid)
    editor.commit()
    assert bg.result().removed == 2  # the sync saw the deletion
    assert TaskSync(conn).check_sync_needed(wo) is False


def test_planner_edit_during_a_sync_is_kept(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 6000 WHERE id = %s", (wo,))
    die = _draft(b, wo, "die_cutting")
    planner, syncer = connect(autocommit=False), connect()
    planner.execute("UPDATE task_sync.task SET production_quantity = 4800 WHERE id = %s", (die["id"],))
    bg = Background(lambda: TaskSync(syncer).execute(wo, confirm=True))
    wait_until_blocked(conn, syncer.info.backend_pid, by=planner.info.backend_pid)
    planner.commit()
    bg.result()
    after = _draft(b, wo, "die_cutting")
    # as if the edit came first: the planner's value stands, the baseline took the rules' value
    assert (after["production_quantity"], after["generated_production_quantity"]) == (4800, 6000)
    assert TaskSync(conn).preview(wo).items == ()


def test_status_change_to_formal_during_a_sync_is_never_overwritten(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("DELETE FROM task_sync.work_order_die WHERE work_order_id = %s", (wo,))  # drafts to remove
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 7 WHERE id = %s", (wo,))  # drafts to update
    die = _draft(b, wo, "die_cutting")
    foil = _draft(b, wo, "foiling")
    approver, syncer = connect(autocommit=False), connect()
    approver.execute("UPDATE task_sync.task SET status = 'pending' WHERE id = ANY(%s)", ([die["id"], foil["id"]],))
    bg = Background(lambda: TaskSync(syncer).execute(wo, confirm=True))
    wait_until_blocked(conn, syncer.info.backend_pid, by=approver.info.backend_pid)
    approver.commit()
    bg.result()
    formal = {t["id"]: t for t in b.tasks(wo) if t["status"] != "draft"}
    assert formal[die["id"]] == dict(die, status="pending")  # not removed, not changed
    assert formal[foil["id"]] == dict(foil, status="pending")  # not updated


def test_batch_skips_a_work_order_being_executed(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    busy, free = b.realistic(), b.realistic()
    holder = connect(autocommit=False)
    TaskSync(holder).execute(busy, confirm=True)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 1 WHERE id = %s", (free,))
    rows = TaskSync(connect(options="-c lock_timeout=10000")).sync_pending()  # bounded, should it ever wait
    assert [r.work_order_id for r in rows] == [free]  # did not wait for the busy one
    holder.rollback()
    assert [r.work_order_id for r in TaskSync(connect()).sync_pending()] == [busy]


def test_mark_arriving_during_a_batch_is_not_lost(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    batch, editor = connect(autocommit=False), connect()
    assert [r.work_order_id for r in TaskSync(batch).sync_pending()] == [wo]
    bg = Background(
        lambda: editor.execute("UPDATE task_sync.work_order SET production_quantity = 77 WHERE id = %s", (wo,))
    )
    wait_until_blocked(conn, editor.info.backend_pid, by=batch.info.backend_pid)
    batch.commit()
    bg.result()
    ts = TaskSync(conn)
    assert ts.check_sync_needed(wo) is True
    assert [r.work_order_id for r in ts.sync_pending()] == [wo]
    assert {t["production_quantity"] for t in b.tasks(wo) if t["task_type"] == "printing"} == {77}


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read", "serializable"])
def test_four_batch_workers_sync_each_work_order_exactly_once(
    conn: psycopg.Connection[Any], dsn: str, isolation: str
) -> None:
    wos = bulk_jobs(conn, 500)
    tally: Counter[int] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True, options=_isolation(isolation)) as c:
                ts = TaskSync(c, max_attempts=50)
                while True:
                    rows = ts.sync_pending(limit=25)
                    with lock:
                        tally.update(r.work_order_id for r in rows)
                    if not rows and not ts.pending(limit=1):
                        return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert set(tally) == set(wos) and set(tally.values()) == {1}
    runs = conn.execute("SELECT work_order_id, count(*) FROM task_sync.sync_run GROUP BY 1").fetchall()
    assert len(runs) == 500 and {n for _, n in runs} == {1}
    # no attempt failed either (two workers adding one work order's drafts: a duplicate key)
    assert conn.execute("SELECT count(*) FROM task_sync.sync_failure").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM task_sync.task").fetchone() == (1000,)


def test_serialization_failure_is_retried_for_the_caller(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    editor = connect(autocommit=False)
    rr = connect(options=_isolation("repeatable read"))
    editor.execute("UPDATE task_sync.work_order SET production_quantity = 1234 WHERE id = %s", (wo,))
    ts = TaskSync(rr)
    bg = Background(lambda: ts.execute(wo, confirm=True))
    wait_until_blocked(conn, rr.info.backend_pid, by=editor.info.backend_pid)
    editor.commit()  # rr's snapshot is now too old for the row it waits on: 40001, then a retry
    res = bg.result()
    assert ts.retries == 1
    assert res.added == 14
    assert {t["production_quantity"] for t in b.tasks(wo) if t["task_type"] == "printing"} == {1234}


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_execute_with_an_older_snapshot_is_retried_not_a_duplicate_key(
    conn: psycopg.Connection[Any], connect: Any, isolation: str
) -> None:
    """A work order with drafts to add and no mark (its marks gone, as after a load with the triggers
    off): a second execute whose snapshot predates the first's commit must not try the same adds
    (a unique violation) but fail at the row lock (40001) and be retried: a sync that changed
    anything writes the work order row."""
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("DELETE FROM task_sync.work_order_mark WHERE work_order_id = %s", (wo,))
    first = connect(autocommit=False)
    second = connect(options=_isolation(isolation))
    r1 = TaskSync(first).execute(wo, confirm=True)  # holds the work order row, not committed
    ts = TaskSync(second)
    bg = Background(lambda: ts.execute(wo, confirm=True))
    wait_until_blocked(conn, second.info.backend_pid, by=first.info.backend_pid)
    first.commit()
    r2 = bg.result()
    assert (r1.added, r2.added, ts.retries) == (14, 0, 1)
    assert len(b.tasks(wo)) == 14


def test_draft_deleted_between_plan_and_apply_stays_dismissed(conn: psycopg.Connection[Any]) -> None:
    """At READ COMMITTED the apply statement sees what committed after the plan was read: a planner's
    delete landing in between must stay a dismissal, not be forgotten (found by the PG15 stress run)."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 42 WHERE id = %s", (wo,))
    conn.execute("CREATE TEMP TABLE p AS SELECT r FROM task_sync_internal._plan_rows(ARRAY[%s]::bigint[]) r", (wo,))
    gone = _draft(b, wo, "general")
    conn.execute("DELETE FROM task_sync.task WHERE id = %s", (gone["id"],))  # a planner, meanwhile
    conn.execute(
        "SELECT * FROM task_sync_internal._apply("
        "ARRAY[%s]::bigint[], ARRAY(SELECT r FROM p), false, false, 'execute', '{}')",
        (wo,),
    )
    assert [i.action for i in TaskSync(conn).preview(wo).items] == ["dismissed"]
