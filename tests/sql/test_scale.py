"""What a call reads follows its work, not the size of the shop (bench/run.py --scale).

Counted in rows, not timed: PostgreSQL's per-transaction statistics (pg_stat_xact_user_tables)
say how many rows of a table a call read, by scans and by index.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

from tests.builders import bulk_jobs
from tests.sql.test_scaling import _collect_plans

READ = (
    "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
    " WHERE schemaname = 'task_sync' AND relname = 'work_order'"
)


def _work_orders_read(conn: psycopg.Connection[Any], query: str, setting: str = "") -> tuple[int, list[Any]]:
    """Rows of work_order that ``query`` read, and its rows (in a transaction of its own, after
    ``SET LOCAL setting``)."""
    with conn.transaction(force_rollback=True):
        if setting:
            conn.execute(f"SET LOCAL {setting}")
        before = conn.execute(READ).fetchone()[0]  # type: ignore[index]
        rows = conn.execute(query).fetchall()
        return int(conn.execute(READ).fetchone()[0]) - int(before), rows  # type: ignore[index]


def test_the_pending_queue_reads_the_marked_work_orders_only(conn: psycopg.Connection[Any]) -> None:
    """_queue joined the marks to every work order: with nested loops off (plan_pending runs so,
    and pending() inside it), that join was a hash join over all of them, a sequential scan of
    work_order, which made plan_pending(100) cost the size of the shop (2.1x its time at 1.5M tasks
    than at 100k, the backlog the same). The marked work orders are read by id."""
    wos = bulk_jobs(conn, 3000)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        (wos[:3],),
    )
    conn.execute("VACUUM ANALYZE")
    read, rows = _work_orders_read(conn, "SELECT work_order_id FROM task_sync.plan_pending(100)")
    assert {r[0] for r in rows} == set(wos[:3])
    assert read < 100, read
    for setting in ("", "enable_nestloop = off"):
        read, rows = _work_orders_read(conn, "SELECT work_order_id FROM task_sync.pending(100)", setting)
        assert sorted(r[0] for r in rows) == sorted(wos[:3])
        assert read < 100, (setting, read)


MARK_SCANS = (
    "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
    " WHERE schemaname = 'task_sync' AND relname = 'work_order_mark'"
)


def test_the_pending_queue_reads_the_marks_once(conn: psycopg.Connection[Any]) -> None:
    """The marks' table is as large as the most marks it ever held (an initial load marks every
    work order), not as the backlog: at ten million tasks a read of it was the part of pending() that
    grew with the shop. _queue read it twice (the aggregate, and the ids of the marked work orders);
    pending() and plan_pending read it once (the oldest marks, by index), and then each returned
    work order's own marks for its weight."""
    wos = bulk_jobs(conn, 300)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        (wos[:3],),
    )
    # pending() gives each work order's weight (definition_version): its marks, by index; a plan does not
    for query, scans in (
        ("SELECT * FROM task_sync.pending(100)", 1 + 3),
        ("SELECT * FROM task_sync.plan_pending(100)", 1),
    ):
        with conn.transaction(force_rollback=True):
            before = conn.execute(MARK_SCANS).fetchone()[0]  # type: ignore[index]
            conn.execute(query).fetchall()
            assert conn.execute(MARK_SCANS).fetchone()[0] - before == scans, query  # type: ignore[index]


def test_plan_pending_takes_no_lock(conn: psycopg.Connection[Any]) -> None:
    """plan_pending reads the queue pending() lists, not pending() itself: pending()'s word on
    each work order (busy: _busy's row locks, in a subtransaction) gives a transaction id, a WAL
    record per draft and a flush at commit, for a reason no plan needs."""
    wos = bulk_jobs(conn, 20)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        (wos[:3],),
    )
    with conn.transaction(force_rollback=True):
        rows = conn.execute("SELECT DISTINCT work_order_id FROM task_sync.plan_pending(100)").fetchall()
        assert sorted(r[0] for r in rows) == sorted(wos[:3])
        assert conn.execute("SELECT pg_current_xact_id_if_assigned()").fetchone() == (None,)


def test_pending_reads_only_the_work_orders_it_returns(conn: psycopg.Connection[Any]) -> None:
    """pending(100) and plan_pending(100) read every marked work order to keep the 100 that wait
    longest: at ten million tasks each of them lies on a page of its own, and the backlog's rows,
    not the calls' own, made them 1.7x their time at 100k tasks. The marks say the order; the work
    orders are read for the ones returned (pending's busy check and the plans read those again)."""
    wos = bulk_jobs(conn, 3000)  # large enough that no plan reads the table whole
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)", (wos,)
    )
    conn.execute("VACUUM ANALYZE")
    for query, per_wo in (
        ("SELECT work_order_id FROM task_sync.pending(%s)", 2),
        ("SELECT DISTINCT work_order_id FROM task_sync.plan_pending(%s)", 4),
    ):
        for setting in ("", "enable_nestloop = off"):
            read, rows = _work_orders_read(conn, query.replace("%s", "5"), setting)
            assert sorted(r[0] for r in rows) == sorted(wos[:5])
            assert read <= 5 * per_wo, (query, setting, read)


PLAN_ROWS_READ = (
    "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
    " WHERE schemaname = 'task_sync' AND relname IN ('work_order_process', 'work_order')"
)


def test_a_plan_reads_the_route_again_only_for_keys_gone_and_the_work_order_once(
    conn: psycopg.Connection[Any],
) -> None:
    """At ten million tasks each table a plan reads costs an index search per work order (their
    rows on pages of their own). A plan read the route of every work order a second time (for the
    process code of drafts to remove) and the work order a second time (as the source of its own
    rules); only work orders with drafts whose key is gone need the route again, and a work
    order's own source is its id. Of five work orders, one lost its artwork (its printing draft
    is to be removed) and four changed quantities. (The dismissals, read for the work orders with
    keys to add only, are measured in bench/RESULTS.md.)"""
    wos = bulk_jobs(conn, 3000)  # large enough that no plan reads a table whole
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wos[0],))
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        (wos[1:5],),
    )
    conn.execute("VACUUM ANALYZE")
    route = conn.execute(
        "SELECT count(*) FILTER (WHERE work_order_id = ANY (%s)), count(*) FILTER (WHERE work_order_id = %s)"
        " FROM task_sync.work_order_process",
        (wos[:5], wos[0]),
    ).fetchone()
    assert route == (10, 2)
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL enable_nestloop = off")  # as every caller of _plan_rows plans it
        before = dict(conn.execute(PLAN_ROWS_READ).fetchall())
        rows = conn.execute(
            "SELECT work_order_id, action FROM task_sync_internal._plan_rows(%s)", (wos[:5],)
        ).fetchall()
        after = dict(conn.execute(PLAN_ROWS_READ).fetchall())
    assert {r for r in rows if r[1] not in ("keep", "update")} == {(wos[0], "remove")}
    read = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    # the route: all five for the desired set, and the one with a draft to remove again
    assert read == {"work_order_process": 10 + 2, "work_order": 5}


MARKS_READ = (
    "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
    " WHERE schemaname = 'task_sync' AND relname = 'work_order_mark'"
)


def test_pending_reads_the_oldest_marks_not_the_backlog(conn: psycopg.Connection[Any]) -> None:
    """A backlog that grows with the shop (a rule change marks thousands of work orders at once):
    pending(100) read every mark and every marked work order to keep 100, 26x its time at 100k tasks
    with a backlog of 37,000 at ten million (10x after it read only the work orders it returns).
    The oldest marks are read by index in the order the work orders wait, and the work orders of
    the first ones met."""
    wos = bulk_jobs(conn, 1500)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)", (wos,)
    )
    conn.execute("VACUUM ANALYZE")
    for query in (
        "SELECT work_order_id FROM task_sync.pending(5)",
        "SELECT DISTINCT work_order_id FROM task_sync.plan_pending(5)",
    ):
        with conn.transaction(force_rollback=True):
            before = conn.execute(MARKS_READ).fetchone()[0]  # type: ignore[index]
            rows = conn.execute(query).fetchall()
            marks = conn.execute(MARKS_READ).fetchone()[0] - before  # type: ignore[index]
        assert sorted(r[0] for r in rows) == wos[:5]
        assert marks <= 50, (query, marks)
        read, _ = _work_orders_read(conn, query)
        assert read <= 20, (query, read)


MARK_SEQ_SCANS = (
    "SELECT coalesce(seq_scan, 0), coalesce(seq_tup_read, 0) FROM pg_stat_xact_user_tables"
    " WHERE schemaname = 'task_sync' AND relname = 'work_order_mark'"
)


def test_the_oldest_marks_are_read_by_index_when_the_table_grew_large(conn: psycopg.Connection[Any]) -> None:
    """The marks' table keeps the size of the most marks it ever held (VACUUM shortens it only
    where its end is empty), and so do its indexes. With a few marks left at its end, the planner
    priced the bloated index above a sequential scan and a sort, and pending(100), plan_pending and
    sync_pending's candidates read every page the table ever had: 626 at ten million tasks, for 370
    marks, the part of pending(100) that grew most with the shop. They read the oldest marks by
    index (_oldest_marks), the table itself never in full."""
    wos = bulk_jobs(conn, 1500)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    # three marks, written at the table's end: VACUUM cannot shorten it
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        (wos[-3:],),
    )
    conn.execute("VACUUM ANALYZE task_sync.work_order_mark")
    pages, live = conn.execute(
        "SELECT relpages, reltuples FROM pg_class WHERE oid = 'task_sync.work_order_mark'::regclass"
    ).fetchone()  # type: ignore[misc]
    assert pages >= 20 and live == 3, (pages, live)
    for query, want in (
        ("SELECT work_order_id FROM task_sync.pending(100)", wos[-3:]),
        ("SELECT DISTINCT work_order_id FROM task_sync.plan_pending(100)", wos[-3:]),
        ("SELECT unnest(try) FROM task_sync_internal._candidates(100, '{}')", wos[-3:]),
    ):
        with conn.transaction(force_rollback=True):
            before = conn.execute(MARK_SEQ_SCANS).fetchone()
            rows = conn.execute(query).fetchall()
            after = conn.execute(MARK_SEQ_SCANS).fetchone()
        assert sorted(r[0] for r in rows) == sorted(want), query
        assert after == before, (query, before, after)


TASK_SCANS = (
    "SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
    " WHERE schemaname = 'task_sync' AND relname = 'task'"
)


def test_pending_searches_the_drafts_once(conn: psycopg.Connection[Any]) -> None:
    """pending() says which work orders are busy by locking their drafts (SKIP LOCKED, in a
    subtransaction it rolls back) and seeing which it could not: it found the drafts by index
    twice, to list them and to lock them, a descent per work order each time at ten million tasks.
    It finds them once and locks them where they lie."""
    wos = bulk_jobs(conn, 30)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        (wos[:5],),
    )

    def scans(query: str, *args: Any) -> tuple[int, int]:
        with conn.transaction(force_rollback=True):
            before = conn.execute(TASK_SCANS).fetchone()
            conn.execute(query, args or None).fetchall()
            after = conn.execute(TASK_SCANS).fetchone()
        assert before is not None and after is not None
        return after[0] - before[0], after[1] - before[1]

    # one search of the drafts of these work orders (PostgreSQL before 17 counts a search per
    # element of the array, later ones one)
    once = scans(
        "SELECT t.id FROM task_sync.task t"
        " WHERE t.work_order_id = ANY (%s) AND t.origin = 'generated' AND t.status = 'draft'",
        sorted(wos[:5]),
    )
    assert once[0] == 0 and once[1] >= 1, once
    assert scans("SELECT work_order_id, reason FROM task_sync.pending(100)") == once
    rows = conn.execute("SELECT work_order_id, reason FROM task_sync.pending(100)").fetchall()
    assert sorted(rows) == [(wo, "waiting") for wo in sorted(wos[:5])]


def _filtered_nested_loops(node: dict[str, Any]) -> list[str]:
    """The nested loops that test each outer row against every inner row (a join filter)."""
    own = [node.get("Join Filter", "")] if node.get("Node Type") == "Nested Loop" and "Join Filter" in node else []
    return own + [x for child in node.get("Plans", []) for x in _filtered_nested_loops(child)]


def test_pending_without_a_limit_joins_its_queue_by_hash(conn: psycopg.Connection[Any]) -> None:
    """pending() with no limit (TaskSync.pending()'s default) joined the marked work orders to
    their rows with a nested loop, every row against every row, its plan built for the ten rows an
    array of unknown length is assumed to hold: 7.6 s for a backlog of 20,000 work orders. It plans
    with nested loops off, as plan_pending and the syncs do."""
    wos = bulk_jobs(conn, 300)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)", (wos,)
    )
    conn.execute("VACUUM ANALYZE")
    plans = _collect_plans(conn, "SELECT work_order_id FROM task_sync.pending()", None)
    assert plans
    assert [x for p in plans for x in _filtered_nested_loops(p)] == []
    assert len(conn.execute("SELECT work_order_id FROM task_sync.pending()").fetchall()) == len(wos)


def test_pending_reads_every_mark_when_the_oldest_are_closed_jobs(conn: psycopg.Connection[Any]) -> None:
    """The oldest marks hold too few work orders that may be synced (closed jobs whose marks no
    batch has parked yet): pending(n) then reads every mark, and still lists the n that wait
    longest."""
    wos = bulk_jobs(conn, 1100)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)", (wos,)
    )
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = ANY(%s)", (wos[:1050],))
    assert [r[0] for r in conn.execute("SELECT work_order_id FROM task_sync.pending(3)")] == wos[1050:1053]
    planned = conn.execute("SELECT DISTINCT work_order_id FROM task_sync.plan_pending(3)").fetchall()
    assert sorted(r[0] for r in planned) == wos[1050:1053]
    assert [r[0] for r in conn.execute("SELECT work_order_id FROM task_sync.pending()")] == wos[1050:]
    weights = conn.execute("SELECT definition_version - synced_version FROM task_sync.pending(3)").fetchall()
    assert weights == [(1,), (1,), (1,)]


def test_pending_passes_over_closed_jobs_among_the_oldest(conn: psycopg.Connection[Any]) -> None:
    """The work orders of the oldest marks are read first; when some of them may not be synced (a
    job approved before a batch parked its marks), the rest are read too, and pending(n) still
    lists the n that wait longest."""
    wos = bulk_jobs(conn, 12)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    for wo in wos:
        with conn.transaction():  # each its own transaction, so pending_since increases
            conn.execute(
                "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
            )
    closed = wos[:3] + wos[5:6]
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = ANY(%s)", (closed,))
    waiting = wos[3:5] + wos[6:]
    assert [r[0] for r in conn.execute("SELECT work_order_id FROM task_sync.pending(4)")] == waiting[:4]
    planned = conn.execute("SELECT DISTINCT work_order_id FROM task_sync.plan_pending(4)").fetchall()
    assert sorted(r[0] for r in planned) == sorted(waiting[:4])
    assert [r[0] for r in conn.execute("SELECT work_order_id FROM task_sync.pending()")] == waiting
    assert conn.execute("SELECT count(*) FROM task_sync.pending(0)").fetchone() == (0,)


def test_a_plan_is_planned_in_bounded_memory(conn: psycopg.Connection[Any]) -> None:
    """_plan_rows took each line apart with .* over a call of _plan_line whose arguments were whole
    expressions (a draft's action, its update and conflict fields): PostgreSQL copies the call,
    arguments and all, into each of the line's 22 columns before it simplifies them, which cost
    6.9 MB and 6 ms of planning each time the query was planned afresh (the first calls of a
    connection, every chunk of sync_pending). The arguments are columns now: 3.3 MB. Planner memory
    (EXPLAIN (MEMORY), PostgreSQL 17 and later) is what is counted, not time."""
    if conn.info.server_version < 170000:
        pytest.skip("EXPLAIN (MEMORY) is PostgreSQL 17 and later")
    src = conn.execute(
        "SELECT prosrc FROM pg_proc WHERE oid = 'task_sync_internal._plan_rows(bigint[],boolean,boolean)'::regprocedure"
    ).fetchone()[0]  # type: ignore[index]
    query = (
        src.replace("p_work_order_ids", "'{1}'::bigint[]")
        .replace("p_overwrite_edits", "false")
        .replace("p_restore_dismissed", "false")
    )
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (MEMORY) " + query))
    used = re.search(r"Planning:\s+Memory: used=(\d+)kB", plan)
    assert used, plan
    assert int(used.group(1)) < 4500, plan


REFERENCE = (
    "SELECT c.work_order_id, c.synced_version + c.weight, c.pending_since FROM task_sync_internal._queue() c"
    " WHERE c.may_sync ORDER BY c.pending_since, c.work_order_id LIMIT %s"
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pending_lists_what_every_mark_says(conn: psycopg.Connection[Any], seed: int) -> None:
    """pending(n) reads only the oldest marks; what it lists is what all of them say (_queue, which
    reads every mark and every marked work order): the same work orders, versions and
    pending_since, in the same order, for limits below, at and past what the oldest marks cover,
    with work orders of many marks, marks of the same moment and closed jobs among them."""
    import random

    rnd = random.Random(seed)
    wos = bulk_jobs(conn, 400)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    moments = [f"2026-01-01 00:00:{s:02d}+00" for s in range(12)]
    marks = [
        (wo, moment, rnd.choice([1, 1, 1, 3]))
        for wo in rnd.sample(wos, 320)
        for moment in rnd.sample(moments, rnd.choice([1, 2, 4, 8, 12]))
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO task_sync.work_order_mark (work_order_id, xact, marked_at, weight)"
            " VALUES (%s, (1000 + %s)::text::xid8, %s, %s)",
            [(wo, i, moment, weight) for i, (wo, moment, weight) in enumerate(marks)],
        )
    conn.execute(
        "UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = ANY(%s)", (rnd.sample(wos, 60),)
    )
    assert len(marks) > 1000  # the oldest marks pending(n) reads for n up to 100 are a part of them
    for n in (1, 7, 100, 101, 150, 319, None):
        expected = conn.execute(REFERENCE, (n,)).fetchall()
        got = conn.execute(
            "SELECT work_order_id, definition_version, pending_since FROM task_sync.pending(%s)", (n,)
        ).fetchall()
        assert got == expected, n
