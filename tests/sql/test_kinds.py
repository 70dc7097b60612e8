"""Source kinds are data: ``create_source_kind`` adds one with one call, and it works end to end
like a built-in kind (preview, execute, renames, unlinks, sync_pending, the writer and reader
roles); bad names change nothing; ``drop_source_kind``; and ``plan_pending``, the fleet-wide
what-if."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from tests.builders import Builder
from tests.sql.errors import raises_sqlstate

#: The shape of a kind's tables, read from the catalogs with the kind's name replaced by ``<k>``:
#: columns, constraints (with their definitions), indexes, triggers, grants and whether each
#: table and column has a comment.
SHAPE = """
WITH rel AS (
    SELECT c.oid, c.relname, replace(c.relname, %(k)s, '<k>') AS generic
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'task_sync' AND c.relkind = 'r' AND c.relname IN (%(k)s, 'work_order_' || %(k)s)
)
SELECT 'column', rel.generic, replace(a.attname, %(k)s, '<k>'), format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' ' || nullif(a.attidentity::text, ''), ''),
       col_description(rel.oid, a.attnum) IS NOT NULL
FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE a.attname <> 'need_cutting'
UNION ALL
SELECT 'constraint', rel.generic, replace(x.conname, %(k)s, '<k>'),
       replace(pg_get_constraintdef(x.oid), %(k)s, '<k>'), NULL
FROM rel JOIN pg_constraint x ON x.conrelid = rel.oid
UNION ALL
SELECT 'index', rel.generic, replace(i.relname, %(k)s, '<k>'), NULL, NULL
FROM rel JOIN pg_index ix ON ix.indrelid = rel.oid JOIN pg_class i ON i.oid = ix.indexrelid
UNION ALL
SELECT 'trigger', rel.generic, replace(t.tgname, %(k)s, '<k>'), t.tgfoid::regproc::text, NULL
FROM rel JOIN pg_trigger t ON t.tgrelid = rel.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'grant', rel.generic, g.grantee || ' ' || g.privilege_type, NULL, NULL
FROM rel JOIN information_schema.role_table_grants g
  ON g.table_schema = 'task_sync' AND g.table_name = rel.relname AND g.grantee LIKE 'task_sync_%%'
UNION ALL
SELECT 'column grant', rel.generic, g.grantee || ' ' || g.privilege_type || ' ' || replace(g.column_name, %(k)s, '<k>'),
       NULL, NULL
FROM rel JOIN information_schema.column_privileges g
  ON g.table_schema = 'task_sync' AND g.table_name = rel.relname AND g.grantee = 'task_sync_writer'
 AND g.privilege_type = 'UPDATE' AND g.column_name <> 'need_cutting'
UNION ALL
SELECT 'comment', rel.generic, NULL, NULL, obj_description(rel.oid, 'pg_class') IS NOT NULL
FROM rel
ORDER BY 1, 2, 3, 4
"""


def shape(conn: psycopg.Connection[Any], kind: str) -> list[tuple[Any, ...]]:
    return conn.execute(SHAPE, {"k": kind}).fetchall()


def relations(conn: psycopg.Connection[Any]) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'task_sync' ORDER BY 1"
        )
    ]


@pytest.fixture
def kinds(conn: psycopg.Connection[Any]) -> Builder:
    """A link kind ``varnish_plate`` (rule: VAN, one task per plate) and a line kind ``ink``
    (rule: PRT, one mixing task per ink line, its quantity the line's)."""
    conn.execute("SELECT task_sync.create_source_kind('varnish_plate')")
    conn.execute("SELECT task_sync.create_source_kind('ink', true)")
    conn.execute(
        "INSERT INTO task_sync.generation_rule"
        " (process_code, source_kind, task_type, quantity_source, content_template)"
        " VALUES ('VAN', 'varnish_plate', 'plate_making', 'one', '{order_number} varnish plate {source_name}'),"
        "        ('PRT', 'ink', 'ink_mixing', 'source', 'mix {source_name} for {order_number}')"
    )
    return Builder(conn)


def _tasks(b: Builder, wo: int, kind: str) -> list[tuple[Any, ...]]:
    return [
        (t["task_type"], t["source_id"], t["work_content"], t["production_quantity"])
        for t in b.tasks(wo)
        if t["source_kind"] == kind
    ]


def test_every_kind_is_registered_and_read_through_one_view(conn: psycopg.Connection[Any]) -> None:
    rows = conn.execute("SELECT kind, shape, line_filter, built_in FROM task_sync.source_kind ORDER BY kind").fetchall()
    assert rows == [
        ("artwork", "link", None, True),
        ("die", "link", None, True),
        ("embossing_plate", "link", None, True),
        ("foiling_plate", "link", None, True),
        ("material", "line", "need_cutting", True),
        ("product", "line", None, True),
        ("work_order", "work_order", None, True),
    ]
    b = Builder(conn)
    wo = b.realistic()
    kinds_seen = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT source_kind FROM task_sync.work_order_source WHERE work_order_id = %s", (wo,)
        )
    }
    assert kinds_seen == {k for k, *_ in rows}
    # material lines that do not need cutting are not sources
    (n,) = conn.execute(
        "SELECT count(*) FROM task_sync.work_order_source WHERE work_order_id = %s AND source_kind = 'material'", (wo,)
    ).fetchone()  # type: ignore[misc]
    assert n == 1


@pytest.mark.parametrize(("kind", "lines", "builtin"), [("varnish", False, "artwork"), ("ink", True, "product")])
def test_a_created_kind_has_what_a_built_in_kind_has(
    conn: psycopg.Connection[Any], kind: str, lines: bool, builtin: str
) -> None:
    conn.execute("SELECT task_sync.create_source_kind(%s, %s)", (kind, lines))
    assert shape(conn, kind) == shape(conn, builtin)
    assert shape(conn, kind)  # not two empty lists


def test_a_link_kind_end_to_end(kinds: Builder, conn: psycopg.Connection[Any]) -> None:
    b = kinds
    wo = b.work_order("WO-K1")
    b.add_process(wo, "VAN")
    gloss = b.link(wo, "varnish_plate", "VP-1", "Gloss spot")
    matte = b.link(wo, "varnish_plate", "VP-2", "Matte flood")
    ts = TaskSync(conn)
    plan = ts.preview(wo)
    assert {(i.action, i.source_kind, i.source_id) for i in plan.items if i.source_kind == "varnish_plate"} == {
        ("add", "varnish_plate", gloss),
        ("add", "varnish_plate", matte),
    }
    res = ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
    assert res.added == 2  # VAN has a rule of its own now: no default general task
    assert sorted(_tasks(b, wo, "varnish_plate")) == [
        ("plate_making", gloss, "WO-K1 varnish plate Gloss spot", 1),
        ("plate_making", matte, "WO-K1 varnish plate Matte flood", 1),
    ]
    # a rename in the catalog marks the work order, and the sync updates the draft
    conn.execute("UPDATE task_sync.varnish_plate SET name = 'Gloss logo' WHERE id = %s", (gloss,))
    assert ts.check_sync_needed(wo)
    assert ts.execute(wo, confirm=True).updated == 1
    assert ("plate_making", gloss, "WO-K1 varnish plate Gloss logo", 1) in _tasks(b, wo, "varnish_plate")
    # an unlink marks it, and the sync removes the draft
    conn.execute("DELETE FROM task_sync.work_order_varnish_plate WHERE varnish_plate_id = %s", (matte,))
    assert [p.work_order_id for p in ts.pending()] == [wo]
    rows = ts.sync_pending()
    assert [(r.work_order_id, r.removed) for r in rows] == [(wo, 1)]
    assert [t[1] for t in _tasks(b, wo, "varnish_plate")] == [gloss]
    # a catalog row in use cannot be deleted (ON DELETE RESTRICT: 23503 before PostgreSQL 18, 23001 since)
    restrict = "23001" if conn.info.server_version >= 180000 else "23503"
    with raises_sqlstate(conn, restrict):
        conn.execute("DELETE FROM task_sync.varnish_plate WHERE id = %s", (gloss,))
    artwork = b.link(wo, "artwork", "A-1")  # as for a built-in kind
    with raises_sqlstate(conn, restrict):
        conn.execute("DELETE FROM task_sync.artwork WHERE id = %s", (artwork,))


def test_a_line_kind_end_to_end(kinds: Builder, conn: psycopg.Connection[Any]) -> None:
    b = kinds
    wo = b.work_order("WO-K2")
    b.add_process(wo, "PRT")
    cyan = b.line(wo, "ink", "CYAN", 12, "Cyan")
    spot = b.line(wo, "ink", "PMS-185", 3, "Red 185")
    ts = TaskSync(conn)
    ts.execute(wo, confirm=True)
    assert sorted(_tasks(b, wo, "ink")) == [
        ("ink_mixing", cyan, "mix Cyan for WO-K2", 12),
        ("ink_mixing", spot, "mix Red 185 for WO-K2", 3),
    ]
    conn.execute("UPDATE task_sync.work_order_ink SET quantity = 5 WHERE id = %s", (spot,))
    assert ts.execute(wo, confirm=True).updated == 1
    assert ("ink_mixing", spot, "mix Red 185 for WO-K2", 5) in _tasks(b, wo, "ink")
    conn.execute("DELETE FROM task_sync.work_order_ink WHERE id = %s", (cyan,))
    assert ts.execute(wo, confirm=True).removed == 1
    with raises_sqlstate(conn, "23514"):
        conn.execute("UPDATE task_sync.work_order_ink SET quantity = -1 WHERE id = %s", (spot,))
    # quantity_source 'source' takes a line's quantity; a link kind has none
    with raises_sqlstate(conn, "23514"):
        conn.execute(
            "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
            " content_template) VALUES ('VAN', 'varnish_plate', 'x', 'source', 'x')"
        )


def test_a_writer_links_and_syncs_a_reader_reads_and_cannot_write(
    kinds: Builder, conn: psycopg.Connection[Any], login: dict[str, str]
) -> None:
    b = kinds
    wo = b.work_order("WO-K3")
    other = b.work_order("WO-K3b")
    b.add_process(wo, "VAN")
    b.add_process(wo, "PRT")
    plate = b.catalog("varnish_plate", "VP-9", "Plate nine")
    ink = b.catalog("ink", "K", "Black")
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    try:
        conn.execute("INSERT INTO task_sync.work_order_varnish_plate VALUES (%s, %s)", (wo, plate))
        (line,) = conn.execute(
            "INSERT INTO task_sync.work_order_ink (work_order_id, ink_id, quantity) VALUES (%s, %s, 7) RETURNING id",
            (wo, ink),
        ).fetchone()  # type: ignore[misc]
        conn.execute("UPDATE task_sync.work_order_ink SET quantity = 8, ink_id = %s WHERE id = %s", (ink, line))
        res = TaskSync(conn).execute(wo, confirm=True)
        assert (res.added, res.sync_run_id is not None) == (2, True)  # the plate, the ink line
        # a line's id and work order keep their values: naming them with those values is a
        # whole-row write (an ORM's), another value is refused by the engine
        conn.execute(
            "UPDATE task_sync.work_order_ink SET work_order_id = work_order_id, id = id WHERE id = %s", (line,)
        )
        for column, value in (("work_order_id", other), ("id", line + 1000)):
            with raises_sqlstate(conn, "TSP01") as refusal, conn.transaction():
                conn.execute(f"UPDATE task_sync.work_order_ink SET {column} = %s WHERE id = %s", (value, line))
            assert f"column {column} of task_sync.work_order_ink" in str(refusal.value)
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_reader']}")
    try:
        assert TaskSync(conn).preview(wo).summary.changes == 0
        assert conn.execute("SELECT count(*) FROM task_sync.work_order_ink").fetchone() == (1,)
        for stmt in (
            f"INSERT INTO task_sync.work_order_varnish_plate VALUES ({wo}, {plate})",
            "DELETE FROM task_sync.work_order_ink",
            "INSERT INTO task_sync.varnish_plate (code, name) VALUES ('X', 'X')",
            "SELECT task_sync.create_source_kind('sneaky')",
            "SELECT task_sync.drop_source_kind('ink')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(stmt)
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    # the writer may not create kinds either
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT task_sync.create_source_kind('sneaky')")
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("Varnish", False),  # upper case
        ("1plate", False),  # starts with a digit
        ("_plate", False),
        ("var-nish", False),
        ("plate; DROP TABLE task_sync.task", False),
        ("", False),
        (None, False),
        ("a" * 41, False),  # over 40 characters
        ("artwork", False),  # a kind already
        ("work_order", True),
        ("process", False),  # task_sync.process exists
        ("mark", False),  # task_sync.work_order_mark exists
        ("source", False),  # task_sync.work_order_source exists
        ("varnish", None),  # a null flag
    ],
)
def test_a_bad_name_is_refused_and_nothing_changes(conn: psycopg.Connection[Any], name: Any, lines: Any) -> None:
    before = relations(conn)
    with raises_sqlstate(conn, "TSV01"), conn.transaction():
        conn.execute("SELECT task_sync.create_source_kind(%s, %s)", (name, lines))
    assert relations(conn) == before
    assert conn.execute("SELECT count(*) FROM task_sync.source_kind").fetchone() == (7,)


def test_a_name_of_forty_characters_gets_identifiers_that_fit(conn: psycopg.Connection[Any]) -> None:
    kind = "k" * 40
    conn.execute("SELECT task_sync.create_source_kind(%s, true)", (kind,))
    conn.execute(
        "INSERT INTO task_sync.generation_rule"
        " (process_code, source_kind, task_type, quantity_source, content_template)"
        " VALUES ('VAN', %s, 'long', 'source', '{source_name}')",
        (kind,),
    )
    b = Builder(conn)
    wo = b.work_order()
    b.add_process(wo, "VAN")
    line = b.line(wo, kind, "L", 4, "Long one")
    TaskSync(conn).execute(wo, confirm=True)
    assert ("long", line, "Long one", 4) in _tasks(b, wo, kind)
    names = [
        r[0]
        for r in conn.execute(
            # the constraints the function names (PostgreSQL 18 names NOT NULL constraints itself)
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype <> 'n'"
            " UNION ALL SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            (f"task_sync.work_order_{kind}", f"task_sync.work_order_{kind}"),
        )
    ]
    assert len(names) == len(set(names)) == 11 and all(len(n) <= 63 for n in names)


def test_drop_source_kind(kinds: Builder, conn: psycopg.Connection[Any]) -> None:
    b = kinds
    wo = b.work_order()
    b.add_process(wo, "VAN")
    b.link(wo, "varnish_plate", "VP-1")
    b.execute(wo)
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT task_sync.drop_source_kind('artwork')")
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT task_sync.drop_source_kind('nope')")
    with raises_sqlstate(conn, "TSC06"):  # its rule and its task
        conn.execute("SELECT task_sync.drop_source_kind('varnish_plate')")
    conn.execute("DELETE FROM task_sync.generation_rule WHERE source_kind = 'varnish_plate'")
    with raises_sqlstate(conn, "TSC06"):  # its task, until a sync removes it
        conn.execute("SELECT task_sync.drop_source_kind('varnish_plate')")
    assert TaskSync(conn).execute(wo, confirm=True).removed == 1
    conn.execute("SELECT task_sync.drop_source_kind('varnish_plate')")
    assert "varnish_plate" not in relations(conn) and "work_order_varnish_plate" not in relations(conn)
    assert conn.execute("SELECT count(*) FROM task_sync.source_kind WHERE kind = 'varnish_plate'").fetchone() == (0,)
    # the audit keeps what it recorded; the engine still syncs
    assert conn.execute("SELECT count(*) FROM task_sync.sync_item WHERE source_kind = 'varnish_plate'").fetchone() == (
        2,
    )
    assert TaskSync(conn).preview(wo).summary.changes == 0


def test_plan_pending_is_every_pending_plan(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    b.execute(wos[0])
    ts = TaskSync(conn)
    rows = conn.execute("SELECT * FROM task_sync.plan_pending()").fetchall()
    columns = [c.name for c in conn.execute("SELECT * FROM task_sync.plan(%s)", (wos[1],)).description or []]
    expected = []
    for wo in wos[1:]:
        expected += conn.execute("SELECT * FROM task_sync.plan(%s)", (wo,)).fetchall()
    assert rows == expected and len(rows) > 0
    assert columns[0] == "work_order_id"
    limited = conn.execute("SELECT DISTINCT work_order_id FROM task_sync.plan_pending(1)").fetchall()
    assert limited == [(ts.pending()[0].work_order_id,)]
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT * FROM task_sync.plan_pending(-1)")


def test_the_what_if_recipe_changes_nothing(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    for wo in wos:
        b.execute(wo)
    before = b.snapshot()
    with conn.transaction(force_rollback=True):
        conn.execute(
            "UPDATE task_sync.generation_rule SET content_template = '{order_number} printing, proofed'"
            " WHERE process_code = 'PRT'"
        )
        what_if = dict(conn.execute("SELECT action, count(*) FROM task_sync.plan_pending() GROUP BY action").fetchall())
    assert what_if == {"update": 2 * len(wos)}  # two printing drafts (two artworks) per work order
    assert b.snapshot() == before
    assert TaskSync(conn).pending() == []
