"""The schema and the engine are ready to be distributed by work_order_id (docs/scaling.md).

1. Every primary and unique key of a work-order table includes work_order_id (but the identity id
   kept unique on its own, named <table>__id_key, which a distributed install drops), and every
   foreign key between work-order tables includes it.
2. Every query the per-work-order entry points run touches a work-order table only through a
   condition on work_order_id: the plans of all nested statements are collected with auto_explain
   and each scan of such a table must be bounded by work_order_id, by its own condition or by the
   join it feeds.
"""

from __future__ import annotations

import json
import os
from typing import Any

import psycopg
import pytest

from tests.builders import Builder, bulk_jobs

#: the tables of a work order besides the links and lines of each source kind (work_order_<kind>)
ENGINE_TABLES = {
    "work_order_process",
    "task",
    "task_dismissal",
    "sync_run",
    "sync_item",
    "work_order_mark",
    "work_order_mark_parked",
    "sync_failure",
}


def test_keys_include_work_order_id(conn: psycopg.Connection[Any]) -> None:
    # kinds a DBA adds get tables of the same shape: check a link kind and a line kind too
    conn.execute("SELECT task_sync.create_source_kind('varnish_plate')")
    conn.execute("SELECT task_sync.create_source_kind('ink', true)")
    work_order_tables = ENGINE_TABLES | {
        f"work_order_{k}" for (k,) in conn.execute("SELECT kind FROM task_sync.source_kind WHERE shape <> 'work_order'")
    }
    assert {"work_order_artwork", "work_order_material", "work_order_varnish_plate", "work_order_ink"} <= (
        work_order_tables
    )
    tables = {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
            " WHERE c.relnamespace = 'task_sync'::regnamespace AND c.relkind = 'r' AND a.attname = 'work_order_id'"
        )
    }
    assert tables == work_order_tables
    keys = conn.execute(
        "SELECT c.relname, i.indexrelid::regclass::text, array_agg(a.attname ORDER BY a.attname)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
        " WHERE c.relnamespace = 'task_sync'::regnamespace AND i.indisunique AND c.relname = ANY(%s)"
        " GROUP BY 1, 2",
        (list(work_order_tables),),
    ).fetchall()
    assert len(keys) >= len(work_order_tables)
    for table, index, cols in keys:
        if index == f"task_sync.{table}__id_key":
            assert cols == ["id"]
            continue
        assert "work_order_id" in cols, (table, index, cols)
    fkeys = conn.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text, conname,"
        " (SELECT array_agg(attname) FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey))"
        " FROM pg_constraint WHERE contype = 'f' AND connamespace = 'task_sync'::regnamespace"
    ).fetchall()
    for child, parent, name, cols in fkeys:
        if parent.removeprefix("task_sync.") in work_order_tables | {"work_order"}:
            assert "work_order_id" in cols, (child, parent, name)


def _collect_plans(conn: psycopg.Connection[Any], sql: str, params: Any) -> list[dict[str, Any]]:
    plans: list[dict[str, Any]] = []

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        msg = diag.message_primary or ""
        if "plan:" in msg:
            plans.append(json.loads(msg.split("plan:", 1)[1])["Plan"])

    try:
        conn.execute("LOAD 'auto_explain'")
    except psycopg.errors.UndefinedFile:
        # CI's PostgreSQL 18 and 15 legs set PYTASK_SYNC_REQUIRE_AUTO_EXPLAIN, so it cannot skip there
        if os.environ.get("PYTASK_SYNC_REQUIRE_AUTO_EXPLAIN"):
            pytest.fail("auto_explain is required (PYTASK_SYNC_REQUIRE_AUTO_EXPLAIN) but this server has none")
        pytest.skip("this server has no auto_explain (CI's PostgreSQL 18 and 15 legs require it)")
    conn.add_notice_handler(on_notice)
    try:
        conn.execute(
            "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;"
            " SET auto_explain.log_format = 'json'; SET auto_explain.log_level = 'notice'"
        )
        conn.execute(sql, params)
    finally:
        conn.execute("RESET auto_explain.log_min_duration")
        conn.remove_notice_handler(on_notice)
    return plans


def _unbounded_scans(node: dict[str, Any], bounded_by_parent: bool = False) -> list[str]:
    conds = " ".join(
        str(node.get(k, "")) for k in ("Index Cond", "Filter", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter")
    )
    own = "work_order_id" in conds
    rel = node.get("Relation Name")
    bad = []
    if node.get("Node Type") == "ModifyTable":
        rel = None  # its rows come from the scans below, which are checked
    # the engine's tables of a work order, and every kind's links or lines (work_order_<kind>)
    if rel is not None and (rel in ENGINE_TABLES or rel.startswith("work_order_")) and not (own or bounded_by_parent):
        bad.append(f"{node['Node Type']} on {rel} without work_order_id")
    if rel == "work_order" and not ("id" in conds or bounded_by_parent):
        bad.append(f"{node['Node Type']} on work_order without id")
    join_bounds = node.get("Node Type") in ("Hash Join", "Merge Join", "Nested Loop") and own
    for child in node.get("Plans", []):
        # a Hash node passes its parent's join condition down to the scan below it
        inherited = join_bounds or (node.get("Node Type") == "Hash" and bounded_by_parent)
        bad += _unbounded_scans(child, inherited)
    return bad


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT task_sync.preview(%(wo)s)",
        "SELECT * FROM task_sync.plan(%(wo)s)",
        "SELECT task_sync.check_sync_needed(%(wo)s)",
        "SELECT task_sync.execute(%(wo)s, true)",
    ],
)
def test_per_work_order_queries_are_filtered_by_work_order_id(conn: psycopg.Connection[Any], sql: str) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    b.execute(wos[1])
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 1 WHERE id = %s", (wos[1],))
    conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'general'", (wos[1],))
    conn.execute("ANALYZE")
    plans = _collect_plans(conn, sql, {"wo": wos[1]})
    assert len(plans) >= 2  # the statement and the ones nested in it
    problems = [p for plan in plans for p in _unbounded_scans(plan)]
    assert problems == []


#: catalogs a print shop's work orders link a few rows of; they grow without bound (every job brings
#: new artwork), so a call for one work order must not read them in full
BIG_CATALOGS = ("artwork", "die", "foiling_plate", "embossing_plate", "material", "product")


def _catalog_reads(node: dict[str, Any]) -> list[str]:
    """Whole-catalog reads and parallel plans in a plan tree."""
    bad = []
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG_CATALOGS:
        bad.append(f"Seq Scan on {node['Relation Name']}")
    if node.get("Node Type") in ("Gather", "Gather Merge"):
        bad.append(node["Node Type"])
    for child in node.get("Plans", []):
        bad += _catalog_reads(child)
    return bad


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT task_sync.preview(%(wo)s)",
        "SELECT * FROM task_sync.plan(%(wo)s)",
        "SELECT task_sync.execute(%(wo)s, true)",
    ],
)
def test_one_work_order_reads_no_catalog_in_full_and_starts_no_parallel_worker(
    conn: psycopg.Connection[Any], sql: str
) -> None:
    """With nested loops off, the desired set hash-joined every catalog in full (and a Gather
    started parallel workers) for a work order that links a few of its rows: a call's cost grew with
    the catalogs. It reads the catalog rows its links name, by index (_sources)."""
    for table in BIG_CATALOGS:
        conn.execute(
            f"INSERT INTO task_sync.{table} (code, name)"
            " SELECT 'BIG-' || g, 'row ' || g FROM generate_series(1, 20000) g"
        )
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("ANALYZE")
    plans = _collect_plans(conn, sql, {"wo": wo})
    assert len(plans) >= 2
    assert [p for plan in plans for p in _catalog_reads(plan)] == []


def _catalog_scans(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Scans of each catalog in this transaction so far."""
    return {
        name: scans
        for name, scans in conn.execute(
            "SELECT relname, seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
            " WHERE schemaname = 'task_sync' AND relname = ANY (%s)",
            (list(BIG_CATALOGS),),
        )
    }


def test_a_plan_reads_a_catalog_only_when_a_rule_names_the_source(conn: psycopg.Connection[Any]) -> None:
    """A plan read the catalog row of every source for its name, and a name reaches a task only
    through '{source_name}' in a rule's template: with the standard rules only the product lines'
    (packaging). At ten million tasks each such row was an index descent and a heap page of its
    own. The other catalogs are not read, and a rule that names the source brings its names."""
    b = Builder(conn)
    wo = b.realistic()
    with conn.transaction():
        before = _catalog_scans(conn)
        plan = conn.execute("SELECT task_sync.preview(%s)", (wo,)).fetchone()[0]  # type: ignore[index]
        after = _catalog_scans(conn)
    read = sorted(name for name in BIG_CATALOGS if after.get(name, 0) > before.get(name, 0))
    assert read == ["product"]
    assert {i["task_type"] for i in plan["items"]} >= {"printing", "plate_making", "cutting", "packaging"}
    conn.execute(
        "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
        " content_template) VALUES ('PRT', 'artwork', 'proofing', 'one', '{order_number} proof of {source_name}')"
    )
    with conn.transaction():
        before = _catalog_scans(conn)
        plan = conn.execute("SELECT task_sync.preview(%s)", (wo,)).fetchone()[0]  # type: ignore[index]
        after = _catalog_scans(conn)
    read = sorted(name for name in BIG_CATALOGS if after.get(name, 0) > before.get(name, 0))
    assert read == ["artwork", "product"]
    b.execute(wo)
    contents = {
        r[0]
        for r in conn.execute(
            "SELECT work_content FROM task_sync.task WHERE work_order_id = %s AND task_type = 'proofing'", (wo,)
        )
    }
    order_number = conn.execute("SELECT order_number FROM task_sync.work_order WHERE id = %s", (wo,)).fetchone()[0]  # type: ignore[index]
    assert contents == {f"{order_number} proof of Front", f"{order_number} proof of Back"}


def test_a_link_without_its_catalog_row_is_a_source_in_plans_and_in_the_view(conn: psycopg.Connection[Any]) -> None:
    """A link's catalog row is kept by its foreign key; written with foreign keys bypassed
    (session_replication_role = replica), a link can outlive it. It stays a source, without a name,
    in a plan (which no longer reads the catalog for a kind whose rules never name the source) as
    in the view work_order_source: the two agree."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(
            "DELETE FROM task_sync.die"
            " WHERE id IN (SELECT die_id FROM task_sync.work_order_die WHERE work_order_id = %s)",
            (wo,),
        )
    view = conn.execute(
        "SELECT source_id, name FROM task_sync.work_order_source WHERE work_order_id = %s AND source_kind = 'die'",
        (wo,),
    ).fetchall()
    (link,) = conn.execute("SELECT die_id FROM task_sync.work_order_die WHERE work_order_id = %s", (wo,)).fetchone()  # type: ignore[misc]
    assert view == [(link, None)]
    plan = conn.execute("SELECT task_sync.preview(%s)", (wo,)).fetchone()[0]  # type: ignore[index]
    assert plan["summary"]["remove"] == 0
    assert plan["sync_needed"] is False


def test_a_batch_runs_as_many_statements_for_200_work_orders_as_for_20(conn: psycopg.Connection[Any]) -> None:
    """sync_pending's statements are per chunk, never per work order: the check of each candidate
    against a recorded failure was a SQL function with a subquery, which PostgreSQL never inlines,
    so it ran a query per candidate (a fifth of an initial batch's time). A failure is on record
    (and paused) so that the check has something to find."""
    wos = bulk_jobs(conn, 201)
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
    paused, wos = wos[0], wos[1:]
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 0 WHERE id = %s", (paused,))
    conn.execute(
        "INSERT INTO task_sync.sync_failure VALUES (%s, now(), 'P0001', 'a trigger of one''s own', NULL, 1,"
        " now() + interval '1 hour', (SELECT synced_version + 1 FROM task_sync.work_order WHERE id = %s))",
        (paused, paused),
    )
    statements = []
    for n in (20, 200):
        conn.execute(
            "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
            (wos[:n],),
        )
        conn.execute("ANALYZE")
        plans = _collect_plans(conn, "SELECT * FROM task_sync.sync_pending()", None)
        statements.append(len(plans))
        assert conn.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (1,)  # the paused one
    assert statements[0] == statements[1] and statements[0] > 5
