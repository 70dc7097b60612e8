"""task_sync.sync_pending: every pending work order, set-based, one sync_run each."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.builders import Builder, bulk_jobs


def test_sync_pending_syncs_everything_pending(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    approved = b.realistic()
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = %s", (approved,))
    rows = conn.execute("SELECT * FROM task_sync.sync_pending()").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(wo, 14) for wo in wos]
    assert all(r[5] is not None for r in rows)
    for wo in wos:
        assert b.preview(wo)["items"] == []
        assert b.versions(wo)[0] == b.versions(wo)[1]
    assert b.tasks(approved) == []  # may not be synced: left alone
    runs = conn.execute("SELECT work_order_id, via, added FROM task_sync.sync_run ORDER BY work_order_id").fetchall()
    assert runs == [(wo, "sync_pending", 14) for wo in wos]
    assert conn.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone() == (0,)


def test_sync_pending_limit_takes_the_longest_waiting(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = []
    for _ in range(3):
        with conn.transaction():
            wos.append(b.realistic())
    b.add_process(wos[0], "LAM_M")  # changed again: still pending since its first change
    assert [r[0] for r in conn.execute("SELECT * FROM task_sync.sync_pending(2)")] == wos[:2]
    assert [r[0] for r in conn.execute("SELECT * FROM task_sync.sync_pending(0)")] == []
    assert [r[0] for r in conn.execute("SELECT * FROM task_sync.sync_pending(5)")] == wos[2:]


def test_sync_pending_over_many_chunks(conn: psycopg.Connection[Any]) -> None:
    wos = bulk_jobs(conn, 1100)
    rows = conn.execute("SELECT work_order_id, added FROM task_sync.sync_pending()").fetchall()
    assert sorted(r[0] for r in rows) == sorted(wos)
    assert {r[1] for r in rows} == {2}
    assert conn.execute("SELECT count(*) FROM task_sync.task").fetchone() == (2200,)
    assert conn.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (0,)
    # the same plans, applied set-based, as execute would: every preview is empty
    dirty = conn.execute(
        "SELECT count(*) FROM unnest(%s::bigint[]) w WHERE jsonb_array_length(task_sync.preview(w)->'items') > 0",
        (wos,),
    ).fetchone()
    assert dirty == (0,)


def test_sync_pending_applies_three_way_like_execute(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute(
        "UPDATE task_sync.task SET production_quantity = 1 WHERE work_order_id = %s AND task_type = 'printing'", (wo,)
    )
    conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'general'", (wo,))
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 42 WHERE id = %s", (wo,))
    expected = {i["action"] for i in b.preview(wo)["items"]}
    assert expected == {"conflict", "update", "dismissed"}
    (row,) = conn.execute("SELECT added, removed, updated, conflicts FROM task_sync.sync_pending()").fetchall()
    assert row == (0, 0, 3, 2)  # foiling, embossing, die cutting updated; both printing drafts kept
    assert {i["action"] for i in b.preview(wo)["items"]} == {"dismissed"}


def test_batch_plan_hashes_are_the_hashes_preview_shows(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = [b.realistic(f"H-{i}") for i in range(3)]
    b.execute(wos[0])
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 10 WHERE id = %s", (wos[0],))
    shown = {wo: b.preview(wo)["plan_hash"] for wo in wos}
    batch = dict(
        conn.execute(
            "SELECT h.work_order_id, h.plan_hash FROM task_sync_internal._plan_hashes(ARRAY("
            " SELECT r FROM task_sync_internal._plan_rows(%s::bigint[]) r)) h",
            (wos,),
        ).fetchall()
    )
    assert batch == shown
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    recorded = dict(
        conn.execute(
            "SELECT work_order_id, plan_hash FROM task_sync.sync_run WHERE via = 'sync_pending'"
            " AND work_order_id = ANY(%s)",
            (wos,),
        ).fetchall()
    )
    assert recorded == shown
