"""The engine's books belong to the engine: what a reader or writer must not be able to do.

Every attempt runs as a login role that is a member of ``task_sync_reader`` or
``task_sync_writer`` (``SET SESSION AUTHORIZATION``, so ``session_user`` is that role, as for a
service that logs in with it), and asserts that the statement fails and that no table of the
schema changed. The books: versions and marks, dismissals, the audit (``sync_run``), a task's
baselines and a generated task's identity; and the internal ``_apply``, which trusts the plan it
is given. ``test_writer_keeps_all_it_needs`` is the other half: everything a planning service
must still be able to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.conftest import login_roles

GROUPS = ("task_sync_reader", "task_sync_writer")


def _synced(conn: psycopg.Connection[Any]) -> tuple[Builder, int]:
    """A synced realistic job with one dismissal and one pending change (and a work order to move
    rows to)."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'general'", (wo,))
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 4000 WHERE id = %s", (wo,))
    other = b.work_order("OTHER-1", 10)  # never synced: its route row has no task pointing at it
    b.add_process(other, "PACK")
    b.work_order("BARE-1", 1)  # nothing points at it
    return b, wo


@pytest.fixture
def synced(conn: psycopg.Connection[Any]) -> tuple[Builder, int]:
    """A synced realistic job with one dismissal and one pending change."""
    return _synced(conn)


@pytest.fixture(scope="module")
def refusals(module_conn: psycopg.Connection[Any]) -> Iterator[tuple[psycopg.Connection[Any], int, dict[str, str]]]:
    """For the attempts that must fail and change nothing: one database for the module (the job of
    ``synced`` and the login roles), each test inside a transaction that is rolled back."""
    _, wo = _synced(module_conn)
    with login_roles(module_conn) as roles:
        yield module_conn, wo, roles


@pytest.fixture
def refusal(
    refusals: tuple[psycopg.Connection[Any], int, dict[str, str]],
) -> Iterator[tuple[psycopg.Connection[Any], int, dict[str, str]]]:
    """``refusals``, inside a transaction that is always rolled back."""
    conn = refusals[0]
    with conn.transaction(force_rollback=True):
        yield refusals


def _as(conn: psycopg.Connection[Any], role: str, sql: str, params: Any = None) -> psycopg.Error:
    """Run ``sql`` as ``role``; it must fail and leave every table as it was. Returns the error."""
    before = Builder(conn).snapshot()
    conn.execute(f"SET SESSION AUTHORIZATION {role}")
    try:
        with pytest.raises(psycopg.Error) as info, conn.transaction():
            conn.execute(sql, params)
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    assert Builder(conn).snapshot() == before, f"{role} changed something with: {sql}"
    return info.value


def _denied(conn: psycopg.Connection[Any], role: str, sql: str, params: Any = None) -> None:
    err = _as(conn, role, sql, params)
    assert err.sqlstate == "42501", f"{err.sqlstate}: {err}"


def _refused(conn: psycopg.Connection[Any], role: str, sql: str, column: str | None) -> None:
    """``sql`` fails as ``role`` and changes nothing: 42501 for a table the role may not write at
    all, TSP01 naming ``column`` for a value of an engine-owned column of a table it may write."""
    err = _as(conn, role, sql)
    if column is None:
        assert err.sqlstate == "42501", f"{err.sqlstate}: {err}"
    else:
        assert err.sqlstate == "TSP01", f"{err.sqlstate}: {err}"
        assert err.diag.message_primary is not None and f"column {column} of" in err.diag.message_primary, err


#: what -> (SQL, the column a writer's refusal names). None: the table, sequence or function is not
#: the writer's at all (42501); a column: the writer writes that table, but this value of one of its
#: engine-owned columns is refused by value (TSP01 naming the column). A reader is refused 42501 always.
OTHER = "(SELECT id FROM task_sync.work_order WHERE order_number = 'OTHER-1')"
BARE = "(SELECT id FROM task_sync.work_order WHERE order_number = 'BARE-1')"
BOOK_WRITES: dict[str, tuple[str, str | None]] = {
    "hide pending work": (
        "UPDATE task_sync.work_order SET synced_version = synced_version + 1 WHERE id = {wo}",
        "synced_version",
    ),
    "forge a version": (
        "UPDATE task_sync.work_order SET synced_version = 9223372036854775807 WHERE id = {wo}",
        "synced_version",
    ),
    "create a work order already synced": (
        "INSERT INTO task_sync.work_order (order_number, synced_version) VALUES ('W-SYNCED', 3)",
        "synced_version",
    ),
    "backdate a work order": (
        "UPDATE task_sync.work_order SET created_at = '2000-01-01' WHERE id = {wo}",
        "created_at",
    ),
    "forget marks": ("DELETE FROM task_sync.work_order_mark WHERE work_order_id = {wo}", None),
    "forge a mark": ("INSERT INTO task_sync.work_order_mark (work_order_id) VALUES ({wo})", None),
    "forge the audit": (
        "INSERT INTO task_sync.sync_run (id, work_order_id, run_by, ran_at, via, plan_hash, from_version,"
        " to_version, added, removed, updated, conflicts)"
        " VALUES (999999, {wo}, 'someone', '2000-01-01', 'execute', 'x', 0, 0, 0, 0, 0, 0)",
        None,
    ),
    "forge an audit item": (
        "INSERT INTO task_sync.sync_item"
        " (sync_run_id, work_order_id, task_id, action, task_type, source_kind, source_id)"
        " SELECT id, work_order_id, 1, 'add', 'x', 'work_order', 1 FROM task_sync.sync_run WHERE work_order_id = {wo}",
        None,
    ),
    "rewrite an audit item": ("UPDATE task_sync.sync_item SET action = 'remove' WHERE work_order_id = {wo}", None),
    "erase audit items": ("DELETE FROM task_sync.sync_item WHERE work_order_id = {wo}", None),
    "rewrite the audit": ("UPDATE task_sync.sync_run SET run_by = 'someone' WHERE work_order_id = {wo}", None),
    "erase the audit": ("DELETE FROM task_sync.sync_run WHERE work_order_id = {wo}", None),
    "bring back dismissed drafts": ("DELETE FROM task_sync.task_dismissal WHERE work_order_id = {wo}", None),
    "forge a dismissal": (
        "INSERT INTO task_sync.task_dismissal"
        " (work_order_id, work_order_process_id, task_type, source_kind, source_id, task_id)"
        " SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id, id"
        " FROM task_sync.task WHERE work_order_id = {wo} AND origin = 'generated' LIMIT 1",
        None,
    ),
    "move a baseline (text)": (
        "UPDATE task_sync.task SET generated_work_content = 'x' WHERE work_order_id = {wo}",
        "generated_work_content",
    ),
    "move a baseline (quantity)": (
        "UPDATE task_sync.task SET generated_production_quantity = 1 WHERE work_order_id = {wo}",
        "generated_production_quantity",
    ),
    "change a task's origin": ("UPDATE task_sync.task SET origin = 'manual' WHERE work_order_id = {wo}", "origin"),
    "change a task's type": ("UPDATE task_sync.task SET task_type = 'x' WHERE work_order_id = {wo}", "task_type"),
    "change a task's source kind": (
        "UPDATE task_sync.task SET source_kind = 'die', source_id = source_id + 1000000"
        " WHERE work_order_id = {wo} AND task_type = 'printing'",
        "source_kind",
    ),
    "change a task's source": (
        "UPDATE task_sync.task SET source_id = source_id + 1000000 WHERE work_order_id = {wo}",
        "source_id",
    ),
    "change a task's process": (
        "UPDATE task_sync.task SET work_order_process_id = NULL WHERE work_order_id = {wo}",
        "work_order_process_id",
    ),
    "move a task to another work order": (
        f"UPDATE task_sync.task SET work_order_id = {OTHER}, work_order_process_id = NULL WHERE id > 0",
        "work_order_id",
    ),
    "renumber a task": ("UPDATE task_sync.task SET id = id + 100000 WHERE work_order_id = {wo}", "id"),
    "backdate a task": ("UPDATE task_sync.task SET created_at = '2000-01-01' WHERE work_order_id = {wo}", "created_at"),
    "insert a generated task": (
        "INSERT INTO task_sync.task (work_order_id, task_type, origin, source_kind, source_id,"
        " generated_work_content, generated_production_quantity)"
        " VALUES ({wo}, 'general', 'generated', 'work_order', {wo}, 'x', 1)",
        "origin",
    ),
    "insert a task with a baseline": (
        "INSERT INTO task_sync.task (work_order_id, task_type, generated_work_content) VALUES ({wo}, 'x', 'y')",
        "generated_work_content",
    ),
    "insert a task with an id of one's own": (
        "INSERT INTO task_sync.task (id, work_order_id, task_type) VALUES (777777, {wo}, 'x')",
        "id",
    ),
    "apply a plan of one's own": (
        "SELECT * FROM task_sync_internal._apply(ARRAY[{wo}]::bigint[], '{{}}'::task_sync.plan_row[], false, false,"
        " 'execute', ARRAY(SELECT id FROM task_sync.work_order_mark WHERE work_order_id = {wo}))",
        None,
    ),
    "write tasks as a sync would": (
        "SELECT * FROM task_sync_internal._write_tasks(ARRAY[{wo}]::bigint[], '{{}}'::task_sync.plan_row[], false)",
        None,
    ),
    "write the books as a sync would": (
        "SELECT * FROM task_sync_internal._write_books(ARRAY[{wo}]::bigint[], '{{}}'::task_sync.plan_row[], false,"
        " false, 'execute', ARRAY(SELECT id FROM task_sync.work_order_mark WHERE work_order_id = {wo}), NULL,"
        " '{{}}'::task_sync_internal.change[])",
        None,
    ),
    "try a batch's group": ("SELECT * FROM task_sync_internal._attempt(ARRAY[{wo}]::bigint[])", None),
    "claim to be the engine": ("INSERT INTO task_sync.applying VALUES (pg_current_xact_id())", None),
    "burn catalog ids": ("SELECT nextval('task_sync.process_id_seq')", None),
    "burn rule ids": ("SELECT nextval('task_sync.generation_rule_id_seq')", None),
    "burn audit ids": ("SELECT nextval('task_sync.sync_run_id_seq')", None),
    "burn task ids": ("SELECT nextval('task_sync.task_id_seq')", None),
    # rows nothing points at (a key a row of another table points at is refused by that foreign key
    # first, row by row: 23503)
    "renumber a work order": (f"UPDATE task_sync.work_order SET id = id + 1000 WHERE id = {BARE}", "id"),
    "renumber a route row": (
        f"UPDATE task_sync.work_order_process SET id = id + 1000 WHERE work_order_id = {OTHER}",
        "id",
    ),
    "move a route row": (
        "UPDATE task_sync.work_order_process SET work_order_id = {wo}, sequence = sequence + 1000"
        f" WHERE work_order_id = {OTHER}",
        "work_order_id",
    ),
    "move a line": (f"UPDATE task_sync.work_order_material SET work_order_id = {OTHER} WHERE id > 0", "work_order_id"),
    "renumber a line": ("UPDATE task_sync.work_order_product SET id = id + 1000 WHERE work_order_id = {wo}", "id"),
    "move a link": (
        f"UPDATE task_sync.work_order_artwork SET work_order_id = {OTHER} WHERE work_order_id = {{wo}}",
        "work_order_id",
    ),
    "mark by hand": ("SELECT task_sync_internal._mark(ARRAY[{wo}]::bigint[])", None),
    "dismiss by hand": (
        "SELECT task_sync_internal._dismiss(ARRAY(SELECT t FROM task_sync.task t WHERE work_order_id = {wo}))",
        None,
    ),
}


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("what", sorted(BOOK_WRITES))
def test_no_reader_or_writer_writes_the_books(
    refusal: tuple[psycopg.Connection[Any], int, dict[str, str]], group: str, what: str
) -> None:
    conn, wo, login = refusal
    sql, column = BOOK_WRITES[what]
    _refused(conn, login[group], sql.format(wo=wo), column if group == "task_sync_writer" else None)


def test_the_applying_setting_does_not_hide_a_delete_from_the_dismissals(
    conn: psycopg.Connection[Any], login: dict[str, str], synced: tuple[Builder, int]
) -> None:
    b, wo = synced
    writer = login["task_sync_writer"]
    (draft,) = [t for t in b.tasks(wo) if t["task_type"] == "die_cutting"]
    conn.execute(f"SET SESSION AUTHORIZATION {writer}")
    try:
        with conn.transaction():
            conn.execute("SET LOCAL task_sync.applying = on")
            conn.execute("DELETE FROM task_sync.task WHERE id = %s", (draft["id"],))
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    row = conn.execute(
        "SELECT dismissed_by FROM task_sync.task_dismissal WHERE task_id = %s", (draft["id"],)
    ).fetchone()
    assert row == (writer,), "the delete was not recorded as a dismissal"
    assert all(i["action"] != "add" or i["task_type"] != "die_cutting" for i in b.preview(wo)["items"])


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("work_order", "INSERT INTO task_sync.work_order (id, order_number) VALUES ({bad}, 'NEG')"),
        (
            "work_order_process",
            "INSERT INTO task_sync.work_order_process (id, work_order_id, process_id, sequence)"
            " SELECT {bad}, {wo}, id, 99 FROM task_sync.process WHERE code = 'PACK'",
        ),
        (
            "work_order_material",
            "INSERT INTO task_sync.work_order_material (id, work_order_id, material_id, quantity)"
            " SELECT {bad}, {wo}, id, 1 FROM task_sync.material LIMIT 1",
        ),
        (
            "work_order_product",
            "INSERT INTO task_sync.work_order_product (id, work_order_id, product_id, quantity)"
            " SELECT {bad}, {wo}, id, 1 FROM task_sync.product LIMIT 1",
        ),
        ("task", "INSERT INTO task_sync.task (id, work_order_id, task_type) VALUES ({bad}, {wo}, 'manual')"),
    ],
)
@pytest.mark.parametrize("bad", [0, -1])
def test_ids_are_positive(
    refusal: tuple[psycopg.Connection[Any], int, dict[str, str]], table: str, sql: str, bad: int
) -> None:
    conn, wo, login = refusal
    err = _as(conn, login["task_sync_writer"], sql.format(bad=bad, wo=wo))
    assert err.sqlstate == "23514", f"{err.sqlstate}: {err}"
    assert err.diag.constraint_name == f"{table}__id_check"


def test_writer_keeps_all_it_needs(conn: psycopg.Connection[Any], login: dict[str, str]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    writer = login["task_sync_writer"]
    ids = {
        "process": b.process_id("PACK"),
        "material": conn.execute("SELECT id FROM task_sync.material LIMIT 1").fetchone()[0],  # type: ignore[index]
        "product": conn.execute("SELECT id FROM task_sync.product LIMIT 1").fetchone()[0],  # type: ignore[index]
        "artwork": b.catalog("artwork", "ART-X", "Extra"),
    }
    conn.execute(f"SET SESSION AUTHORIZATION {writer}")
    try:
        # work orders and their inputs
        new_wo = conn.execute(
            "INSERT INTO task_sync.work_order (id, order_number, production_quantity) VALUES (900001, 'W-1', 10)"
            " RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "UPDATE task_sync.work_order SET order_number = 'W-1b', production_quantity = 11,"
            " status = 'in_progress', approval_status = 'pending' WHERE id = %s",
            (new_wo,),
        )
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 4500 WHERE id = %s", (wo,))
        route = conn.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES (%s, %s, 500)"
            " RETURNING id",
            (wo, ids["process"]),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute("UPDATE task_sync.work_order_process SET sequence = 501 WHERE id = %s", (route,))
        conn.execute("INSERT INTO task_sync.work_order_artwork VALUES (%s, %s)", (wo, ids["artwork"]))
        conn.execute(
            "UPDATE task_sync.work_order_material SET quantity = 1400, need_cutting = true WHERE work_order_id = %s",
            (wo,),
        )
        line = conn.execute(
            "INSERT INTO task_sync.work_order_product (work_order_id, product_id, quantity) VALUES (%s, %s, 5)"
            " RETURNING id",
            (wo, ids["product"]),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute("UPDATE task_sync.work_order_product SET quantity = 6 WHERE id = %s", (line,))
        conn.execute("DELETE FROM task_sync.work_order_product WHERE id = %s", (line,))
        conn.execute("DELETE FROM task_sync.work_order WHERE id = %s", (new_wo,))
        # sync, then edit and delete tasks, insert a manual one
        result = conn.execute("SELECT task_sync.execute(%s, true)", (wo,)).fetchone()[0]  # type: ignore[index]
        assert result["added"] > 0 and result["sync_run_id"] is not None
        conn.execute(
            "UPDATE task_sync.task SET work_content = 'by hand', production_quantity = 1, quantity_completed = 0,"
            " status = 'draft' WHERE work_order_id = %s AND task_type = 'printing'",
            (wo,),
        )
        conn.execute(
            "UPDATE task_sync.task SET status = 'pending' WHERE work_order_id = %s AND task_type = 'general'", (wo,)
        )
        manual = conn.execute(
            "INSERT INTO task_sync.task (work_order_id, task_type, work_content, production_quantity)"
            " VALUES (%s, 'inspection', 'check', 1) RETURNING id, origin",
            (wo,),
        ).fetchone()
        assert manual is not None and manual[1] == "manual"
        (die_task,) = conn.execute(
            "SELECT id FROM task_sync.task WHERE work_order_id = %s AND task_type = 'die_cutting'", (wo,)
        ).fetchall()
        conn.execute("DELETE FROM task_sync.task WHERE id = %s", die_task)
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 4600 WHERE id = %s", (wo,))
        assert conn.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone() == (1,)
        conn.execute("LISTEN task_sync")
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    # the books name the writer, not the owner whose rights the engine runs with
    assert conn.execute(
        "SELECT array_agg(DISTINCT run_by), array_agg(DISTINCT via ORDER BY via) FROM task_sync.sync_run"
        " WHERE work_order_id = %s",
        (wo,),
    ).fetchone() == ([writer], ["execute", "sync_pending"])
    assert conn.execute(
        "SELECT dismissed_by FROM task_sync.task_dismissal WHERE task_id = %s", die_task
    ).fetchone() == (writer,)
    assert b.versions(wo)[0] == b.versions(wo)[1], "the writer's syncs left the work order pending"


def test_set_role_is_who_the_audit_names(conn: psycopg.Connection[Any], login: dict[str, str]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("SET ROLE task_sync_writer")
    try:
        conn.execute("SELECT task_sync.execute(%s, true)", (wo,))
    finally:
        conn.execute("RESET ROLE")
    assert conn.execute("SELECT run_by FROM task_sync.sync_run WHERE work_order_id = %s", (wo,)).fetchone() == (
        "task_sync_writer",
    )
