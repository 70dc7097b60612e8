"""No writer statement, of any length, holds a sync (issue 33).

Each attack is a writer's statement held open (``pg_sleep`` in the same statement, or a COPY left
open) that tries to take an id, or a generation key, that a sync is about to insert. Meanwhile
``sync_pending`` and ``execute`` run with short lock and statement timeouts, and must succeed:
the writer's row is refused before any index entry of it exists, so nothing of the sync waits.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.builders import Builder
from tests.concurrency import Background, wait_until_blocked

NEXT = "(SELECT last_value FROM task_sync.task_id_seq)"

#: statements a writer holds open; {wo}: a synced work order; {next}: the sequence's next value
HELD = {
    "insert generated rows ahead of the sequence (writable CTE)": (
        "WITH i AS (INSERT INTO task_sync.task (id, work_order_id, origin, task_type, source_kind, source_id,"
        " generated_work_content, generated_production_quantity)"
        " SELECT g, {wo}, 'generated', 'x', 'work_order', g, 'x', 1"
        " FROM generate_series({next} + 1, {next} + 1000) g RETURNING 1)"
        " SELECT count(*), pg_sleep(30) FROM i"
    ),
    "insert manual rows ahead of the sequence (writable CTE)": (
        "WITH i AS (INSERT INTO task_sync.task (id, work_order_id, task_type)"
        " SELECT g, {wo}, 'x' FROM generate_series({next} + 1, {next} + 1000) g RETURNING 1)"
        " SELECT count(*), pg_sleep(30) FROM i"
    ),
    "renumber a task to the next id (writable CTE)": (
        "WITH u AS (UPDATE task_sync.task SET id = {next} + 1"
        " WHERE id = (SELECT min(id) FROM task_sync.task WHERE work_order_id = {wo}) RETURNING 1)"
        " SELECT count(*), pg_sleep(30) FROM u"
    ),
    "renumber tasks to the next ids (MERGE)": (
        "WITH m AS (MERGE INTO task_sync.task t USING (SELECT id FROM task_sync.task WHERE work_order_id = {wo}) s"
        " ON t.id = s.id WHEN MATCHED THEN UPDATE SET id = s.id + {next} RETURNING 1)"
        " SELECT count(*), pg_sleep(30) FROM m"
    ),
    "insert generated rows ahead of the sequence (MERGE)": (
        "WITH m AS (MERGE INTO task_sync.task t USING generate_series({next} + 1, {next} + 1000) g ON t.id = g"
        " WHEN NOT MATCHED THEN INSERT (id, work_order_id, origin, task_type, source_kind, source_id,"
        " generated_work_content, generated_production_quantity)"
        " VALUES (g, {wo}, 'generated', 'x', 'work_order', g, 'x', 1) RETURNING 1)"
        " SELECT count(*), pg_sleep(30) FROM m"
    ),
    "take the generation key a sync adds (manual task turned generated)": (
        "WITH u AS (UPDATE task_sync.task SET origin = 'generated', task_type = 'general', source_kind = 'work_order',"
        " source_id = work_order_id, work_order_process_id = {route}, generated_work_content = 'x',"
        " generated_production_quantity = 1"
        " WHERE id = {manual} RETURNING 1)"
        " SELECT count(*), pg_sleep(30) FROM u"
    ),
}


def _setup(conn: psycopg.Connection[Any]) -> tuple[Builder, int, int, int]:
    """A synced work order with a manual task, and a route row added since (its sync adds drafts)."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    (manual,) = conn.execute(
        "INSERT INTO task_sync.task (work_order_id, task_type) VALUES (%s, 'note') RETURNING id", (wo,)
    ).fetchone()  # type: ignore[misc]
    route = b.add_process(wo, "VAN")  # no rule of its own: the default rule adds one 'general' draft
    return b, wo, manual, route


def _wait_until_sleeping_or_done(observer: psycopg.Connection[Any], pid: int, held: Background) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not held.done():
        row = observer.execute("SELECT wait_event FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "PgSleep":
            return
        time.sleep(0.01)
    assert held.done(), "the writer's statement neither slept nor ended"


def _syncs_run_through(conn: psycopg.Connection[Any], connect: Callable[..., Any], wo: int) -> None:
    syncer = connect()
    syncer.execute("SET lock_timeout = '2s'")
    syncer.execute("SET statement_timeout = '4s'")
    with syncer.transaction(force_rollback=True):
        synced = syncer.execute("SELECT work_order_id, added FROM task_sync.sync_pending()").fetchall()
        assert synced == [(wo, 1)]
    result = syncer.execute("SELECT task_sync.execute(%s, true)", (wo,)).fetchone()[0]
    assert result["added"] == 1


@pytest.mark.parametrize("what", sorted(HELD))
def test_a_writer_statement_held_open_holds_no_sync(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], login: dict[str, str], what: str
) -> None:
    if "MERGE" in what and conn.info.server_version < 170000:
        pytest.skip("MERGE ... RETURNING inside WITH needs PostgreSQL 17 (the statement could not be held open)")
    _, wo, manual, route = _setup(conn)
    writer = connect()
    writer.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    (nxt,) = conn.execute(f"SELECT {NEXT}").fetchone()  # type: ignore[misc]
    statement = HELD[what].format(wo=wo, next=nxt, manual=manual, route=route)
    held = Background(lambda: writer.execute(statement))
    try:
        _wait_until_sleeping_or_done(conn, writer.info.backend_pid, held)
        _syncs_run_through(conn, connect, wo)
    finally:
        conn.execute("SELECT pg_cancel_backend(%s)", (writer.info.backend_pid,))
    with pytest.raises(psycopg.Error) as refusal:
        held.result()
    assert refusal.value.sqlstate in ("TSP01", "57014")


def test_a_copy_held_open_holds_no_sync(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], login: dict[str, str]
) -> None:
    """A writer's COPY into task is refused when it starts (row-level security: PostgreSQL does not
    let COPY FROM into such a table), so no row of it can take an id while its client waits."""
    _, wo, _, _ = _setup(conn)
    writer = connect()
    writer.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    (nxt,) = conn.execute(f"SELECT {NEXT}").fetchone()  # type: ignore[misc]
    copying = writer.cursor().copy(
        "COPY task_sync.task (id, work_order_id, origin, task_type, source_kind, source_id,"
        " generated_work_content, generated_production_quantity) FROM STDIN"
    )
    try:
        copy = copying.__enter__()
    except psycopg.Error as refusal:
        assert refusal.sqlstate == "0A000"
        _syncs_run_through(conn, connect, wo)
        return
    # enough rows that the client's buffer sends most of them (the first id is the sync's next)
    for g in range(nxt + 1, nxt + 20001):
        copy.write_row((g, wo, "generated", "x", "work_order", g, "x", 1))
    try:
        _syncs_run_through(conn, connect, wo)
    finally:
        conn.execute("SELECT pg_cancel_backend(%s)", (writer.info.backend_pid,))
        with contextlib.suppress(psycopg.Error):
            copying.__exit__(None, None, None)


def test_a_planners_edit_that_waited_for_a_route_deletion_goes_through(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], login: dict[str, str]
) -> None:
    """The sustained run of issue 33: a planner's UPDATE of a draft waited for a transaction that
    deleted the draft's route row (ON DELETE SET NULL); READ COMMITTED then writes the row as that
    transaction left it, with no process, and the row-level check compared it with the row as the
    statement's snapshot saw it (a process): TSP01 naming work_order_process_id."""
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    (draft, route) = conn.execute(
        "SELECT id, work_order_process_id FROM task_sync.task WHERE work_order_id = %s AND task_type = 'die_cutting'",
        (wo,),
    ).fetchone()  # type: ignore[misc]
    deleter = connect(autocommit=False)
    deleter.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    deleter.execute("DELETE FROM task_sync.work_order_process WHERE id = %s", (route,))
    planner = connect()
    planner.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    edit = Background(
        lambda: planner.execute("UPDATE task_sync.task SET work_content = 'by hand' WHERE id = %s", (draft,))
    )
    wait_until_blocked(conn, planner.info.backend_pid, deleter.info.backend_pid)
    deleter.commit()
    edit.result()
    assert conn.execute(
        "SELECT work_content, work_order_process_id FROM task_sync.task WHERE id = %s", (draft,)
    ).fetchone() == (
        "by hand",
        None,
    )
