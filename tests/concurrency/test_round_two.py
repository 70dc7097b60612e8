"""Issue 33, items 2 to 6: failure rows that deadlocked two batches, work orders pending with no
word of why, clear errors at the edges, and books that grew without bound. Each test replays a
finding and failed before the change it guards."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync.worker import drain
from tests.builders import Builder, bulk_jobs
from tests.concurrency import Background, wait_until_blocked
from tests.sql.errors import raises_sqlstate


def _deadlocks(conn: psycopg.Connection[Any]) -> int:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute(  # type: ignore[no-any-return, index]
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()[0]


def _failing(conn: psycopg.Connection[Any], n: int) -> tuple[list[int], list[int]]:
    """n synced jobs; the first two hold an application's row on their printing drafts, and lost
    their artworks: their syncs must remove those drafts, and fail (23503)."""
    conn.execute("CREATE TABLE public.app_ref (task_id bigint REFERENCES task_sync.task (id))")
    wos = bulk_jobs(conn, n)
    TaskSync(conn).sync_pending()
    bad = wos[:2]
    for wo in bad:
        conn.execute(
            "INSERT INTO public.app_ref"
            " SELECT id FROM task_sync.task WHERE work_order_id = %s AND task_type = 'printing'",
            (wo,),
        )
        conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    return wos, bad


def _blocked_or_done(observer: psycopg.Connection[Any], pid: int, call: Background) -> None:
    """Wait until ``pid`` waits on a lock, or its call ended (what it does decides the test)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not call.done():
        if observer.execute("SELECT pg_blocking_pids(%s) <> '{}'", (pid,)).fetchone() == (True,):
            return
        time.sleep(0.01)


def test_two_batches_recording_each_others_failures_do_not_deadlock(
    conn: psycopg.Connection[Any], connect: Callable[..., Any]
) -> None:
    """Item 2: each session recorded a failure in its open transaction; the other, not seeing it,
    tried that work order again and waited on the failure row: deadlock detected."""
    _, (three, four) = _failing(conn, 4)
    before = _deadlocks(conn)
    a = connect(autocommit=False)
    b = connect(autocommit=False)
    a.execute("SELECT * FROM task_sync.sync_pending(NULL, %s)", ([four],))
    b.execute("SELECT * FROM task_sync.sync_pending(NULL, %s)", ([three],))
    second = Background(lambda: a.execute("SELECT * FROM task_sync.sync_pending()").fetchall())
    _blocked_or_done(conn, a.info.backend_pid, second)
    b.execute("SELECT * FROM task_sync.sync_pending()").fetchall()  # deadlock detected, before
    second.result()
    a.commit()
    b.commit()
    assert _deadlocks(conn) == before
    failed = conn.execute("SELECT work_order_id, reason FROM task_sync.sync_failure ORDER BY 1").fetchall()
    assert failed == [(three, "failed"), (four, "failed")]


def test_the_marks_of_a_work_order_that_keeps_failing_fold_into_one(conn: psycopg.Connection[Any]) -> None:
    """Item 6: a work order whose sync keeps failing kept one mark per editing transaction (12,000
    rows in a few seconds of edits); they are folded whenever a batch records its failure."""
    _, (bad, _) = _failing(conn, 3)
    ts = TaskSync(conn)
    for rounds in range(5):
        for _ in range(40):
            conn.execute(
                "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (bad,)
            )
        ts.sync_pending()
        (marks, weight) = conn.execute(
            "SELECT count(*), sum(weight) FROM task_sync.work_order_mark WHERE work_order_id = %s", (bad,)
        ).fetchone()  # type: ignore[misc]
        assert marks == 1, f"round {rounds}: {marks} marks"
    (row,) = [p for p in ts.pending() if p.work_order_id == bad]
    assert row.definition_version - row.synced_version == weight == 1 + 5 * 40  # no change is lost
    conn.execute("DELETE FROM public.app_ref")
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 1 WHERE id = %s", (bad,))
    assert [r.work_order_id for r in ts.sync_pending()] == [bad]  # the pause ended by the change
    assert ts.check_sync_needed(bad) is False


def test_pending_says_why_each_work_order_waits_and_what_to_do(
    conn: psycopg.Connection[Any], connect: Callable[..., Any]
) -> None:
    """Item 3: a work order passed over stayed pending with nothing that said why."""
    wos, (bad, _) = _failing(conn, 4)
    ts = TaskSync(conn)
    ts.sync_pending()
    b = Builder(conn)
    held, waiting = wos[2], wos[3]
    (draft,) = [t["id"] for t in b.tasks(held) if t["task_type"] == "printing"]
    conn.execute(
        "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = ANY(%s)",
        ([held, waiting],),
    )
    holder = connect(autocommit=False)
    holder.execute("SELECT FROM task_sync.task WHERE id = %s FOR KEY SHARE", (draft,))
    why = {p.work_order_id: (p.reason, p.advice) for p in ts.pending()}
    assert why[bad][0] == "failed" and f"execute({bad}, true)" in why[bad][1]
    assert why[held][0] == "busy"
    assert why[waiting][0] == "waiting"
    # the look for busy ones kept no lock: the holder's session can take its draft at once
    holder.execute("SET lock_timeout = '1s'")
    holder.execute("UPDATE task_sync.task SET work_content = 'held' WHERE id = %s", (draft,))
    holder.rollback()
    # the pause of the failed one over: it is retried
    conn.execute("UPDATE task_sync.sync_failure SET retry_after = now() - interval '1 second'")
    assert {p.work_order_id: p.reason for p in ts.pending()}[bad] == "retry"


# slow: waits out a statement timeout on purpose (about 2 s)
@pytest.mark.slow
def test_a_work_order_too_big_for_statement_timeout_says_so_with_the_limit(
    conn: psycopg.Connection[Any], connect: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Item 3: under statement_timeout = 1500ms, sync-pending passed over work order 100 (50,000
    drafts) and left no sync_failure row nor last_error: nothing said why it was stuck."""
    wos = bulk_jobs(conn, 5)
    big = wos[0]
    conn.execute(
        "CREATE FUNCTION public.slow_sync() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$BEGIN IF EXISTS (SELECT FROM new_rows WHERE work_order_id = {big}) THEN PERFORM pg_sleep(5); END IF;"
        " RETURN NULL; END$$"
    )
    conn.execute(
        "CREATE TRIGGER slow_sync AFTER INSERT ON task_sync.sync_run REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.slow_sync()"
    )
    worker = TaskSync(connect(options="-c statement_timeout=400"))
    caplog.set_level(logging.ERROR, logger="pytask_sync.worker")
    assert drain(worker, batch=8) == 4
    (row,) = TaskSync(conn).pending()
    assert row.work_order_id == big and row.reason == "too_big"
    assert row.last_error == "57014: its sync alone takes longer than statement_timeout (400ms)"
    assert "statement_timeout" in (row.advice or "") and f"execute({big}, true)" in (row.advice or "")
    # passed over by the next call (with or without the worker's memory of it)
    assert TaskSync(connect(options="-c statement_timeout=400")).sync_pending() == []


def test_two_owners_creating_one_source_kind_at_once_get_tsv01(
    conn: psycopg.Connection[Any], connect: Callable[..., Any]
) -> None:
    """Item 4: the second of two concurrent create_source_kind of one name got 23505 source_kind_pkey."""
    first = connect(autocommit=False)
    first.execute("SELECT task_sync.create_source_kind('ink')")
    second = connect()
    call = Background(lambda: second.execute("SELECT task_sync.create_source_kind('ink')"))
    wait_until_blocked(conn, second.info.backend_pid, first.info.backend_pid)
    first.commit()
    with pytest.raises(psycopg.Error) as refusal:
        call.result()
    assert refusal.value.sqlstate == "TSV01"
    assert "already exists" in str(refusal.value)
    assert conn.execute("SELECT count(*) FROM task_sync.source_kind WHERE kind = 'ink'").fetchone() == (1,)


# slow: writes a 270 MB value (several seconds, a gigabyte of memory)
@pytest.mark.slow
def test_a_value_too_large_for_the_guard_is_an_engine_error_naming_the_limit(
    conn: psycopg.Connection[Any], login: dict[str, str]
) -> None:
    """Item 5: 'string too long to represent as jsonb string' after 22 s, not an engine error."""
    b = Builder(conn)
    wo = b.work_order()
    (task,) = conn.execute(
        "INSERT INTO task_sync.task (work_order_id, task_type) VALUES (%s, 'note') RETURNING id", (wo,)
    ).fetchone()  # type: ignore[misc]
    conn.execute(f"SET SESSION AUTHORIZATION {login['task_sync_writer']}")
    try:
        with raises_sqlstate(conn, "TSV01") as refusal:
            conn.execute("UPDATE task_sync.task SET work_content = repeat('x', 270000000) WHERE id = %s", (task,))
    finally:
        conn.execute("RESET SESSION AUTHORIZATION")
    assert "268435455 bytes" in str(refusal.value)


def test_prune_history_removes_old_syncs_with_their_items(conn: psycopg.Connection[Any], login: dict[str, str]) -> None:
    """Item 6: the audit had no retention (sync_item: 100k rows, 45 MB after a few minutes)."""
    wos = bulk_jobs(conn, 30)
    ts = TaskSync(conn)
    ts.sync_pending()
    old = wos[:12]
    conn.execute(
        "UPDATE task_sync.sync_run SET ran_at = ran_at - interval '100 days' WHERE work_order_id = ANY(%s)", (old,)
    )
    items_kept = conn.execute(
        "SELECT count(*) FROM task_sync.sync_item WHERE NOT (work_order_id = ANY(%s))", (old,)
    ).fetchone()
    assert conn.execute("SELECT task_sync.prune_history(interval '90 days')").fetchone() == (12,)
    assert conn.execute("SELECT count(*) FROM task_sync.sync_run").fetchone() == (18,)
    assert conn.execute("SELECT count(*) FROM task_sync.sync_item").fetchone() == items_kept
    assert conn.execute("SELECT task_sync.prune_history(interval '90 days')").fetchone() == (0,)
    # more than one batch
    conn.execute("UPDATE task_sync.sync_run SET ran_at = ran_at - interval '1 day'")
    assert conn.execute("SELECT task_sync.prune_history(interval '0')").fetchone() == (18,)
    assert conn.execute("SELECT count(*) FROM task_sync.sync_item").fetchone() == (0,)
    with raises_sqlstate(conn, "TSV01"):
        conn.execute("SELECT task_sync.prune_history(NULL)")
    # the owner's alone
    for group in ("task_sync_reader", "task_sync_writer"):
        conn.execute(f"SET SESSION AUTHORIZATION {login[group]}")
        try:
            with raises_sqlstate(conn, "42501"):
                conn.execute("SELECT task_sync.prune_history(interval '1 day')")
        finally:
            conn.execute("RESET SESSION AUTHORIZATION")


def test_prune_history_works_in_batches(conn: psycopg.Connection[Any]) -> None:
    wos = bulk_jobs(conn, 1)
    # 2,500 audit rows of one work order (more than two batches), written as the owner
    conn.execute(
        "INSERT INTO task_sync.sync_run (work_order_id, ran_at, via, plan_hash, from_version, to_version,"
        " added, removed, updated, conflicts)"
        " SELECT %s, now() - interval '2 days', 'execute', 'x', g, g + 1, 0, 0, 0, 0 FROM generate_series(1, 2500) g",
        (wos[0],),
    )
    assert conn.execute("SELECT task_sync.prune_history(interval '1 day')").fetchone() == (2500,)
