"""The bad-input catalogue of docs/errors.md: each input, its exact error, and nothing changed.

(Ids, confirmation, plan hashes, limits and work order states are covered per function in
tests/sql/; the CLI's connection errors in tests/cli/test_cli.py.)
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pytask_sync.cli import main
from pytask_sync.migrate import migrate
from tests.builders import Builder
from tests.sql.errors import raises_sqlstate

CASES = [
    ("negative production quantity", "UPDATE task_sync.work_order SET production_quantity = -1", "23514"),
    (
        "negative material quantity",
        "INSERT INTO task_sync.work_order_material (work_order_id, material_id, quantity)"
        " SELECT {wo}, id, -5 FROM task_sync.material LIMIT 1",
        "23514",
    ),
    ("negative product quantity", "UPDATE task_sync.work_order_product SET quantity = -2", "23514"),
    (
        # kinds are rows of task_sync.source_kind: an unknown one is a foreign key violation
        "unknown source_kind in a rule",
        "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
        " content_template) VALUES ('PRT', 'customer', 't', 'one', 'x')",
        "23503",
    ),
    (
        "unknown source_kind in a task",
        "INSERT INTO task_sync.task (work_order_id, task_type, source_kind, source_id)"
        " VALUES ({wo}, 'x', 'customer', 1)",
        "23503",
    ),
    (
        "unknown quantity_source in a rule",
        "UPDATE task_sync.generation_rule SET quantity_source = 'many' WHERE process_code = 'PRT'",
        "23514",
    ),
    (
        "a link's own quantity",
        "UPDATE task_sync.generation_rule SET quantity_source = 'source' WHERE process_code = 'PRT'",
        "23514",
    ),
    (
        "a rule set that would generate duplicate keys",
        "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
        " content_template) VALUES ('PRT', 'artwork', 'printing', 'one', 'again')",
        "23505",
    ),
    (
        "two default rules with one key",
        "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
        " content_template) VALUES (NULL, 'work_order', 'general', 'one', 'again')",
        "23505",
    ),
    (
        "a rule for an unknown process code",
        "INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source,"
        " content_template) VALUES ('NOPE', 'work_order', 'x', 'one', 'x')",
        "23503",
    ),
    (
        "duplicate sequence in a route",
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
        " SELECT {wo}, id, (SELECT min(sequence) FROM task_sync.work_order_process) FROM task_sync.process"
        " WHERE code = 'UV'",
        "23505",
    ),
    (
        "a task pointing at another work order's process",
        "INSERT INTO task_sync.task (work_order_id, work_order_process_id, task_type)"
        " SELECT {other}, id, 'x' FROM task_sync.work_order_process WHERE work_order_id = {wo} LIMIT 1",
        "23503",
    ),
    (
        "a generated task without a baseline",
        "INSERT INTO task_sync.task (work_order_id, origin, task_type, source_kind, source_id)"
        " VALUES ({wo}, 'generated', 'x', 'work_order', {wo})",
        "23514",
    ),
    ("an unknown task status", "UPDATE task_sync.task SET status = 'done'", "23514"),
    ("an unknown work order status", "UPDATE task_sync.work_order SET status = 'archived'", "23514"),
    (
        "an engine version below zero",
        "UPDATE task_sync.work_order SET synced_version = -1",
        "23514",
    ),
    (
        "deleting a process with formal tasks",
        "UPDATE task_sync.task SET status = 'in_progress' WHERE task_type = 'printing';"
        " DELETE FROM task_sync.work_order_process",
        "TSC04",
    ),
    ("deleting a work order that has tasks", "DELETE FROM task_sync.work_order WHERE id = {wo}", "23503"),
]


@pytest.fixture(scope="module")
def synced_job(module_conn: psycopg.Connection[Any]) -> tuple[psycopg.Connection[Any], int, int]:
    """One database for the module's refusals: a synced realistic job and another work order."""
    b = Builder(module_conn)
    wo = b.realistic()
    other = b.work_order()
    b.execute(wo)
    return module_conn, wo, other


@pytest.mark.parametrize(("what", "sql", "sqlstate"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_nothing_changed(
    synced_job: tuple[psycopg.Connection[Any], int, int], what: str, sql: str, sqlstate: str
) -> None:
    conn, wo, other = synced_job
    # each case in a transaction that is rolled back, so every case starts from the same job
    with conn.transaction(force_rollback=True), raises_sqlstate(conn, sqlstate), conn.transaction():
        conn.execute(sql.format(wo=wo, other=other))


def test_cli_refuses_a_database_migrated_by_a_newer_version(empty_dsn: str, capsys: Any) -> None:
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        c.execute("UPDATE task_sync.alembic_version SET version_num = '0099_later'")
    assert main(["--dsn", empty_dsn, "status"]) == 1
    err = capsys.readouterr().err
    assert "0099_later" in err and "upgrade pytask_sync" in err and len(err.strip().splitlines()) == 1
