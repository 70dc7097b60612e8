"""task_sync.preview: exact, read-only, hashed."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.sql.errors import raises_sqlstate

ITEM_KEYS = {
    "work_order_id",
    "action",
    "task_id",
    "work_order_process_id",
    "process_code",
    "task_type",
    "source_kind",
    "source_id",
    "current_work_content",
    "baseline_work_content",
    "desired_work_content",
    "current_production_quantity",
    "baseline_production_quantity",
    "desired_production_quantity",
    "edited",
    "update_fields",
    "conflict_fields",
    "restored",
    "overwritten",
}


def test_preview_of_a_new_job_lists_every_add(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic("JOB-1")
    before = b.snapshot()
    doc = b.preview(wo)
    assert b.snapshot() == before  # read-only
    assert doc["work_order_id"] == wo and doc["order_number"] == "JOB-1"
    assert re.fullmatch(r"[0-9a-f]{64}", doc["plan_hash"])
    assert doc["sync_needed"] is True and doc["may_sync"] is True
    assert doc["summary"] == {
        "add": 14,
        "remove": 0,
        "update": 0,
        "conflict": 0,
        "dismissed": 0,
        "orphaned": 0,
        "keep": 0,
    }
    assert len(doc["items"]) == 14
    for item in doc["items"]:
        assert set(item) == ITEM_KEYS
        assert item["action"] == "add" and item["task_id"] is None
        assert item["desired_work_content"] and item["desired_production_quantity"] is not None
    assert {i["process_code"] for i in doc["items"]} == {
        "CTP",
        "CUT",
        "PRT",
        "FOIL_G",
        "EMB",
        "DIE",
        "GLUE",
        "PACK",
    }


def test_preview_after_sync_is_empty(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    doc = b.preview(wo)
    assert doc["items"] == []
    assert doc["summary"]["keep"] == 14
    assert doc["sync_needed"] is False


def test_plan_hash_is_stable_and_moves_with_the_plan(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    h1 = b.preview(wo)["plan_hash"]
    assert b.preview(wo)["plan_hash"] == h1
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 6000 WHERE id = %s", (wo,))
    h2 = b.preview(wo)["plan_hash"]
    assert h2 != h1
    # renumbering the route changes nothing a sync would do: same hash (deferrable unique key)
    conn.execute("UPDATE task_sync.work_order_process SET sequence = sequence + 10 WHERE work_order_id = %s", (wo,))
    assert b.preview(wo)["plan_hash"] == h2


def test_plan_hash_is_sha256_of_the_items_in_their_order(conn: psycopg.Connection[Any]) -> None:
    """The hash of preview, execute and the batch is sha256 of the visible items as plan() lists
    them (the record text of each, one per line): the order the items are shown in is the order
    they are hashed in."""
    b = Builder(conn)
    wos = [b.realistic(f"O-{i}") for i in range(2)]
    b.execute(wos[0])
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 9 WHERE id = %s", (wos[0],))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wos[0],))
    for wo in wos:
        lines = [r[0] for r in conn.execute("SELECT p::text FROM task_sync.plan(%s) AS p", (wo,))]
        assert len(lines) > 1
        if wo == wos[0]:
            assert len({line.split(",")[1] for line in lines}) > 1  # removes and updates
        expected = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        assert b.preview(wo)["plan_hash"] == expected
    (batch,) = conn.execute(
        "SELECT array_agg(h.plan_hash ORDER BY h.work_order_id) FROM task_sync_internal._plan_hashes(ARRAY("
        " SELECT r FROM task_sync_internal._plan_rows(%s::bigint[]) r)) h",
        (wos,),
    ).fetchone()
    assert batch == [b.preview(wo)["plan_hash"] for wo in sorted(wos)]


def test_empty_plan_hash_is_sha256_of_nothing(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.work_order()
    assert b.preview(wo)["plan_hash"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("bad", [None, 0, -1])
def test_preview_refuses_a_bad_id(conn: psycopg.Connection[Any], bad: int | None) -> None:
    Builder(conn).realistic()
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT task_sync.preview(%s::bigint)", (bad,))


def test_preview_of_an_unknown_work_order(conn: psycopg.Connection[Any]) -> None:
    with raises_sqlstate(conn, "TSN01"):
        conn.execute("SELECT task_sync.preview(424242)")


def test_plan_rows_are_the_preview_items(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 7 WHERE id = %s", (wo,))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    items = b.preview(wo)["items"]
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute("SELECT * FROM task_sync.plan(%s)", (wo,)).fetchall()
    assert [{k: (list(v) if isinstance(v, list) else v) for k, v in r.items()} for r in rows] == items
    assert {r["action"] for r in rows} == {"remove", "update"}


def test_plan_errors(conn: psycopg.Connection[Any]) -> None:
    with raises_sqlstate(conn, "TSN01"):
        conn.execute("SELECT * FROM task_sync.plan(99)")
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT * FROM task_sync.plan(NULL)")
