"""No row of the engine is built by position where a new column would shift its neighbours.

``task_sync.plan_row`` lines are built by ``_plan_line`` (``tests/sql/test_inlining.py``); the
changes of a sync (``task_sync_internal.change``) by ``_change_row`` in each branch of
``_write_tasks``, and ``_write_books`` names every column of the ``sync_item`` rows it inserts.
A column added to the type or the table is then set where it is named, or its absence is seen by
the catalog test (``tests/api/test_catalog.py``), never written into another column's place.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from tests.sql.test_inlining import generic_plan


def _columns(conn: psycopg.Connection[Any], relation: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT attname::text, atttypid::regtype::text FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (relation,),
    ).fetchall()


def _body(conn: psycopg.Connection[Any], function: str) -> str:
    row = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = %s::regproc", (function,)).fetchone()
    assert row is not None
    return str(row[0])


def test_a_change_is_built_by_the_names_of_its_type(conn: psycopg.Connection[Any]) -> None:
    """_change_row's parameters are task_sync_internal.change's columns, in order, names and types:
    a change that names a column sets that column, whatever the order of the call's arguments."""
    params = conn.execute(
        "SELECT n, t::regtype::text FROM pg_proc p,"
        " unnest(p.proargnames, p.proargtypes::oid[]) WITH ORDINALITY AS a(n, t, i)"
        " WHERE p.oid = 'task_sync_internal._change_row'::regproc ORDER BY i"
    ).fetchall()
    columns = _columns(conn, "task_sync_internal.change")
    assert params == columns
    change = conn.execute(
        "SELECT (task_sync_internal._change_row(action => 'remove', previous_production_quantity => 3,"
        " task_id => 5, work_order_id => 1)).*"
    ).fetchone()
    assert change is not None
    row = dict(zip([c for c, _ in columns], change, strict=True))
    assert (row["work_order_id"], row["task_id"], row["action"], row["previous_production_quantity"]) == (
        1,
        5,
        "remove",
        3,
    )
    assert row["production_quantity"] is None and row["restored"] is False and row["overwritten"] is False


def test_a_change_is_built_inline(conn: psycopg.Connection[Any]) -> None:
    """Inlined like _plan_line: no call per change, the row's expressions in the caller's plan."""
    types = [t for _, t in _columns(conn, "task_sync_internal.change")]
    args = ", ".join(f"${i}" for i in range(1, len(types) + 1))
    plan = generic_plan(conn, f"SELECT task_sync_internal._change_row({args})", types)
    assert "._change_row(" not in plan, plan
    assert "$1" in plan, plan


def test_write_tasks_builds_every_change_by_name(conn: psycopg.Connection[Any]) -> None:
    """Each of the three branches (remove, add, update) returns ``(_change_row(name => ...)).*``."""
    body = _body(conn, "task_sync_internal._write_tasks")
    changes = body[body.index("RETURN QUERY") :]
    branches = re.split(r"\bUNION ALL\b", changes[changes.rindex(")\n    -- the changes") :])
    assert len(branches) == 3
    for branch in branches:
        select = branch[branch.index("SELECT") :]
        assert select.startswith("SELECT (task_sync_internal._change_row(\n"), select
        assert re.search(r"_change_row\(\s*work_order_id =>", select), select


def test_write_books_names_every_column_of_sync_item(conn: psycopg.Connection[Any]) -> None:
    """The INSERT names sync_item's columns, and takes each from the change of the same name."""
    body = re.sub(r"--[^\n]*", "", _body(conn, "task_sync_internal._write_books"))
    insert = re.search(r"INSERT INTO task_sync\.sync_item \(([^)]*)\)\s*SELECT ([^;]*?)\s*FROM unnest", body)
    assert insert is not None, body
    named = [c.strip() for c in insert.group(1).split(",")]
    taken = [c.strip() for c in insert.group(2).split(",")]
    assert sorted(named) == sorted(c for c, _ in _columns(conn, "task_sync.sync_item"))
    assert len(set(named)) == len(named)
    assert taken == ["runs.id", *(f"a.{c}" for c in named[1:])]
