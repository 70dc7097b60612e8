"""The plan you confirm is the plan that runs, for every combination of execute's flags.

``preview`` and ``plan`` take ``p_overwrite_edits`` and ``p_restore_dismissed``; their summary
equals the counts ``execute`` with the same flags returns, each item still says what it is
(``restored``, ``overwritten``), and a plan hash previewed with other flags confirms an execute
only when the two plans are the same.
"""

from __future__ import annotations

import itertools
from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.sql.errors import raises_sqlstate

COMBOS = list(itertools.product([False, True], repeat=2))  # (overwrite_edits, restore_dismissed)


def _flags(combo: tuple[bool, bool]) -> dict[str, bool]:
    return {"p_overwrite_edits": combo[0], "p_restore_dismissed": combo[1]}


def _preview(b: Builder, wo: int, combo: tuple[bool, bool]) -> dict[str, Any]:
    row = b.conn.execute(
        "SELECT task_sync.preview(%(wo)s, p_overwrite_edits => %(p_overwrite_edits)s,"
        " p_restore_dismissed => %(p_restore_dismissed)s)",
        {"wo": wo, **_flags(combo)},
    ).fetchone()
    assert row is not None
    return dict(row[0])


@pytest.fixture
def tangled(conn: psycopg.Connection[Any]) -> tuple[Builder, int]:
    """A synced job with one conflict, plain updates and one dismissal pending (Builder.tangled)."""
    b = Builder(conn)
    return b, b.tangled()


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: f"overwrite={c[0]},restore={c[1]}")
def test_the_flagged_preview_is_what_execute_does(tangled: tuple[Builder, int], combo: tuple[bool, bool]) -> None:
    b, wo = tangled
    overwrite, restore = combo
    doc = _preview(b, wo, combo)
    s = doc["summary"]
    assert (doc["overwrite_edits"], doc["restore_dismissed"]) == combo
    assert s["conflict"] == (0 if overwrite else 1)
    assert s["dismissed"] == (0 if restore else 1)
    assert s["add"] == (1 if restore else 0)
    items = doc["items"]
    (printing_edited,) = [i for i in items if i["task_type"] == "printing" and i["current_production_quantity"] == 1]
    if overwrite:
        assert printing_edited["action"] == "update" and printing_edited["overwritten"] is True
        assert printing_edited["conflict_fields"] == ["production_quantity"]
        assert "production_quantity" in printing_edited["update_fields"]
    else:
        assert printing_edited["action"] == "conflict" and printing_edited["overwritten"] is False
    (die,) = [i for i in items if i["task_type"] == "die_cutting"]
    assert (die["action"], die["restored"]) == (("add", True) if restore else ("dismissed", False))
    # plan() lists the same items, in the same order
    rows = b.conn.execute(
        "SELECT action, task_type, restored, overwritten FROM task_sync.plan(%(wo)s,"
        " p_overwrite_edits => %(p_overwrite_edits)s, p_restore_dismissed => %(p_restore_dismissed)s)",
        {"wo": wo, **_flags(combo)},
    ).fetchall()
    assert rows == [(i["action"], i["task_type"], i["restored"], i["overwritten"]) for i in items]

    result = b.execute(
        wo,
        p_expected_plan_hash=doc["plan_hash"],
        p_overwrite_edits=overwrite,
        p_restore_dismissed=restore,
    )
    assert (result["added"], result["removed"], result["updated"], result["conflicts"]) == (
        s["add"],
        s["remove"],
        s["update"],
        s["conflict"],
    )
    assert result["plan_hash"] == doc["plan_hash"]
    edited = [t for t in b.tasks(wo) if t["id"] == printing_edited["task_id"]]
    assert edited[0]["production_quantity"] == (4000 if overwrite else 1)
    assert any(t["task_type"] == "die_cutting" for t in b.tasks(wo)) is restore
    # and the audit says what each item was
    audit = b.conn.execute(
        "SELECT action, restored, overwritten FROM task_sync.sync_item WHERE work_order_id = %s AND sync_run_id = %s",
        (wo, result["sync_run_id"]),
    ).fetchall()
    assert [a for a in audit if a[1]] == ([("add", True, False)] if restore else [])
    assert [a for a in audit if a[2]] == ([("update", False, True)] if overwrite else [])


OTHER_FLAGS = [(p, e) for p in COMBOS for e in COMBOS if p != e]


@pytest.mark.parametrize(("previewed", "executed"), OTHER_FLAGS, ids=lambda c: f"{int(c[0])}{int(c[1])}")
def test_a_hash_previewed_with_other_flags_is_refused(
    tangled: tuple[Builder, int], previewed: tuple[bool, bool], executed: tuple[bool, bool]
) -> None:
    b, wo = tangled
    stale = _preview(b, wo, previewed)["plan_hash"]
    assert stale != _preview(b, wo, executed)["plan_hash"], "in this job every combination changes the plan"
    with raises_sqlstate(b.conn, "TSC02"):
        b.execute(wo, p_expected_plan_hash=stale, p_overwrite_edits=executed[0], p_restore_dismissed=executed[1])


@pytest.mark.parametrize("executed", COMBOS[1:], ids=lambda c: f"overwrite={c[0]},restore={c[1]}")
def test_flags_that_change_nothing_keep_the_plan_and_its_hash(
    conn: psycopg.Connection[Any], executed: tuple[bool, bool]
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 4000 WHERE id = %s", (wo,))
    plain = _preview(b, wo, (False, False))
    flagged = _preview(b, wo, executed)
    assert flagged["items"] == plain["items"] and flagged["plan_hash"] == plain["plan_hash"]
    result = b.execute(
        wo, p_expected_plan_hash=plain["plan_hash"], p_overwrite_edits=executed[0], p_restore_dismissed=executed[1]
    )
    assert result["updated"] == plain["summary"]["update"] > 0


@pytest.mark.parametrize("function", ["preview", "plan"])
def test_a_null_flag_is_refused(tangled: tuple[Builder, int], function: str) -> None:
    b, wo = tangled
    for flags in ("NULL, false", "false, NULL"):
        with raises_sqlstate(b.conn, "TSV01"):
            b.conn.execute(f"SELECT * FROM task_sync.{function}({wo}, {flags})")


def test_without_flags_preview_and_plan_answer_as_before(tangled: tuple[Builder, int]) -> None:
    b, wo = tangled
    assert b.preview(wo) == _preview(b, wo, (False, False))
    assert b.conn.execute("SELECT count(*) FROM task_sync.plan(%s)", (wo,)).fetchone() == (len(b.preview(wo)["items"]),)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_draft_with_a_conflict_and_an_update_counts_once_as_its_preview_says(
    conn: psycopg.Connection[Any], overwrite: bool
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    (tid,) = conn.execute(
        "SELECT min(id) FROM task_sync.task WHERE work_order_id = %s AND task_type = 'printing'", (wo,)
    ).fetchone()  # type: ignore[misc]
    conn.execute("UPDATE task_sync.task SET work_content = 'mine' WHERE id = %s", (tid,))
    # the rules move both fields: the content (a conflict with the planner's edit), the quantity (an update)
    conn.execute(
        "UPDATE task_sync.work_order SET order_number = 'JOB-X', production_quantity = 4000 WHERE id = %s", (wo,)
    )
    doc = _preview(b, wo, (overwrite, False))
    (item,) = [i for i in doc["items"] if i["task_id"] == tid]
    assert item["action"] == ("update" if overwrite else "conflict")
    assert item["conflict_fields"] == ["work_content"]
    s = doc["summary"]
    res = b.execute(wo, p_expected_plan_hash=doc["plan_hash"], p_overwrite_edits=overwrite)
    assert (res["added"], res["removed"], res["updated"], res["conflicts"]) == (
        s["add"],
        s["remove"],
        s["update"],
        s["conflict"],
    )
    (row,) = [t for t in b.tasks(wo) if t["id"] == tid]
    assert row["production_quantity"] == 4000
    assert row["work_content"] == ("JOB-X printing" if overwrite else "mine")
