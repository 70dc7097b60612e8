"""The sync semantics of docs/reference.md (section 2), row by row: the three-way sync keeps
planners' work."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.builders import Builder
from tests.sql.errors import raises_sqlstate


@pytest.fixture
def job(conn: psycopg.Connection[Any]) -> tuple[Builder, int]:
    """A synced job: GLUE (general, quantity from the work order) and PRT for one artwork."""
    b = Builder(conn)
    wo = b.work_order("J-1", 100)
    b.add_process(wo, "GLUE")
    b.add_process(wo, "PRT")
    b.link(wo, "artwork", "ART", "Front")
    b.execute(wo)
    return b, wo


def _task(b: Builder, wo: int, task_type: str) -> dict[str, Any]:
    (t,) = [t for t in b.tasks(wo) if t["task_type"] == task_type and t["origin"] == "generated"]
    return t


def _set_quantity(b: Builder, wo: int, q: int) -> None:
    b.conn.execute("UPDATE task_sync.work_order SET production_quantity = %s WHERE id = %s", (q, wo))


def test_update_in_place_keeps_the_task_id(job: tuple[Builder, int]) -> None:
    b, wo = job
    before = _task(b, wo, "general")
    _set_quantity(b, wo, 250)
    (item, _) = b.preview(wo)["items"]
    assert (item["action"], item["task_id"], item["update_fields"]) == ("update", before["id"], ["production_quantity"])
    assert (
        item["current_production_quantity"],
        item["baseline_production_quantity"],
        item["desired_production_quantity"],
    ) == (100, 100, 250)
    assert b.execute(wo)["updated"] == 2
    after = _task(b, wo, "general")
    assert after["id"] == before["id"]
    assert (after["production_quantity"], after["generated_production_quantity"]) == (250, 250)


def test_an_edit_stands_while_the_rules_do_not_move(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 90 WHERE work_order_id = %s AND task_type = 'general'", (wo,)
    )
    assert b.preview(wo)["items"] == []
    b.add_process(wo, "CTP")  # an unrelated change: the edit still stands
    b.execute(wo)
    assert _task(b, wo, "general")["production_quantity"] == 90


def test_conflict_keeps_the_planners_value_and_is_reported_once(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 90 WHERE work_order_id = %s AND task_type = 'general'", (wo,)
    )
    _set_quantity(b, wo, 300)
    items = {i["task_type"]: i for i in b.preview(wo)["items"]}
    assert items["general"]["action"] == "conflict"
    assert items["general"]["conflict_fields"] == ["production_quantity"]
    assert items["general"]["edited"] is True
    assert items["printing"]["action"] == "update"
    res = b.execute(wo)
    assert (res["updated"], res["conflicts"]) == (1, 1)
    t = _task(b, wo, "general")
    assert (t["production_quantity"], t["generated_production_quantity"]) == (90, 300)
    assert b.preview(wo)["items"] == []  # the baseline moved: reported once per rule change
    _set_quantity(b, wo, 310)
    assert [i["action"] for i in b.preview(wo)["items"]] == ["conflict", "update"]


def test_overwrite_edits_takes_the_rule_value(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 90, work_content = 'mine'"
        " WHERE work_order_id = %s AND task_type = 'general'",
        (wo,),
    )
    _set_quantity(b, wo, 300)
    res = b.execute(wo, p_overwrite_edits=True)
    assert (res["updated"], res["conflicts"]) == (2, 0)
    t = _task(b, wo, "general")
    # the conflicting field takes the rule value; the edit whose rule did not move stands
    assert (t["production_quantity"], t["work_content"]) == (300, "mine")


def test_an_edit_that_meets_the_rules_is_no_longer_an_edit(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 500 WHERE work_order_id = %s AND task_type = 'general'", (wo,)
    )
    _set_quantity(b, wo, 500)
    assert [i["task_type"] for i in b.preview(wo)["items"]] == ["printing"]
    b.execute(wo)
    assert _task(b, wo, "general")["generated_production_quantity"] == 500  # the baseline moved silently
    _set_quantity(b, wo, 100)
    assert [i["action"] for i in b.preview(wo)["items"]] == ["update", "update"]


def test_a_deleted_draft_is_dismissed_not_resurrected(job: tuple[Builder, int]) -> None:
    b, wo = job
    gone = _task(b, wo, "general")
    b.conn.execute("DELETE FROM task_sync.task WHERE id = %s", (gone["id"],))
    (item,) = b.preview(wo)["items"]
    assert (item["action"], item["task_id"], item["task_type"]) == ("dismissed", None, "general")
    _set_quantity(b, wo, 200)
    assert b.execute(wo)["added"] == 0
    assert [t["task_type"] for t in b.tasks(wo)] == ["printing"]
    res = b.execute(wo, p_restore_dismissed=True)
    assert res["added"] == 1
    assert _task(b, wo, "general")["production_quantity"] == 200
    assert b.conn.execute("SELECT count(*) FROM task_sync.task_dismissal").fetchone() == (0,)


def test_deletes_by_the_sync_are_not_dismissals(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    assert b.execute(wo)["removed"] == 1
    assert b.conn.execute("SELECT count(*) FROM task_sync.task_dismissal").fetchone() == (0,)
    b.link(wo, "artwork", "ART")
    assert [i["action"] for i in b.preview(wo)["items"]] == ["add"]


def test_dismissals_of_keys_that_leave_the_desired_set_are_forgotten(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'printing'", (wo,))
    b.conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    b.execute(wo)  # the key left the desired set: its dismissal is forgotten
    assert b.conn.execute("SELECT count(*) FROM task_sync.task_dismissal").fetchone() == (0,)
    b.link(wo, "artwork", "ART")
    assert [i["action"] for i in b.preview(wo)["items"]] == ["add"]


def test_removing_an_edited_draft_says_so(job: tuple[Builder, int]) -> None:
    b, wo = job
    b.conn.execute(
        "UPDATE task_sync.task SET work_content = 'see notes' WHERE work_order_id = %s AND task_type = 'printing'",
        (wo,),
    )
    b.conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    (item,) = b.preview(wo)["items"]
    assert (item["action"], item["edited"], item["current_work_content"]) == ("remove", True, "see notes")
    assert b.execute(wo)["removed"] == 1


def test_keep_counts_drafts_left_as_they_are(job: tuple[Builder, int]) -> None:
    b, wo = job
    assert b.preview(wo)["summary"]["keep"] == 2
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 1 WHERE work_order_id = %s AND task_type = 'general'", (wo,)
    )
    assert b.preview(wo)["summary"]["keep"] == 2  # an edit that stands is kept too


def test_audit_records_what_changed_and_who(job: tuple[Builder, int], connect: Any) -> None:
    b, wo = job
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 90 WHERE work_order_id = %s AND task_type = 'general'", (wo,)
    )
    _set_quantity(b, wo, 300)
    b.conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    b.add_process(wo, "LAM_M")
    app = connect(application_name="planning-service")
    res = app.execute("SELECT task_sync.execute(%s, true)", (wo,)).fetchone()[0]  # type: ignore[index]
    run_by, app_name = b.conn.execute(
        "SELECT run_by, application_name FROM task_sync.sync_run WHERE id = %s", (res["sync_run_id"],)
    ).fetchone()  # type: ignore[misc]
    assert (run_by, app_name) == ("postgres", "planning-service")
    with b.conn.cursor(row_factory=dict_row) as cur:
        items = cur.execute(
            "SELECT * FROM task_sync.sync_item WHERE work_order_id = %s AND sync_run_id = %s",
            (wo, res["sync_run_id"]),
        ).fetchall()
    by_action = {(i["action"], i["task_type"]): i for i in items}
    assert set(by_action) == {("add", "general"), ("remove", "printing"), ("conflict", "general")}
    conflict = by_action[("conflict", "general")]
    assert (conflict["production_quantity"], conflict["previous_production_quantity"]) == (90, 90)
    removed = by_action[("remove", "printing")]
    assert removed["task_id"] is not None and removed["previous_work_content"] and removed["work_content"] is None
    new_id = by_action[("add", "general")]["task_id"]
    assert b.conn.execute("SELECT task_type FROM task_sync.task WHERE id = %s", (new_id,)).fetchone() == ("general",)
    # every change of a task can be found by its id: added by the first sync, removed by this one
    assert b.conn.execute(
        "SELECT action, sync_run_id = %s FROM task_sync.sync_item WHERE task_id = %s ORDER BY sync_run_id",
        (res["sync_run_id"], removed["task_id"]),
    ).fetchall() == [("add", False), ("remove", True)]
    assert (res["added"], res["removed"], res["updated"], res["conflicts"]) == (1, 1, 0, 1)


def test_plan_hash_follows_what_would_happen(job: tuple[Builder, int]) -> None:
    b, wo = job
    _set_quantity(b, wo, 300)
    h = b.preview(wo)["plan_hash"]
    # an edit of a task the plan does not mention: the plan, and its hash, stay
    b.add_process(wo, "CTP")
    b.execute(wo)
    _set_quantity(b, wo, 400)
    h = b.preview(wo)["plan_hash"]
    b.conn.execute(
        "UPDATE task_sync.task SET work_content = 'note' WHERE work_order_id = %s AND task_type = 'plate_making'", (wo,)
    )
    assert b.preview(wo)["plan_hash"] == h
    # an edit that turns an update into a conflict changes what would happen: stale
    b.conn.execute(
        "UPDATE task_sync.task SET production_quantity = 1 WHERE work_order_id = %s AND task_type = 'general'", (wo,)
    )
    with raises_sqlstate(b.conn, "TSC02"):
        b.execute(wo, p_expected_plan_hash=h)


def test_processless_formal_tasks_may_share_the_rest_of_a_key(job: tuple[Builder, int]) -> None:
    """The case tests/concurrency/test_stress.py allows: two route rows of one process are deleted, and a
    planner makes both processless drafts formal before a sync removes them. Both are kept (formal
    tasks are never touched), both are reported orphaned, and no draft is added for them."""
    b, wo = job
    second_prt = b.add_process(wo, "PRT")
    b.execute(wo)
    printing = [t for t in b.tasks(wo) if t["task_type"] == "printing"]
    assert len(printing) == 2
    b.conn.execute(
        "DELETE FROM task_sync.work_order_process WHERE work_order_id = %s"
        " AND process_id = (SELECT id FROM task_sync.process WHERE code = 'PRT')",
        (wo,),
    )
    b.conn.execute(
        "UPDATE task_sync.task SET status = 'pending' WHERE work_order_id = %s AND task_type = 'printing'", (wo,)
    )
    items = b.preview(wo)["items"]
    assert sorted((i["action"], i["task_id"]) for i in items) == sorted(("orphaned", t["id"]) for t in printing)
    b.execute(wo)
    kept = [t for t in b.tasks(wo) if t["task_type"] == "printing"]
    assert [(t["id"], t["work_order_process_id"], t["status"]) for t in kept] == [
        (t["id"], None, "pending") for t in printing
    ]
    assert second_prt not in {t["work_order_process_id"] for t in b.tasks(wo)}
