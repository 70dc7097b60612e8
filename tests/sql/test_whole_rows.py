"""Whole-row writes, as ORMs make them, by a login role in ``task_sync_writer``.

A writer may name any column of the tables it writes: an UPDATE that names every column with its
current value (Django's ``save()``) and an INSERT that names the engine's columns with their
defaults (an ORM with the defaults as Python defaults, or ``DEFAULT``) work and change nothing of
the books; any other value of an engine-owned column is refused with TSP01 naming the column, and
nothing changes (the other half is tests/sql/test_books.py). A task's id comes from its sequence, so
a writer can never take the id a sync draws next (the stall of issue 24, item 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.builders import Builder
from tests.concurrency import Background, wait_until_blocked
from tests.sql.errors import raises_sqlstate


@pytest.fixture
def writer(conn: psycopg.Connection[Any], login: dict[str, str]) -> Iterator[str]:
    """The session acts as the writer login role until the test ends."""
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    yield login["task_sync_writer"]
    conn.execute("RESET SESSION AUTHORIZATION")


def _columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum",
            (f"task_sync.{table}",),
        )
    ]


def _save(conn: psycopg.Connection[Any], table: str, where: str) -> None:
    """What Django's ``save()`` sends: every column set to the value the row holds."""
    cols = _columns(conn, table)
    conn.execute(
        sql.SQL(
            "UPDATE task_sync.{t} AS r SET ({cols}) = (SELECT {cols} FROM task_sync.{t} AS s WHERE s.ctid = r.ctid)"
            " WHERE {where}"
        ).format(
            t=sql.Identifier(table),
            cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
            where=sql.SQL(where),  # type: ignore[arg-type]
        )
    )


def test_saving_every_column_with_its_value_changes_nothing(
    conn: psycopg.Connection[Any], login: dict[str, str]
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    b.link(wo, "artwork", "ART-EXTRA")
    conn.execute("SELECT task_sync.execute(%s, true)", (wo,))
    before = b.snapshot()
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    try:
        for table in (
            "work_order",
            "work_order_process",
            "work_order_artwork",
            "work_order_material",
            "work_order_product",
            "task",
        ):
            _save(conn, table, f"work_order_id = {wo}" if table != "work_order" else f"id = {wo}")
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    assert b.snapshot() == before, "a whole-row save of unchanged rows changed something (or marked)"


def test_inserting_with_the_engine_columns_named_at_their_defaults(conn: psycopg.Connection[Any], writer: str) -> None:
    (wo,) = conn.execute(
        "INSERT INTO task_sync.work_order (order_number, production_quantity, status, approval_status,"
        " synced_version, created_at) VALUES ('ORM-1', 10, DEFAULT, DEFAULT, DEFAULT, DEFAULT) RETURNING id"
    ).fetchone()  # type: ignore[misc]
    conn.execute(
        # a Python default equal to the column's: 0
        "INSERT INTO task_sync.work_order (order_number, production_quantity, status, approval_status,"
        " synced_version, created_at) VALUES ('ORM-2', NULL, 'pending', 'pending', 0, now())"
    )
    (task, origin) = conn.execute(
        "INSERT INTO task_sync.task (id, work_order_id, work_order_process_id, status, origin, task_type,"
        " source_kind, source_id, work_content, production_quantity, quantity_completed,"
        " generated_work_content, generated_production_quantity, created_at)"
        " VALUES (DEFAULT, %s, NULL, 'draft', 'manual', 'inspection', NULL, NULL, 'check', 1, 0, NULL, NULL, DEFAULT)"
        " RETURNING id, origin",
        (wo,),
    ).fetchone()  # type: ignore[misc]
    assert task > 0 and origin == "manual"


@pytest.mark.parametrize(
    ("column", "statement"),
    [
        (
            "synced_version",
            "INSERT INTO task_sync.work_order (order_number, synced_version) VALUES ('ORM-X', 1)",
        ),
        (
            "origin",
            "INSERT INTO task_sync.task (work_order_id, task_type, origin, source_kind, source_id,"
            " generated_work_content, generated_production_quantity)"
            " VALUES ({wo}, 'general', 'generated', 'work_order', {wo}, 'x', 1)",
        ),
        (
            "generated_production_quantity",
            "INSERT INTO task_sync.task (work_order_id, task_type, generated_production_quantity)"
            " VALUES ({wo}, 'x', 3)",
        ),
        ("id", "INSERT INTO task_sync.task (id, work_order_id, task_type) VALUES (424242, {wo}, 'x')"),
        ("synced_version", "UPDATE task_sync.work_order SET synced_version = 7 WHERE id = {wo}"),
        ("created_at", "UPDATE task_sync.work_order SET created_at = created_at - interval '1 day' WHERE id = {wo}"),
        (
            "work_order_id",
            "UPDATE task_sync.work_order_process SET work_order_id = {wo}, sequence = sequence + 1000"
            " WHERE work_order_id = {other}",
        ),
        ("id", "UPDATE task_sync.work_order_product SET id = id + 1000 WHERE work_order_id = {wo}"),
        ("work_order_id", "UPDATE task_sync.work_order_die SET work_order_id = {other} WHERE work_order_id = {wo}"),
        ("generated_work_content", "UPDATE task_sync.task SET generated_work_content = 'x' WHERE work_order_id = {wo}"),
        ("task_type", "UPDATE task_sync.task SET task_type = 'renamed' WHERE work_order_id = {wo}"),
    ],
)
def test_another_value_of_an_engine_column_is_refused_naming_it(
    conn: psycopg.Connection[Any], login: dict[str, str], column: str, statement: str
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    other = b.work_order()
    b.add_process(other, "GLUE")  # never synced: no task points at its route row
    b.execute(wo)
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    try:
        with raises_sqlstate(conn, "TSP01") as refusal, conn.transaction():
            conn.execute(statement.format(wo=wo, other=other))
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    assert f"column {column} of task_sync." in refusal.value.diag.message_primary  # type: ignore[operator]


def test_the_owner_may_give_a_task_any_id(conn: psycopg.Connection[Any]) -> None:
    """A DBA's restore or repair writes ids of its own; only roles below the owner are guarded."""
    wo = Builder(conn).work_order()
    conn.execute("INSERT INTO task_sync.task (id, work_order_id, task_type) VALUES (987654, %s, 'restored')", (wo,))
    assert conn.execute("SELECT origin FROM task_sync.task WHERE id = 987654").fetchone() == ("manual",)


def test_a_writer_cannot_take_the_task_id_a_sync_draws_next(
    conn: psycopg.Connection[Any], connect: Any, login: dict[str, str]
) -> None:
    """Issue 24, item 1: a writer held the next id of the sequence in an open transaction; the batch
    waited for it, then failed on the key. The writer's id is refused before any row is written."""
    b = Builder(conn)
    wo = b.realistic()
    (next_id,) = conn.execute("SELECT last_value + 1 FROM task_sync.task_id_seq").fetchone()  # type: ignore[misc]
    planner = connect(autocommit=False)
    planner.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    with pytest.raises(psycopg.DatabaseError) as refusal:
        planner.execute(
            "INSERT INTO task_sync.task (id, work_order_id, task_type) VALUES (%s, %s, 'imported')", (next_id, wo)
        )
    assert refusal.value.sqlstate == "TSP01"
    planner.rollback()
    planner.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    # a run of ids ahead of the sequence, as in the report: none is taken
    for ahead in range(2, 12):
        with pytest.raises(psycopg.DatabaseError), planner.transaction():
            planner.execute(
                "INSERT INTO task_sync.task (id, work_order_id, task_type) VALUES (%s, %s, 'imported')",
                (next_id + ahead, wo),
            )
    # the planner keeps a transaction open with a manual task of its own (an id from the sequence)
    planner.execute("INSERT INTO task_sync.task (work_order_id, task_type) VALUES (%s, 'imported')", (wo,))
    syncer = connect()
    syncer.execute("SET lock_timeout = '5s'")
    synced = syncer.execute("SELECT added FROM task_sync.sync_pending()").fetchall()
    assert synced == [(14,)]
    planner.commit()


def test_a_route_row_whose_task_turns_formal_meanwhile_is_not_deleted(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    """Issue 24, item 4: the formal-task guard counted without locking, so a draft made formal in a
    transaction still open when the route row was deleted lost its process. The guard now waits
    for that transaction and then sees the task formal (TSC04)."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    (task, route) = conn.execute(
        "SELECT id, work_order_process_id FROM task_sync.task WHERE work_order_id = %s AND task_type = 'die_cutting'",
        (wo,),
    ).fetchone()  # type: ignore[misc]
    planner = connect(autocommit=False)
    planner.execute("UPDATE task_sync.task SET status = 'in_progress', quantity_completed = 10 WHERE id = %s", (task,))
    editor = connect()
    delete = Background(lambda: editor.execute("DELETE FROM task_sync.work_order_process WHERE id = %s", (route,)))
    wait_until_blocked(conn, editor.info.backend_pid, planner.info.backend_pid)
    planner.commit()
    with pytest.raises(psycopg.DatabaseError) as refusal:
        delete.result()
    assert refusal.value.sqlstate == "TSC04"
    assert conn.execute(
        "SELECT status, quantity_completed, work_order_process_id FROM task_sync.task WHERE id = %s", (task,)
    ).fetchone() == ("in_progress", 10, route)
