"""Adversarial interleavings of edits, rule and catalog changes, executes and batches.

Each test scripts two or three sessions in an explicit order (a session that must wait is
detected with pg_blocking_pids(), never by sleeping) and then checks the invariant of the trust
model: a work order that is not pending has no add, remove, update or conflict in its plan.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync.worker import Worker, drain
from tests.builders import Builder, bulk_jobs
from tests.concurrency import Background, wait_until_blocked
from tests.sql.errors import raises_sqlstate

ACTIONABLE = {"add", "remove", "update", "conflict"}


def assert_invariant(conn: psycopg.Connection[Any], *wos: int) -> None:
    """Not pending means nothing to do."""
    ts = TaskSync(conn)
    for wo in wos:
        plan = ts.preview(wo)
        if not plan.sync_needed:
            assert not ({i.action for i in plan.items} & ACTIONABLE), (wo, plan.items)


def writer(connect: Any, **kwargs: Any) -> psycopg.Connection[Any]:
    """A session in the role a planning service gets."""
    c: psycopg.Connection[Any] = connect(**kwargs)
    c.execute("SET ROLE task_sync_writer")
    if not kwargs.get("autocommit", True):
        c.commit()
    return c


def blocked_or_done(observer: psycopg.Connection[Any], pid: int, bg: Background, timeout: float = 20) -> None:
    """Wait until the background session ``pid`` waits on a lock, or has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bg.done():
            return
        row = observer.execute("SELECT pg_blocking_pids(%s)", (pid,)).fetchone()
        if row and row[0]:
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} neither blocked nor finished")


def _synced_job(b: Builder, *codes: str) -> int:
    wo = b.work_order()
    for code in codes:
        b.add_process(wo, code)
    b.link(wo, "artwork", "ART-I", "Front")
    b.product_line(wo, "SKU-I", 10, "Tea")
    b.execute(wo)
    return wo


def _add_route_and_sync(c: psycopg.Connection[Any], wo: int, code: str) -> Any:
    c.execute(
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
        " SELECT %s, id, 95 FROM task_sync.process WHERE code = %s",
        (wo, code),
    )
    return TaskSync(c).execute(wo, confirm=True)


def _race_owner_change(
    conn: psycopg.Connection[Any], connect: Any, owner_sql: str, edit: Callable[[psycopg.Connection[Any]], Any]
) -> None:
    """The owner changes something in an open transaction; a writer edits and syncs meanwhile;
    the owner commits. Whatever waited, the work order must not be left stale and not pending."""
    owner = connect(autocommit=False)
    owner.execute(owner_sql)
    w = writer(connect)
    bg = Background(lambda: edit(w))
    blocked_or_done(conn, w.info.backend_pid, bg)
    owner.commit()
    bg.result()


# -- 1. marks lost when a rule or catalog change overlaps input edits ----------------------------


def test_rule_update_while_its_process_is_added_and_synced(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "GLUE")
    _race_owner_change(
        conn,
        connect,
        "UPDATE task_sync.generation_rule SET content_template = '{order_number} printing v2'"
        " WHERE process_code = 'PRT'",
        lambda c: _add_route_and_sync(c, wo, "PRT"),
    )
    assert_invariant(conn, wo)
    TaskSync(conn).execute(wo, confirm=True)
    assert {t["work_content"].endswith(" printing v2") for t in b.tasks(wo) if t["task_type"] == "printing"} == {True}


def test_new_rule_while_its_process_is_added_and_synced(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "GLUE")
    _race_owner_change(
        conn,
        connect,
        "INSERT INTO task_sync.generation_rule"
        " (process_code, source_kind, task_type, quantity_source, content_template)"
        " VALUES ('LAM_M', 'work_order', 'laminating', 'work_order', '{order_number} laminating')",
        lambda c: _add_route_and_sync(c, wo, "LAM_M"),
    )
    assert_invariant(conn, wo)


def test_process_renamed_while_added_to_a_route(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PRT")
    _race_owner_change(
        conn,
        connect,
        "UPDATE task_sync.process SET name = 'Glueing v2' WHERE code = 'GLUE'",
        lambda c: _add_route_and_sync(c, wo, "GLUE"),
    )
    assert_invariant(conn, wo)


def test_product_renamed_while_a_line_is_added_and_synced(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PACK")
    product = b.catalog("product", "SKU-NEW", "Coffee")

    def edit(c: psycopg.Connection[Any]) -> Any:
        c.execute(
            "INSERT INTO task_sync.work_order_product (work_order_id, product_id, quantity) VALUES (%s, %s, 5)",
            (wo, product),
        )
        return TaskSync(c).execute(wo, confirm=True)

    _race_owner_change(conn, connect, f"UPDATE task_sync.product SET name = 'Coffee v2' WHERE id = {product}", edit)
    assert_invariant(conn, wo)


def test_artwork_renamed_while_a_rule_starts_to_use_its_name(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PRT")
    renamer, switcher = connect(autocommit=False), connect()
    renamer.execute("UPDATE task_sync.artwork SET name = 'Front v2' WHERE code = 'ART-I'")  # no rule uses it yet
    switcher.execute(
        "UPDATE task_sync.generation_rule SET content_template = '{source_name} printing' WHERE process_code = 'PRT'"
    )
    TaskSync(writer(connect)).execute(wo, confirm=True)  # new template, old name
    renamer.commit()
    assert_invariant(conn, wo)
    assert TaskSync(conn).check_sync_needed(wo) is True


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_rule_and_catalog_changes_refuse_snapshot_isolation(conn: psycopg.Connection[Any], level: str) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PRT")
    before = b.snapshot()
    for sql in (
        "UPDATE task_sync.generation_rule SET content_template = 'x {order_number}' WHERE process_code = 'PRT'",
        "UPDATE task_sync.artwork SET name = 'Front v3' WHERE code = 'ART-I'",
        "TRUNCATE task_sync.work_order_artwork",
    ):
        with raises_sqlstate(conn, "TSC05"), conn.transaction():
            conn.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
            conn.execute(sql)
    assert b.snapshot() == before
    assert_invariant(conn, wo)


# -- 2. task edits that change the plan ------------------------------------------------------------


def test_deleting_a_formal_generated_task_is_a_dismissal(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PRT")
    (t,) = [t for t in b.tasks(wo) if t["task_type"] == "printing"]
    conn.execute("UPDATE task_sync.task SET status = 'pending' WHERE id = %s", (t["id"],))
    conn.execute("DELETE FROM task_sync.task WHERE id = %s", (t["id"],))
    assert [i.action for i in TaskSync(conn).preview(wo).items] == ["dismissed"]
    assert_invariant(conn, wo)
    res = TaskSync(conn).execute(wo, confirm=True, restore_dismissed=True)
    assert res.added == 1


def test_a_generated_task_turned_manual_is_taken_over(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PRT")
    (t,) = [t for t in b.tasks(wo) if t["task_type"] == "printing"]
    conn.execute("UPDATE task_sync.task SET origin = 'manual' WHERE id = %s", (t["id"],))
    assert [i.action for i in TaskSync(conn).preview(wo).items] == ["dismissed"]
    assert_invariant(conn, wo)


def test_a_formal_task_made_draft_again_marks(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PRT", "GLUE")
    (t,) = [t for t in b.tasks(wo) if t["task_type"] == "printing"]
    conn.execute("UPDATE task_sync.task SET status = 'pending' WHERE id = %s", (t["id"],))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    TaskSync(conn).execute(wo, confirm=True)  # the printing task is an orphan now
    assert TaskSync(conn).check_sync_needed(wo) is False
    conn.execute("UPDATE task_sync.task SET status = 'draft' WHERE id = %s", (t["id"],))
    assert TaskSync(conn).check_sync_needed(wo) is True
    assert [i.action for i in TaskSync(conn).preview(wo).items] == ["remove"]


def test_a_generated_task_inserted_by_hand_marks(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "GLUE")
    conn.execute(
        "INSERT INTO task_sync.task (work_order_id, origin, task_type, source_kind, source_id,"
        " generated_work_content, generated_production_quantity)"
        " VALUES (%(wo)s, 'generated', 'x', 'work_order', %(wo)s, 'x', 1)",
        {"wo": wo},
    )
    assert TaskSync(conn).check_sync_needed(wo) is True
    assert_invariant(conn, wo)


# -- 3. deadlocks caused by marking ---------------------------------------------------------------


def test_d1_work_order_update_then_line_edits(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PACK")
    t1, t2 = writer(connect, autocommit=False), writer(connect)
    t1.execute("UPDATE task_sync.work_order SET production_quantity = production_quantity WHERE id = %s", (wo,))
    bg = Background(
        lambda: t2.execute(
            "UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = %s", (wo,)
        )
    )
    blocked_or_done(conn, t2.info.backend_pid, bg)  # marking used to wait here for t1's work order row
    t1.execute("UPDATE task_sync.work_order_product SET quantity = quantity + 2 WHERE work_order_id = %s", (wo,))
    bg.result()
    t1.commit()
    assert conn.execute(
        "SELECT quantity FROM task_sync.work_order_product WHERE work_order_id = %s", (wo,)
    ).fetchone() == (13,)
    assert_invariant(conn, wo)


def test_d2_material_edit_then_route_renumber_against_a_renumber(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "CUT", "PRT")
    b.material_line(wo, "BOARD-I", 5)
    t1, t2 = writer(connect, autocommit=False), writer(connect, autocommit=False)
    renumber = "UPDATE task_sync.work_order_process SET sequence = sequence + 1 WHERE work_order_id = %s"
    t1.execute("UPDATE task_sync.work_order_material SET quantity = 6 WHERE work_order_id = %s", (wo,))
    bg2 = Background(lambda: t2.execute(renumber, (wo,)))
    blocked_or_done(conn, t2.info.backend_pid, bg2)  # marking used to wait here for t1
    bg = Background(lambda: t1.execute(renumber, (wo,)))
    wait_until_blocked(conn, t1.info.backend_pid, by=t2.info.backend_pid)
    bg2.result()
    t2.commit()
    bg.result()
    t1.commit()
    assert_invariant(conn, wo)


def test_d3_edit_then_execute_against_a_route_delete(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "CUT", "PRT", "GLUE")
    b.material_line(wo, "BOARD-I", 5)
    b.execute(wo)
    t1, t2 = writer(connect, autocommit=False), writer(connect, autocommit=False)
    t1.execute("UPDATE task_sync.work_order_material SET quantity = 6 WHERE work_order_id = %s", (wo,))
    bg2 = Background(
        lambda: t2.execute(
            "DELETE FROM task_sync.work_order_process wop USING task_sync.process p"
            " WHERE p.id = wop.process_id AND p.code = 'GLUE' AND wop.work_order_id = %s",
            (wo,),
        )
    )
    blocked_or_done(conn, t2.info.backend_pid, bg2)  # marking used to wait here for t1
    bg = Background(lambda: TaskSync(t1).execute(wo, confirm=True))
    wait_until_blocked(conn, t1.info.backend_pid, by=t2.info.backend_pid)
    bg2.result()
    t2.commit()
    res = bg.result()
    t1.commit()
    assert res.removed == 1 and res.updated == 1
    assert_invariant(conn, wo)


def test_d5_a_dismissal_against_an_edit_that_waits_for_the_work_order(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    """Issue 24, item 3: deleting a generated draft inserts a dismissal, whose foreign key took KEY
    SHARE on the work order row. t1 edits draft A, t2 deletes draft B, t1 locks the work order row
    (waiting for t2's KEY SHARE), t2 edits draft A (waiting for t1): a deadlock. The dismissal
    takes no lock on the work order row now: t1 locks it at once, and t2 only waits for t1."""
    b = Builder(conn)
    wo = _synced_job(b, "PRT", "GLUE")
    draft_a, draft_b = (
        r[0]
        for r in conn.execute(
            "SELECT id FROM task_sync.task WHERE work_order_id = %s AND origin = 'generated' ORDER BY id LIMIT 2",
            (wo,),
        )
    )
    t1, t2 = writer(connect, autocommit=False), writer(connect, autocommit=False)
    t1.execute("UPDATE task_sync.task SET work_content = 'by t1' WHERE id = %s", (draft_a,))
    t2.execute("DELETE FROM task_sync.task WHERE id = %s", (draft_b,))
    lock = Background(lambda: t1.execute("SELECT FROM task_sync.work_order WHERE id = %s FOR UPDATE", (wo,)))
    blocked_or_done(conn, t1.info.backend_pid, lock)
    edit = Background(lambda: t2.execute("UPDATE task_sync.task SET work_content = 'by t2' WHERE id = %s", (draft_a,)))
    wait_until_blocked(conn, t2.info.backend_pid, by=t1.info.backend_pid)
    lock.result()  # no deadlock: it never waited for t2
    t1.commit()
    edit.result()
    t2.commit()
    assert conn.execute("SELECT work_content FROM task_sync.task WHERE id = %s", (draft_a,)).fetchone() == ("by t2",)
    assert conn.execute("SELECT count(*) FROM task_sync.task_dismissal WHERE task_id = %s", (draft_b,)).fetchone() == (
        1,
    )
    assert_invariant(conn, wo)


@pytest.mark.parametrize("sync", ["execute", "sync_pending"])
def test_d4_planner_holds_a_draft_then_edits_a_line(conn: psycopg.Connection[Any], connect: Any, sync: str) -> None:
    b = Builder(conn)
    wo = _synced_job(b, "PACK", "GLUE")
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 321 WHERE id = %s", (wo,))  # pending
    # a lock_timeout turns a wait the sync must not make into a failure instead of a hang
    planner, syncer = writer(connect, autocommit=False), writer(connect, options="-c lock_timeout=5000")
    (general,) = [t["id"] for t in b.tasks(wo) if t["task_type"] == "general"]
    planner.execute("UPDATE task_sync.task SET work_content = 'planner' WHERE id = %s", (general,))
    ts = TaskSync(syncer)
    if sync == "execute":
        bg = Background(lambda: ts.execute(wo, confirm=True))
        wait_until_blocked(conn, syncer.info.backend_pid, by=planner.info.backend_pid)
    else:
        assert ts.sync_pending() == []  # never waits: the held work order stays pending
    planner.execute("UPDATE task_sync.work_order_product SET quantity = 99 WHERE work_order_id = %s", (wo,))
    planner.commit()
    if sync == "execute":
        bg.result()
    else:
        assert [r.work_order_id for r in ts.sync_pending()] == [wo]
    assert ts.retries == 0
    assert_invariant(conn, wo)
    assert TaskSync(conn).preview(wo).summary.changes == 0 or TaskSync(conn).check_sync_needed(wo)


# -- 3b. a route row added after the sync locked the route, deleted before it writes -------------
#
# The window between execute's route lock and its plan, and the one between its plan and its
# writes, are a statement wide: no row lock a test can hold opens them. Table locks do: a statement
# takes its table locks before its snapshot, and the plan's inner queries take theirs after the
# snapshot of the statement that calls it. So the sync is paused (1) on work_order_mark, which it
# reads first right after the route lock, by an ACCESS EXCLUSIVE request queued behind the session
# adding the route row, and (2) inside the plan on process, which nothing else it did has read.


def _execute_with_a_route_row_added_behind_its_route_lock(
    conn: psycopg.Connection[Any], connect: Any, second_pause: str
) -> tuple[int, int, Background, psycopg.Connection[Any], psycopg.Connection[Any]]:
    """Start execute (as a writer) on a synced work order; add a GLUE route row that its route lock
    misses and its plan sees; pause it again where it first reads table ``second_pause``. Returns
    the work order, the new route row, the running execute, its session and the session holding
    ``second_pause`` (commit it to let execute go on)."""
    wo = _synced_job(Builder(conn), "PRT")
    syncer = writer(connect)
    adder, pause1, pause2 = connect(autocommit=False), connect(autocommit=False), connect(autocommit=False)
    route = Builder(adder).add_process(wo, "GLUE")  # not committed: the route lock cannot see it
    lock1 = Background(lambda: pause1.execute("LOCK TABLE task_sync.work_order_mark IN ACCESS EXCLUSIVE MODE"))
    wait_until_blocked(conn, pause1.info.backend_pid, by=adder.info.backend_pid)
    bg = Background(lambda: syncer.execute("SELECT task_sync.execute(%s, true)", (wo,)).fetchone()[0])
    wait_until_blocked(conn, syncer.info.backend_pid, by=pause1.info.backend_pid)  # route locked, at its marks
    adder.commit()
    lock1.result()
    pause2.execute(f"LOCK TABLE task_sync.{second_pause} IN ACCESS EXCLUSIVE MODE")
    pause1.commit()
    wait_until_blocked(conn, syncer.info.backend_pid, by=pause2.info.backend_pid)
    return wo, route, bg, syncer, pause2


def test_execute_of_a_plan_for_a_route_row_deleted_meanwhile_is_a_retry(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    # process: read first inside the plan, after the plan's snapshot
    wo, route, bg, _, pause = _execute_with_a_route_row_added_behind_its_route_lock(conn, connect, "process")
    conn.execute("DELETE FROM task_sync.work_order_process WHERE id = %s", (route,))  # nothing holds it
    pause.commit()
    with pytest.raises(psycopg.Error) as info:
        bg.result()
    assert info.value.sqlstate == "40001", info.value  # was 23503: drafts for a route row that is gone
    ts = TaskSync(conn)
    assert ts.check_sync_needed(wo)
    assert not [t for t in Builder(conn).tasks(wo) if t["work_order_process_id"] is None]
    assert ts.execute(wo, confirm=True).added == 0
    assert_invariant(conn, wo)
    assert not ts.check_sync_needed(wo)


def test_sync_pending_against_route_rows_that_come_and_go(conn: psycopg.Connection[Any], connect: Any) -> None:
    """sync_pending's window between its route lock and its plan is one statement of its own, which
    no table lock can pause (it reads no table its transaction has not read before), so this
    test races it: a route row is added and deleted, one commit each, as fast as a session can,
    while batches sync the work order, whose plan takes a while (a thousand artworks). Before the
    route rows the plan adds drafts for were locked after the plan, a batch failed with 23503
    within the first calls here, in every run."""
    b = Builder(conn)
    wo = _synced_job(b, "PRT")
    conn.execute(
        "WITH a AS (INSERT INTO task_sync.artwork (code, name)"
        "           SELECT 'ART-R' || i, 'Art ' || i FROM generate_series(1, 1000) i RETURNING id)"
        " INSERT INTO task_sync.work_order_artwork (work_order_id, artwork_id) SELECT %s, id FROM a",
        (wo,),
    )
    glue = b.process_id("GLUE")
    stop = threading.Event()

    def toggle() -> int:
        c = connect()
        n = 0
        while not stop.is_set():
            (route,) = c.execute(
                "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
                " VALUES (%s, %s, 90) RETURNING id",
                (wo, glue),
            ).fetchone()
            c.execute("DELETE FROM task_sync.work_order_process WHERE id = %s", (route,))
            n += 1
        return n

    toggler = Background(toggle)
    syncer = writer(connect)
    try:
        for _ in range(60):
            syncer.execute("SELECT * FROM task_sync.sync_pending()").fetchall()
    finally:
        stop.set()
        assert toggler.result() > 0
    TaskSync(conn).sync_pending()
    assert_invariant(conn, wo)


def test_execute_holds_a_route_row_it_adds_drafts_for_from_then_on(conn: psycopg.Connection[Any], connect: Any) -> None:
    """The same route row, deleted after the plan: the deletion waits for the sync, which writes."""
    # sync_run: first touched by the writes, after the route rows were locked
    wo, route, bg, syncer, pause = _execute_with_a_route_row_added_behind_its_route_lock(conn, connect, "sync_run")
    deleter = connect()
    gone = Background(lambda: deleter.execute("DELETE FROM task_sync.work_order_process WHERE id = %s", (route,)))
    wait_until_blocked(conn, deleter.info.backend_pid, by=syncer.info.backend_pid)
    pause.commit()
    assert bg.result()["added"] >= 1
    gone.result()
    ts = TaskSync(conn)
    assert ts.check_sync_needed(wo)  # the deletion marked it
    ts.execute(wo, confirm=True)
    assert_invariant(conn, wo)
    assert not [t for t in Builder(conn).tasks(wo) if t["work_order_process_id"] is None and t["status"] == "draft"]


# -- 4. batches that stall --------------------------------------------------------------------------


def test_held_work_orders_do_not_stall_a_batch_even_with_lock_timeout(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    b = Builder(conn)
    wos = [_synced_job(b, "GLUE") for _ in range(3)]
    for wo in wos:  # oldest first: wos[0] heads the queue
        with conn.transaction():
            conn.execute("UPDATE task_sync.work_order SET production_quantity = 7 WHERE id = %s", (wo,))
    planner = connect(autocommit=False)
    (held,) = [t["id"] for t in b.tasks(wos[0]) if t["task_type"] == "general"]
    planner.execute("UPDATE task_sync.task SET work_content = 'mine' WHERE id = %s", (held,))
    impatient = connect(options="-c lock_timeout=50 -c statement_timeout=2000")
    ts = TaskSync(impatient)
    # the first claimed work order is busy: the batch goes on to the next one
    assert [r.work_order_id for r in ts.sync_pending(limit=1)] == [wos[1]]
    assert [r.work_order_id for r in ts.sync_pending()] == [wos[2]]
    assert ts.sync_pending() == []
    assert [p.work_order_id for p in ts.pending()] == [wos[0]]
    planner.rollback()
    assert [r.work_order_id for r in ts.sync_pending()] == [wos[0]]


def test_later_chunks_are_not_locked_while_the_first_is_synced(conn: psycopg.Connection[Any], connect: Any) -> None:
    wos = bulk_jobs(conn, 600)  # two chunks of at most 500
    conn.execute(
        "CREATE FUNCTION public.pause_here() RETURNS trigger LANGUAGE plpgsql AS"
        " $$BEGIN PERFORM pg_advisory_xact_lock(77); RETURN NULL; END$$"
    )
    conn.execute(
        "CREATE TRIGGER pause_here AFTER INSERT ON task_sync.sync_run"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.pause_here()"
    )
    holder, batcher, probe = connect(autocommit=False), connect(), connect(autocommit=False)
    holder.execute("SELECT pg_advisory_xact_lock(77)")
    bg = Background(lambda: TaskSync(batcher).sync_pending())
    wait_until_blocked(conn, batcher.info.backend_pid, by=holder.info.backend_pid)  # inside the first chunk
    lock = "SELECT id FROM task_sync.work_order WHERE id = %s FOR NO KEY UPDATE NOWAIT"
    probe.execute(lock, (wos[-1],))  # the second chunk is not claimed yet
    probe.rollback()
    with pytest.raises(psycopg.errors.LockNotAvailable):
        probe.execute(lock, (wos[0],))
    probe.rollback()
    holder.rollback()
    assert len(bg.result()) == 600


# slow: waits out statement timeouts on purpose (1.5 s)
@pytest.mark.slow
def test_drain_leaves_a_work_order_that_keeps_timing_out(conn: psycopg.Connection[Any], connect: Any) -> None:
    wos = bulk_jobs(conn, 6)
    slow = wos[0]  # the oldest: it heads every batch
    conn.execute(
        "CREATE FUNCTION public.slow_sync() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$BEGIN IF EXISTS (SELECT FROM new_rows WHERE work_order_id = {slow}) THEN PERFORM pg_sleep(5); END IF;"
        " RETURN NULL; END$$"
    )
    conn.execute(
        "CREATE TRIGGER slow_sync AFTER INSERT ON task_sync.sync_run REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.slow_sync()"
    )
    ts = TaskSync(connect(options="-c statement_timeout=500"))
    assert drain(ts, batch=4) == 5
    assert [p.work_order_id for p in TaskSync(conn).pending()] == [slow]


# -- 5. the worker stops under sustained load ------------------------------------------------------


def test_worker_stops_promptly_under_sustained_load(conn: psycopg.Connection[Any], dsn: str) -> None:
    wos = bulk_jobs(conn, 200)
    stop_load = threading.Event()

    def load(seed: int) -> None:
        """One edit of one work order per transaction, as fast as it goes: there is always more."""
        rng = random.Random(seed)
        with psycopg.connect(dsn, autocommit=True) as c:
            while not stop_load.is_set():
                c.execute(
                    "UPDATE task_sync.work_order SET production_quantity = %s WHERE id = %s",
                    (rng.randint(1, 9999), rng.choice(wos)),
                )

    loaders = [threading.Thread(target=load, args=(n,)) for n in range(3)]
    for t in loaders:
        t.start()
    worker = Worker(lambda: psycopg.connect(dsn), batch=5, debounce=0, idle_poll=60)
    bg = Background(worker.run)
    try:
        deadline = time.monotonic() + 20
        while worker.stats.batches < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.stats.batches >= 50, "the worker never got busy"
        asked = time.monotonic()
        worker.stop()
        bg.result(timeout=5)
        assert time.monotonic() - asked < 1.5
    finally:
        stop_load.set()
        for t in loaders:
            t.join()
        worker.stop()


# -- 6. paths that bypass the triggers --------------------------------------------------------------


def test_truncate_of_an_input_marks_every_work_order(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    w1, w2 = _synced_job(b, "PRT"), _synced_job(b, "GLUE")
    conn.execute("TRUNCATE task_sync.work_order_artwork")
    ts = TaskSync(conn)
    assert ts.check_sync_needed(w1) and ts.check_sync_needed(w2)
    assert_invariant(conn, w1, w2)


def test_repair_marks_after_a_load_with_replica_role(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    w1, w2 = _synced_job(b, "GLUE"), _synced_job(b, "GLUE")
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")  # triggers do not fire
        conn.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
            " SELECT %s, id, 50 FROM task_sync.process WHERE code = 'PRT'",
            (w1,),
        )
    ts = TaskSync(conn)
    assert ts.check_sync_needed(w1) is False  # the breach the repair is for
    assert conn.execute("SELECT task_sync.repair_marks()").fetchone() == (1,)
    assert ts.check_sync_needed(w1) is True and ts.check_sync_needed(w2) is False
    assert_invariant(conn, w1, w2)
    assert conn.execute("SELECT task_sync.repair_marks()").fetchone() == (0,)
