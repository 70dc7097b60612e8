"""The helpers that run once per row, or that are handed a whole plan, are inlined into the query
that calls them.

A SQL function is inlined only when it has no SET clause and, if IMMUTABLE, calls nothing less
than immutable. One that is not runs as a query of its own for every call: ``_template_pre`` with
``concat()`` (which is only STABLE) in it was called once per route row and rule, 40 % of the
desired set; ``_items`` and ``_plan_hashes`` with a SET clause cost four times the hashing itself
for a batch of 500 work orders. Nothing else tells when a change stops the inlining, so each is
checked here in the plan PostgreSQL builds for a call with parameters.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pytask_sync.fields import SYNCED_FIELDS

#: the SQL types of the synced fields, each once: each has its _field_outcome and _field_write
TYPES = list(dict.fromkeys(f.sql for f in SYNCED_FIELDS))

# function (or one overload of it) -> the argument types of a call with one parameter per argument
SCALAR = {
    "_template_ok": ["text"],
    "_template_pre": ["text", "boolean", "text", "text", "text"],
    "_content_from_pre": ["text", "text", "text", "text", "text", "text"],
    **{f"_field_outcome {t}": [t, t, t] for t in TYPES},
    "_field_writes": ["text", "boolean"],
    **{f"_field_write {t}": [t, t, t, "boolean"] for t in TYPES},
    "_plan_line": [
        *["bigint", "text", "bigint", "bigint", "text", "text", "text", "bigint"],
        *[f.sql for f in SYNCED_FIELDS for _ in range(3)],
        *["boolean", "text[]", "text[]", "boolean", "boolean"],
    ],
}
SET_RETURNING = {
    "_items": ["task_sync.plan_row[]"],
    "_plan_hashes": ["task_sync.plan_row[]"],
}


def generic_plan(conn: psycopg.Connection[Any], select: str, types: list[str]) -> str:
    """The generic plan of ``select`` with ``$1``.. as parameters of ``types`` (no value folded in)."""
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute(f"PREPARE q ({', '.join(types)}) AS {select}")
    try:
        rows = conn.execute(f"EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q ({', '.join('NULL' for _ in types)})").fetchall()
    finally:
        conn.execute("DEALLOCATE q")
        conn.execute("RESET plan_cache_mode")
    return "\n".join(r[0] for r in rows)


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_per_row_helpers_are_inlined(conn: psycopg.Connection[Any], name: str) -> None:
    types = SCALAR[name]
    name = name.split()[0]
    args = ", ".join(f"${i}" for i in range(1, len(types) + 1))
    plan = generic_plan(conn, f"SELECT task_sync_internal.{name}({args})", types)
    assert f".{name}(" not in plan, plan
    assert "$1" in plan, plan  # the body, with the parameters substituted


@pytest.mark.parametrize("name", sorted(SET_RETURNING))
def test_plan_helpers_are_inlined(conn: psycopg.Connection[Any], name: str) -> None:
    plan = generic_plan(conn, f"SELECT * FROM task_sync_internal.{name}($1)", SET_RETURNING[name])
    assert f".{name}" not in plan, plan
    assert "unnest($1)" in plan, plan


def test_inlined_helpers_do_not_depend_on_the_search_path(conn: psycopg.Connection[Any]) -> None:
    """Without a SET clause the helpers must not resolve names when called: their bodies are
    standard SQL, bound when they were created."""
    rows = conn.execute(
        "SELECT p.proname FROM pg_proc p"
        " WHERE p.pronamespace = 'task_sync_internal'::regnamespace AND p.proname = ANY (%s)"
        " AND (p.prosqlbody IS NULL OR p.proconfig IS NOT NULL)",
        (sorted({n.split()[0] for n in SCALAR}) + sorted(SET_RETURNING),),
    ).fetchall()
    assert rows == []


def test_sources_are_inlined_with_the_work_orders_in_every_branch(conn: psycopg.Connection[Any]) -> None:
    """_sources (built from the registry) is inlined into _desired's query, so that each branch's
    condition on the work orders, and on the catalog rows their links name, is the caller's."""
    plan = generic_plan(conn, "SELECT * FROM task_sync_internal._sources($1, $2)", ["bigint[]", "text[]"])
    assert "._sources" not in plan, plan
    assert plan.count("ANY ($1)") >= 7, plan  # every kind's branch, and its catalog's filter


def test_sources_are_inlined_into_the_desired_set(conn: psycopg.Connection[Any]) -> None:
    """_desired gives _sources the kinds whose catalogs to read for names as a column (a lateral
    join), not as a subquery in the call: PostgreSQL inlines no function whose arguments hold a
    subquery, and _sources then ran as a function of its own, planned apart from its caller."""
    body = conn.execute(
        "SELECT prosrc FROM pg_proc WHERE oid = 'task_sync_internal._desired(bigint[])'::regprocedure"
    ).fetchone()[0]  # type: ignore[index]
    plan = generic_plan(conn, body.replace("p_work_order_ids", "$1"), ["bigint[]"])
    assert "_sources" not in plan, plan
    assert "work_order_artwork" in plan, plan


def test_a_plan_line_is_built_by_the_names_of_plan_row(conn: psycopg.Connection[Any]) -> None:
    """_plan_line's parameters are task_sync.plan_row's columns, in order, names and types: a
    line that names a column sets that column, whatever the order of the call's arguments."""
    params = conn.execute(
        "SELECT n, t::regtype::text FROM pg_proc p,"
        " unnest(p.proargnames, p.proargtypes::oid[]) WITH ORDINALITY AS a(n, t, i)"
        " WHERE p.oid = 'task_sync_internal._plan_line'::regproc ORDER BY i"
    ).fetchall()
    columns = conn.execute(
        "SELECT attname::text, atttypid::regtype::text FROM pg_attribute"
        " WHERE attrelid = 'task_sync.plan_row'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
    ).fetchall()
    assert params == columns
    line = conn.execute(
        "SELECT (task_sync_internal._plan_line(source_id => 7, action => 'add', work_order_id => 1,"
        " desired_production_quantity => 3)).*"
    ).fetchone()
    assert line is not None
    row = dict(zip([c for c, _ in columns], line, strict=True))
    named = (row["work_order_id"], row["action"], row["source_id"], row["desired_production_quantity"])
    assert named == (1, "add", 7, 3)
    assert row["task_id"] is None and row["edited"] is False and row["update_fields"] == []


def test_a_change_is_a_sync_item_without_its_run(conn: psycopg.Connection[Any]) -> None:
    """_write_books writes each change under its run: the type must be sync_item's
    columns after sync_run_id, in order, names and types."""

    def columns(relation: str) -> list[tuple[str, str]]:
        return conn.execute(
            "SELECT attname::text, atttypid::regtype::text FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (relation,),
        ).fetchall()

    item = columns("task_sync.sync_item")
    assert item[0][0] == "sync_run_id"
    assert columns("task_sync_internal.change") == item[1:]
