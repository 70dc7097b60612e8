"""task_sync.execute: atomic, confirmed, idempotent, and only ever writes generated drafts."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.sql.errors import raises_sqlstate


def test_execute_applies_the_plan_and_records_it(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    plan = b.preview(wo)
    res = b.execute(wo, p_expected_plan_hash=plan["plan_hash"])
    definition, synced = b.versions(wo)
    assert synced == definition
    assert res == {
        "work_order_id": wo,
        "sync_run_id": res["sync_run_id"],
        "plan_hash": plan["plan_hash"],
        "added": 14,
        "removed": 0,
        "updated": 0,
        "conflicts": 0,
        "synced_version": definition,
    }
    assert len(b.tasks(wo)) == 14
    run = conn.execute(
        "SELECT work_order_id, via, plan_hash, from_version, to_version, added, run_by,"
        " (SELECT count(*) FROM task_sync.sync_item i WHERE i.work_order_id = s.work_order_id AND i.sync_run_id = s.id)"
        " FROM task_sync.sync_run s WHERE id = %s",
        (res["sync_run_id"],),
    ).fetchone()
    assert run == (wo, "execute", plan["plan_hash"], 0, definition, 14, "postgres", 14)
    # the tasks match the previewed items one for one
    added = {(i["work_order_process_id"], i["task_type"], i["source_kind"], i["source_id"]) for i in plan["items"]}
    assert b.generated_keys(wo) == added


def test_second_execute_changes_nothing(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    before = b.snapshot()
    res = b.execute(wo)
    assert res["sync_run_id"] is None
    assert (res["added"], res["removed"], res["updated"], res["conflicts"]) == (0, 0, 0, 0)
    assert b.snapshot() == before


def test_execute_removes_what_left_the_desired_set(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    res = b.execute(wo)
    assert res["removed"] == 4  # 2 plate making + 2 printing
    assert not [t for t in b.tasks(wo) if t["source_kind"] == "artwork"]


@pytest.mark.parametrize("confirmed", [False, None])
def test_execute_requires_confirmation(conn: psycopg.Connection[Any], confirmed: bool | None) -> None:
    wo = Builder(conn).realistic()
    with raises_sqlstate(conn, "TSC01"):
        conn.execute("SELECT task_sync.execute(%s, %s)", (wo, confirmed))
    with raises_sqlstate(conn, "TSC01"):
        conn.execute("SELECT task_sync.execute(%s)", (wo,))


def test_stale_plan_is_refused_and_changes_nothing(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    old = b.preview(wo)["plan_hash"]
    b.add_process(wo, "LAM_M")
    with raises_sqlstate(conn, "TSC02"):
        b.execute(wo, p_expected_plan_hash=old)
    new = b.preview(wo)["plan_hash"]
    assert b.execute(wo, p_expected_plan_hash=new)["added"] == 15


def test_edit_that_does_not_change_the_plan_keeps_the_preview_valid(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 1 WHERE id = %s", (wo,))
    h = b.preview(wo)["plan_hash"]
    # a manual task, a status-only change of the work order, a route renumbering: same plan
    conn.execute(
        "INSERT INTO task_sync.task (work_order_id, task_type, work_content) VALUES (%s, 'note', 'call customer')",
        (wo,),
    )
    conn.execute("UPDATE task_sync.work_order SET status = 'in_progress' WHERE id = %s", (wo,))
    conn.execute("UPDATE task_sync.work_order_process SET sequence = sequence * 2 WHERE work_order_id = %s", (wo,))
    assert b.execute(wo, p_expected_plan_hash=h)["updated"] > 0


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        "abc",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z",
    ],
)
def test_malformed_hash_is_an_invalid_argument(conn: psycopg.Connection[Any], bad_hash: str) -> None:
    wo = Builder(conn).realistic()
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT task_sync.execute(%s, true, %s)", (wo, bad_hash))


@pytest.mark.parametrize("flag", ["p_overwrite_edits", "p_restore_dismissed"])
def test_null_flags_are_invalid(conn: psycopg.Connection[Any], flag: str) -> None:
    wo = Builder(conn).realistic()
    with raises_sqlstate(conn, "TSV01"):
        conn.execute(f"SELECT task_sync.execute(%s, true, {flag} => NULL)", (wo,))


@pytest.mark.parametrize("bad", [None, 0, -5])
def test_execute_refuses_a_bad_id(conn: psycopg.Connection[Any], bad: int | None) -> None:
    Builder(conn).realistic()
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT task_sync.execute(%s::bigint, true)", (bad,))


def test_execute_of_an_unknown_work_order(conn: psycopg.Connection[Any]) -> None:
    with raises_sqlstate(conn, "TSN01"):
        conn.execute("SELECT task_sync.execute(777, true)")


@pytest.mark.parametrize(
    ("status", "approval"), [("pending", "approved"), ("completed", "pending"), ("cancelled", "rejected")]
)
def test_work_order_that_may_not_be_synced(conn: psycopg.Connection[Any], status: str, approval: str) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute(
        "UPDATE task_sync.work_order SET status = %s, approval_status = %s WHERE id = %s",
        (status, approval, wo),
    )
    assert b.preview(wo)["may_sync"] is False
    with raises_sqlstate(conn, "TSC03"):
        b.execute(wo)


@pytest.mark.parametrize(("status", "approval"), [("in_progress", "pending"), ("paused", "rejected")])
def test_work_order_that_may_be_synced(conn: psycopg.Connection[Any], status: str, approval: str) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute(
        "UPDATE task_sync.work_order SET status = %s, approval_status = %s WHERE id = %s",
        (status, approval, wo),
    )
    assert b.execute(wo)["added"] == 14


def test_formal_task_satisfies_its_key_and_is_never_touched(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute(
        "UPDATE task_sync.task SET status = 'in_progress', quantity_completed = 10 WHERE work_order_id = %s"
        " AND task_type = 'printing'",
        (wo,),
    )
    formal_before = [t for t in b.tasks(wo) if t["status"] != "draft"]
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 9999 WHERE id = %s", (wo,))
    doc = b.preview(wo)
    assert {i["action"] for i in doc["items"]} == {"update"}  # no add beside the formal tasks
    assert all(i["task_type"] != "printing" for i in doc["items"])
    b.execute(wo)
    assert [t for t in b.tasks(wo) if t["status"] != "draft"] == formal_before
    # a formal task whose key leaves the desired set is reported orphaned, and kept
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    actions = sorted(i["action"] for i in b.preview(wo)["items"])
    assert actions == ["orphaned", "orphaned", "remove", "remove"]
    b.execute(wo)
    assert [t for t in b.tasks(wo) if t["status"] != "draft"] == formal_before
    assert sorted(i["action"] for i in b.preview(wo)["items"]) == ["orphaned", "orphaned"]


def test_manual_tasks_are_never_matched_or_changed(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    wop = conn.execute(
        "SELECT wop.id FROM task_sync.work_order_process wop JOIN task_sync.process p ON p.id = wop.process_id"
        " WHERE wop.work_order_id = %s AND p.code = 'GLUE'",
        (wo,),
    ).fetchone()[0]  # type: ignore[index]
    # a manual task that even looks like a generated one
    conn.execute(
        "INSERT INTO task_sync.task (work_order_id, work_order_process_id, task_type, source_kind, source_id,"
        " work_content, production_quantity) VALUES (%s, %s, 'general', 'work_order', %s, 'by hand', 1)",
        (wo, wop, wo),
    )
    conn.execute("INSERT INTO task_sync.task (work_order_id, task_type) VALUES (%s, 'inspection')", (wo,))
    manual_before = [t for t in b.tasks(wo) if t["origin"] == "manual"]
    res = b.execute(wo)
    assert res["added"] == 14  # the generated general task is added beside the manual one
    conn.execute("DELETE FROM task_sync.work_order_process WHERE id = %s", (wop,))
    b.execute(wo)
    manual_after = [t for t in b.tasks(wo) if t["origin"] == "manual"]
    # untouched but for the process link the foreign key cleared when the process was deleted
    assert [dict(t, work_order_process_id=None) for t in manual_before] == manual_after


def test_deleted_process_keeps_drafts_until_a_sync(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute(
        "DELETE FROM task_sync.work_order_process wop USING task_sync.process p"
        " WHERE p.id = wop.process_id AND p.code = 'PRT' AND wop.work_order_id = %s",
        (wo,),
    )
    orphans = [t for t in b.tasks(wo) if t["task_type"] == "printing"]
    assert len(orphans) == 2 and all(t["work_order_process_id"] is None for t in orphans)
    items = b.preview(wo)["items"]
    assert [(i["action"], i["task_type"], i["process_code"]) for i in items] == [
        ("remove", "printing", None),
        ("remove", "printing", None),
    ]
    assert b.execute(wo)["removed"] == 2
    assert not [t for t in b.tasks(wo) if t["task_type"] == "printing"]


def test_deleting_a_process_with_formal_tasks_is_refused(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute(
        "UPDATE task_sync.task SET status = 'pending' WHERE work_order_id = %s AND task_type = 'die_cutting'",
        (wo,),
    )
    with raises_sqlstate(conn, "TSC04"):
        conn.execute("DELETE FROM task_sync.work_order_process WHERE work_order_id = %s", (wo,))
