"""psql is the reference: every table, view, composite type and column says what it is; every public function's
comment names its parameters and the SQLSTATEs it raises; the audit reads in words."""

from __future__ import annotations

import re
from typing import Any

import psycopg

from pytask_sync._resources import sql_dir
from tests.builders import Builder

UNDESCRIBED = """
SELECT c.relname, NULL::text
FROM pg_class c
WHERE c.relnamespace = 'task_sync'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'c')
  AND coalesce(obj_description(c.oid, 'pg_class'), obj_description(c.reltype, 'pg_type')) IS NULL
  AND c.relname <> 'alembic_version'
UNION ALL
SELECT c.relname, a.attname
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'task_sync'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'c')
  AND col_description(c.oid, a.attnum) IS NULL AND c.relname <> 'alembic_version'
ORDER BY 1, 2
"""


def test_every_table_view_and_column_is_described(conn: psycopg.Connection[Any]) -> None:
    assert conn.execute(UNDESCRIBED).fetchall() == []
    # kinds a DBA adds are described like the built-in ones
    conn.execute("SELECT task_sync.create_source_kind('varnish_plate')")
    conn.execute("SELECT task_sync.create_source_kind('ink', true)")
    assert conn.execute(UNDESCRIBED).fetchall() == []


def _raises(name: str) -> set[str]:
    """The SQLSTATEs the contract header of ``sql/30_functions/<name>.sql`` says it raises."""
    text = (sql_dir() / "30_functions" / f"{name}.sql").read_text()
    header = text[: text.index("CREATE FUNCTION")]
    raises = header[header.index("-- Raises:") : header.index("-- Writes:")]
    return set(re.findall(r"\b(TS[A-Z]\d\d|\d{5}|\d{2}[0-9A-Z]\d\d)\b", raises))


def test_every_public_function_comment_names_its_parameters_and_sqlstates(conn: psycopg.Connection[Any]) -> None:
    rows = conn.execute(
        "SELECT p.proname, coalesce(p.proargnames, '{}'), p.proargmodes, obj_description(p.oid, 'pg_proc')"
        " FROM pg_proc p WHERE p.pronamespace = 'task_sync'::regnamespace AND p.proname !~ '^(_|tg_)'"
    ).fetchall()
    assert len(rows) >= 10
    for name, argnames, modes, comment in rows:
        assert comment, f"{name} has no comment"
        inputs = [a for i, a in enumerate(argnames) if not modes or modes[i] in ("i", "b")]
        for arg in inputs:
            assert arg in comment, f"{name}: its comment does not name {arg}"
        for code in _raises(name):
            assert code in comment, f"{name}: its comment does not name {code}"


def test_the_public_schema_holds_the_api_and_nothing_else(conn: psycopg.Connection[Any]) -> None:
    """\\df task_sync.* lists what people call; helpers and trigger functions are in task_sync_internal."""
    public = {
        r[0] for r in conn.execute("SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'task_sync'::regnamespace")
    }
    assert public == {
        "preview", "plan", "plan_pending", "execute", "check_sync_needed", "pending", "sync_pending",
        "repair_marks", "create_source_kind", "drop_source_kind", "prune_history",
    }  # fmt: skip
    internal = conn.execute(
        "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'task_sync_internal'::regnamespace"
        " AND p.proname !~ '^(_|tg_)'"
    ).fetchone()
    assert internal == (0,)


def test_the_audit_reads_in_words(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.tangled()
    number = conn.execute("SELECT order_number FROM task_sync.work_order WHERE id = %s", (wo,)).fetchone()
    b.execute(wo)
    history = conn.execute(
        "SELECT order_number, via, added, updated, conflicts FROM task_sync.sync_history"
        " WHERE work_order_id = %s ORDER BY ran_at DESC, sync_run_id DESC LIMIT 1",
        (wo,),
    ).fetchone()
    assert history is not None and number is not None
    assert history[0] == number[0] and history[1] == "execute" and history[4] == 1
    changes = dict(
        conn.execute(
            "SELECT action, string_agg(change, ' | ') FROM task_sync.sync_changes c"
            " WHERE c.sync_run_id = (SELECT max(id) FROM task_sync.sync_run WHERE work_order_id = %s)"
            " GROUP BY action",
            (wo,),
        ).fetchall()
    )
    assert "quantity: " in changes["update"] and " -> " in changes["update"]
    assert "the planner's values kept" in changes["conflict"]


def test_a_task_added_or_removed_is_said_with_its_values(conn: psycopg.Connection[Any]) -> None:
    """sync_changes says a task added or removed by its synced fields' values (the work content
    bare, then 'quantity N'), as each field's entry in pytask_sync.fields says it."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute(
        "DELETE FROM task_sync.work_order_process WHERE work_order_id = %s AND process_id = %s",
        (wo, b.process_id("PRT")),
    )
    b.execute(wo)
    rows = conn.execute(
        "SELECT c.action, c.change, i.work_content, i.production_quantity, i.previous_work_content,"
        " i.previous_production_quantity FROM task_sync.sync_changes c"
        " JOIN task_sync.sync_item i USING (sync_run_id, task_id) WHERE c.work_order_id = %s"
        " AND c.action IN ('add', 'remove')",
        (wo,),
    ).fetchall()
    expected = {
        (action, f"added: {content}, quantity {quantity}" if action == "add" else f"removed: {was}, quantity {had}")
        for action, _, content, quantity, was, had in rows
    }
    assert {(action, change) for action, change, *_ in rows} == expected
    assert {action for action, *_ in rows} == {"add", "remove"}
