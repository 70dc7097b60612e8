"""Grants, search_path pinning and roles, read from the catalogs and tried for real."""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.sql.errors import raises_sqlstate

READER_API = {
    "preview(bigint,boolean,boolean)",
    "plan(bigint,boolean,boolean)",
    "check_sync_needed(bigint)",
    "pending(integer)",
    "plan_pending(integer)",
}
WRITER_API = {"execute(bigint,boolean,text,boolean,boolean)", "sync_pending(integer,bigint[])"}
#: DBA tools: the schema owner only
OWNER_API = {"repair_marks()", "create_source_kind(text,boolean)", "drop_source_kind(text)", "prune_history(interval)"}
#: the only functions that run with the owner's rights: the two entry points that write the books,
#: pending()'s look for busy work orders (locks taken and released at once) and the record of a work
#: order too big for the worker's statement_timeout, and the triggers that mark and dismiss on behalf
#: of people's statements (a trigger function cannot be called directly). docs/security.md says why
#: each is safe.
SECURITY_DEFINER = {
    "execute(bigint,boolean,text,boolean,boolean)",
    "sync_pending(integer,bigint[])",
    "_busy(bigint[])",
    "_record_too_big(bigint)",
    "tg_task__dismiss()",
    "tg_task__guard_id()",
    "tg_task__mark()",
    "tg_work_order__forget_books()",
    "tg_work_order__mark()",
    "tg_work_order_input__mark()",
    "tg_work_order_process__forget_dismissals()",
}


def _functions(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT p.oid, regexp_replace(p.oid::regprocedure::text, '^task_sync(_internal)?\\.', ''),"
        " p.proconfig, p.prosqlbody IS NOT NULL, p.prosecdef, p.proacl::text[]"
        " FROM pg_proc p WHERE p.pronamespace IN ('task_sync'::regnamespace, 'task_sync_internal'::regnamespace)"
        " ORDER BY 2"
    ).fetchall()


def test_every_function_pins_its_search_path_or_is_bound_at_creation(conn: psycopg.Connection[Any]) -> None:
    funcs = _functions(conn)
    assert len(funcs) > 20
    for _, name, config, standard_body, _, _ in funcs:
        if standard_body:
            # a standard SQL body is parsed when created, under 00_schema.sql's pg_catalog search_path:
            # its names are bound then and no caller's search_path can change them
            assert config is None, name
            continue
        assert config is not None and "search_path=pg_catalog, pg_temp" in config, name


def test_no_function_is_executable_by_public_and_exactly_the_designed_ones_are_security_definer(
    conn: psycopg.Connection[Any],
) -> None:
    definers = set()
    for _, name, config, _, definer, acl in _functions(conn):
        assert acl is not None, f"{name} has default privileges (EXECUTE for PUBLIC)"
        assert not any(entry.startswith("=") for entry in acl), f"{name}: {acl}"
        if definer:
            definers.add(name)
            # a definer's search_path is pinned (not merely bound at creation): nothing of a caller's
            assert config is not None and "search_path=pg_catalog, pg_temp" in config, name
    assert definers == SECURITY_DEFINER


def test_trigger_functions_of_definers_cannot_be_called_directly(conn: psycopg.Connection[Any]) -> None:
    for name in sorted(SECURITY_DEFINER):
        if name.startswith("tg_"):
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute(f"SELECT task_sync_internal.{name}")


def test_roles_have_exactly_the_designed_rights(conn: psycopg.Connection[Any]) -> None:
    for oid, name, *_ in _functions(conn):
        sig = name
        reader = conn.execute("SELECT has_function_privilege('task_sync_reader', %s, 'EXECUTE')", (oid,)).fetchone()
        writer = conn.execute("SELECT has_function_privilege('task_sync_writer', %s, 'EXECUTE')", (oid,)).fetchone()
        if sig in READER_API:
            assert reader == (True,) and writer == (True,), sig
        elif sig in WRITER_API:
            assert reader == (False,) and writer == (True,), sig
        elif sig in OWNER_API:
            assert reader == (False,) and writer == (False,), sig
        elif not name.startswith("_") and not name.startswith("tg_"):
            raise AssertionError(f"public function {sig} has no designed role")
    for table in ("task", "work_order", "sync_run", "generation_rule"):
        assert conn.execute(
            "SELECT has_table_privilege('task_sync_reader', %s, 'SELECT'),"
            " has_table_privilege('task_sync_reader', %s, 'INSERT, UPDATE, DELETE')",
            (f"task_sync.{table}", f"task_sync.{table}"),
        ).fetchone() == (True, False)
    writer_dml = dict(
        conn.execute(
            "SELECT t, has_any_column_privilege('task_sync_writer', 'task_sync.' || t, 'UPDATE')"
            " FROM unnest(%s::text[]) t",
            (["task", "work_order", "work_order_process", "generation_rule", "process", "sync_run"],),
        ).fetchall()
    )
    assert writer_dml == {
        "task": True,
        "work_order": True,
        "work_order_process": True,
        "generation_rule": False,
        "process": False,
        "sync_run": False,
    }
    # whole rows: a writer may name every column of the tables it writes (ORMs do), none of the books'
    # own tables; the engine's columns of those tables are guarded by value (tg_any__guard_columns)
    updatable = {
        table: {
            col
            for (col,) in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
                " AND has_column_privilege('task_sync_writer', attrelid, attnum, 'UPDATE')",
                (f"task_sync.{table}",),
            )
        }
        for table in ("work_order", "task", "task_dismissal", "work_order_mark", "sync_run", "applying")
    }
    columns = {
        table: {
            col
            for (col,) in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (f"task_sync.{table}",),
            )
        }
        for table in ("work_order", "task")
    }
    assert updatable == {
        "work_order": columns["work_order"],
        "task": columns["task"],
        "task_dismissal": set(),
        "work_order_mark": set(),
        "sync_run": set(),
        "applying": set(),
    }
    # what the guards keep: every column of the books on every table writers write
    kept = {
        (table, "insert" if tgtype & 4 else "update"): [
            a.replace("''", "'")
            for a in re.findall(r"'((?:[^']|'')*)'", re.search(r"tg_any__guard_columns\((.*)\)$", ddl).group(1))  # type: ignore[union-attr]
        ]
        for table, tgtype, ddl in conn.execute(
            "SELECT c.relname, t.tgtype, pg_get_triggerdef(t.oid)"
            " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgfoid = 'task_sync_internal.tg_any__guard_columns()'::regprocedure"
            " AND c.relname IN ('work_order', 'work_order_process', 'task', 'work_order_product', 'work_order_artwork')"
        )
    }
    assert kept == {
        ("work_order", "insert"): ['{"synced_version": 0}'],
        ("work_order", "update"): ["id", "synced_version", "created_at"],
        ("work_order_process", "update"): ["id", "work_order_id"],
        ("task", "insert"): [
            '{"origin": "manual", "generated_work_content": null, "generated_production_quantity": null}'
        ],
        ("task", "update"): [
            "id",
            "work_order_id",
            "work_order_process_id",
            "origin",
            "task_type",
            "source_kind",
            "source_id",
            "generated_work_content",
            "generated_production_quantity",
            "created_at",
        ],
        ("work_order_product", "update"): ["work_order_id", "id"],
        ("work_order_artwork", "update"): ["work_order_id"],
    }


def test_reader_previews_but_cannot_sync_or_write(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("SET ROLE task_sync_reader")
    try:
        assert conn.execute("SELECT task_sync.preview(%s)->'summary'->>'add'", (wo,)).fetchone() == ("14",)
        assert conn.execute("SELECT count(*) FROM task_sync.plan(%s)", (wo,)).fetchone() == (14,)
        assert conn.execute("SELECT task_sync.check_sync_needed(%s)", (wo,)).fetchone() == (True,)
        assert conn.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (1,)
        for sql in (
            f"SELECT task_sync.execute({wo}, true)",
            "SELECT * FROM task_sync.sync_pending()",
            f"UPDATE task_sync.work_order SET production_quantity = 1 WHERE id = {wo}",
            f"DELETE FROM task_sync.work_order_artwork WHERE work_order_id = {wo}",
            f"INSERT INTO task_sync.task (work_order_id, task_type) VALUES ({wo}, 'x')",
        ):
            with raises_sqlstate(conn, "42501"):
                conn.execute(sql)
    finally:
        conn.execute("RESET ROLE")


def test_writer_syncs_and_edits_inputs_but_not_rules(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("SET ROLE task_sync_writer")
    try:
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 7 WHERE id = %s", (wo,))
        assert conn.execute("SELECT task_sync.execute(%s, true)->>'added'", (wo,)).fetchone() == ("14",)
        conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'general'", (wo,))
        assert conn.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone() == (0,)
        with raises_sqlstate(conn, "42501"):
            conn.execute("UPDATE task_sync.generation_rule SET content_template = 'x'")
        with raises_sqlstate(conn, "42501"):
            conn.execute("DELETE FROM task_sync.sync_run")
    finally:
        conn.execute("RESET ROLE")


def test_a_role_without_grants_gets_nothing(conn: psycopg.Connection[Any]) -> None:
    wo = Builder(conn).realistic()
    role = f"ts_nobody_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE ROLE {role}")
    try:
        conn.execute(f"SET ROLE {role}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT task_sync.preview(%s)", (wo,))
    finally:
        conn.execute("RESET ROLE")
        conn.execute(f"DROP ROLE {role}")


SHADOWS = """
CREATE SCHEMA shadow;
CREATE TABLE shadow.task (id bigint, work_order_id bigint);
CREATE TABLE shadow.work_order (id bigint);
CREATE FUNCTION shadow.replace(text, text, text) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'shadow.replace called'; END $$;
CREATE FUNCTION shadow.strpos(text, text) RETURNS integer LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'shadow.strpos called'; END $$;
CREATE FUNCTION shadow.sha256(bytea) RETURNS bytea LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'shadow.sha256 called'; END $$;
CREATE FUNCTION shadow.now() RETURNS timestamptz LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'shadow.now called'; END $$;
CREATE FUNCTION shadow.pg_notify(text, text) RETURNS void LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'shadow.pg_notify called'; END $$;
CREATE FUNCTION shadow._content_from_pre(text, text, text, text, text, text) RETURNS text LANGUAGE sql AS
    $$ SELECT 'HACKED' $$;
"""


@pytest.mark.parametrize("path", ["shadow, pg_catalog, task_sync", "shadow, task_sync, pg_catalog"])
def test_objects_earlier_on_the_callers_search_path_are_ignored(conn: psycopg.Connection[Any], path: str) -> None:
    b = Builder(conn)
    wo = b.realistic()
    expected = b.preview(wo)
    conn.execute(SHADOWS)
    conn.execute(f"SET search_path = {path}")
    try:
        assert b.preview(wo) == expected
        assert b.execute(wo)["added"] == 14
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 3 WHERE id = %s", (wo,))
        conn.execute("UPDATE task_sync.generation_rule SET content_template = content_template || '!'")
        assert b.execute(wo)["updated"] == 14
        assert all(t["work_content"].endswith("!") for t in b.tasks(wo))
    finally:
        conn.execute("RESET search_path")
