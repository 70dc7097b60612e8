"""Triggers mark work orders once per statement, only on real changes, and NOTIFY."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.builders import Builder


def _versions(conn: psycopg.Connection[Any], ids: list[int]) -> dict[int, int]:
    return dict(
        conn.execute(
            "SELECT w.id, w.synced_version + (SELECT count(*) FROM task_sync.work_order_mark m"
            " WHERE m.work_order_id = w.id) FROM task_sync.work_order w WHERE w.id = ANY(%s)",
            (ids,),
        ).fetchall()
    )


def _bumps(conn: psycopg.Connection[Any], ids: list[int], sql: str, params: Any = None) -> dict[int, int]:
    before = _versions(conn, ids)
    conn.execute(sql, params)
    after = _versions(conn, ids)
    return {i: after[i] - before[i] for i in ids}


def test_new_work_order_needs_no_sync_until_it_has_inputs(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.work_order()
    assert b.versions(wo) == (0, 0)
    b.add_process(wo, "PRT")
    assert b.versions(wo) == (1, 0)


def test_multi_row_statement_bumps_each_work_order_once(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = [b.work_order() for _ in range(3)]
    prt, ctp = b.process_id("PRT"), b.process_id("CTP")
    rows = ", ".join(f"({wo}, {p}, {s})" for wo in wos[:2] for p, s in ((prt, 10), (ctp, 20)))
    assert _bumps(
        conn,
        wos,
        f"INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES {rows}",
    ) == {wos[0]: 1, wos[1]: 1, wos[2]: 0}
    a1, a2 = b.catalog("artwork", "A1"), b.catalog("artwork", "A2")
    assert _bumps(
        conn,
        wos,
        "INSERT INTO task_sync.work_order_artwork SELECT w, a FROM unnest(%s::bigint[]) w, unnest(%s::bigint[]) a",
        (wos, [a1, a2]),
    ) == dict.fromkeys(wos, 1)
    assert _bumps(conn, wos, "DELETE FROM task_sync.work_order_artwork WHERE work_order_id = ANY(%s)", (wos[1:],)) == {
        wos[0]: 0,
        wos[1]: 1,
        wos[2]: 1,
    }


def test_no_op_updates_do_not_bump(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.work_order(production_quantity=10)
    b.add_process(wo, "PRT")
    line = b.material_line(wo, "M", 5)
    stmts = [
        "UPDATE task_sync.work_order_process SET sequence = sequence WHERE work_order_id = %(wo)s",
        "UPDATE task_sync.work_order_material SET quantity = 5 WHERE work_order_id = %(wo)s",
        "UPDATE task_sync.work_order SET production_quantity = 10, order_number = order_number WHERE id = %(wo)s",
        "UPDATE task_sync.work_order SET status = 'in_progress' WHERE id = %(wo)s",
        "UPDATE task_sync.work_order_material SET quantity = 5 WHERE id = -1",
    ]
    for sql in stmts:
        assert _bumps(conn, [wo], sql, {"wo": wo}) == {wo: 0}, sql
    assert _bumps(conn, [wo], "UPDATE task_sync.work_order_material SET quantity = 6 WHERE id = %s", (line,)) == {wo: 1}
    assert _bumps(conn, [wo], "UPDATE task_sync.work_order SET production_quantity = 11 WHERE id = %s", (wo,)) == {
        wo: 1
    }


def test_moving_a_line_marks_both_work_orders(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    w1, w2 = b.work_order(), b.work_order()
    line = b.product_line(w1, "P", 3)
    assert _bumps(
        conn, [w1, w2], "UPDATE task_sync.work_order_product SET work_order_id = %s WHERE id = %s", (w2, line)
    ) == {w1: 1, w2: 1}


def test_catalog_changes_mark_only_what_they_reach(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    w1, w2 = b.work_order(), b.work_order()
    b.add_process(w1, "PACK")
    b.product_line(w1, "P1", 3)
    b.link(w1, "artwork", "A1")
    b.add_process(w2, "GLUE")
    ids = [w1, w2]
    # {source_name} is used by the PACK rule for products: a product rename reaches w1
    assert _bumps(conn, ids, "UPDATE task_sync.product SET name = 'renamed' WHERE code = 'P1'") == {
        w1: 1,
        w2: 0,
    }
    # no rule uses an artwork's name today, but one may start to in a transaction running beside
    # this rename (tests/concurrency/test_concurrency.py): a rename marks what links the row all the same
    assert _bumps(conn, ids, "UPDATE task_sync.artwork SET name = 'renamed' WHERE code = 'A1'") == {
        w1: 1,
        w2: 0,
    }
    assert _bumps(conn, ids, "UPDATE task_sync.artwork SET code = 'A1-new' WHERE code = 'A1'") == {w1: 0, w2: 0}
    # {process_name} is in the default rule: renaming Gluing reaches w2
    assert _bumps(conn, ids, "UPDATE task_sync.process SET name = 'Glueing' WHERE code = 'GLUE'") == {
        w1: 0,
        w2: 1,
    }
    assert _bumps(conn, ids, "UPDATE task_sync.process SET name = name") == {w1: 0, w2: 0}


def test_rule_changes_mark_work_orders_with_affected_processes(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    w_prt, w_glue, w_none = b.work_order(), b.work_order(), b.work_order()
    b.add_process(w_prt, "PRT")
    b.add_process(w_glue, "GLUE")
    ids = [w_prt, w_glue, w_none]
    assert _bumps(
        conn, ids, "UPDATE task_sync.generation_rule SET content_template = 'x' WHERE process_code = 'PRT'"
    ) == {w_prt: 1, w_glue: 0, w_none: 0}
    assert _bumps(
        conn, ids, "UPDATE task_sync.generation_rule SET quantity_source = 'one' WHERE process_code IS NULL"
    ) == {w_prt: 0, w_glue: 1, w_none: 0}
    # the first rule of its own moves GLUE away from the default rule
    assert _bumps(
        conn,
        ids,
        "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
        " content_template) VALUES ('GLUE', 'work_order', 'gluing', 'work_order', 'glue {order_number}')",
    ) == {w_prt: 0, w_glue: 1, w_none: 0}
    assert _bumps(conn, ids, "UPDATE task_sync.generation_rule SET task_type = task_type") == dict.fromkeys(ids, 0)


def test_notify_carries_the_work_order_id(conn: psycopg.Connection[Any], connect: Any) -> None:
    listener = connect()
    listener.execute("LISTEN task_sync")
    b = Builder(conn)
    w1, w2 = b.work_order(), b.work_order()
    with conn.transaction():
        b.add_process(w1, "PRT")
        b.add_process(w2, "PRT")
        b.add_process(w1, "CTP")
    got = {n.payload for n in listener.notifies(timeout=2, stop_after=2)}
    assert got == {str(w1), str(w2)}


def test_pending_since_marks_when_it_went_pending(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.work_order()
    b.add_process(wo, "PRT")
    since = "SELECT pending_since FROM task_sync.pending() WHERE work_order_id = %s"
    first = conn.execute(since, (wo,)).fetchone()
    assert first is not None and first[0] is not None
    b.add_process(wo, "CTP")
    assert conn.execute(since, (wo,)).fetchone() == first
    b.execute(wo)
    assert conn.execute(since, (wo,)).fetchone() is None


def test_a_syncs_own_writes_leave_the_mark_triggers_at_once(conn: psycopg.Connection[Any]) -> None:
    """A sync writes drafts and its work orders' synced_version; the triggers on both tables see
    that it is the engine's write (_applying) and return before looking for anything to mark. The
    work order's trigger read the statement's old and new rows and called _mark with nothing to
    mark, once per chunk: 3 ms of a 500-work-order chunk."""
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL track_functions = 'all'")
        assert conn.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone() == (len(wos),)
        calls = conn.execute(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions"
            " WHERE schemaname = 'task_sync_internal' AND funcname IN ('_mark', '_dismiss')"
        ).fetchall()
        assert calls == []
