"""task_sync.check_sync_needed and task_sync.pending."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.sql.errors import raises_sqlstate


def _needed(conn: psycopg.Connection[Any], wo: int) -> bool:
    return bool(conn.execute("SELECT task_sync.check_sync_needed(%s)", (wo,)).fetchone()[0])  # type: ignore[index]


def test_check_sync_needed_follows_the_versions(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    assert _needed(conn, wo)
    b.execute(wo)
    assert not _needed(conn, wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 3 WHERE id = %s", (wo,))
    assert _needed(conn, wo)


def test_check_sync_needed_errors(conn: psycopg.Connection[Any]) -> None:
    with raises_sqlstate(conn, "TSN01"):
        conn.execute("SELECT task_sync.check_sync_needed(5)")
    for bad in (None, 0, -1):
        with raises_sqlstate(conn, "TSV01"):
            conn.execute("SELECT task_sync.check_sync_needed(%s::bigint)", (bad,))


def test_pending_lists_syncable_work_orders_longest_waiting_first(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = []
    for _ in range(4):
        with conn.transaction():  # each its own transaction, so pending_since increases
            wo = b.work_order()
            b.add_process(wo, "PRT")
        wos.append(wo)
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = %s", (wos[1],))
    b.execute(wos[2])
    rows = conn.execute("SELECT work_order_id FROM task_sync.pending()").fetchall()
    assert [r[0] for r in rows] == [wos[0], wos[3]]
    assert conn.execute("SELECT work_order_id FROM task_sync.pending(1)").fetchall() == [(wos[0],)]
    assert conn.execute("SELECT count(*) FROM task_sync.pending(0)").fetchone() == (0,)


@pytest.mark.parametrize("fn", ["pending", "sync_pending"])
def test_negative_limit_is_invalid(conn: psycopg.Connection[Any], fn: str) -> None:
    b = Builder(conn)
    b.realistic()
    with raises_sqlstate(conn, "TSV01"):
        conn.execute(f"SELECT * FROM task_sync.{fn}(-1)")
