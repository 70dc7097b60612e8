"""No one work order, writer or closed job can stall, fail or slow the fleet (sync_pending and
the marks under an application's foreign keys, closed jobs, notifications, statement_timeout and
large backlogs). Each test replays a finding of the adversarial round; each failed before the
change it guards.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync.worker import drain
from tests.builders import Builder, bulk_jobs
from tests.concurrency import Background


def _changed(conn: psycopg.Connection[Any], *wos: int) -> None:
    """An edit of each work order, one transaction each, oldest first."""
    for wo in wos:
        conn.execute(
            "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
        )


@pytest.fixture
def time_entries(conn: psycopg.Connection[Any]) -> None:
    """An application's table pointing at tasks (its rows keep a task from being deleted)."""
    conn.execute(
        "CREATE TABLE public.time_entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " task_id bigint NOT NULL REFERENCES task_sync.task (id), minutes integer NOT NULL)"
    )


def test_a_work_order_whose_apply_fails_does_not_stop_the_others(
    conn: psycopg.Connection[Any], time_entries: None
) -> None:
    """Item 2: a time entry on a draft the next sync must remove made every sync_pending fail with
    23503, and the other changed work orders were never synced."""
    b = Builder(conn)
    wos = bulk_jobs(conn, 3)
    ts = TaskSync(conn)
    assert len(ts.sync_pending()) == 3
    first = wos[0]
    (printing,) = [t["id"] for t in b.tasks(first) if t["task_type"] == "printing"]
    conn.execute("INSERT INTO public.time_entry (task_id, minutes) VALUES (%s, 15)", (printing,))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (first,))  # removes the draft
    _changed(conn, wos[1], wos[2])

    assert sorted(r.work_order_id for r in ts.sync_pending(100)) == [wos[1], wos[2]]
    (pending,) = ts.pending()
    assert pending.work_order_id == first
    assert pending.last_error is not None and pending.last_error.startswith("23503:")
    assert pending.retry_after is not None
    # passed over until retry_after: the next calls do not try it again
    assert ts.sync_pending(100) == [] and ts.sync_pending(100) == []
    failures = conn.execute("SELECT failures FROM task_sync.sync_failure WHERE work_order_id = %s", (first,))
    assert failures.fetchone() == (1,)
    # a change of its inputs: tried again at once (and still failing)
    _changed(conn, first)
    assert ts.sync_pending(100) == []
    assert conn.execute(
        "SELECT failures FROM task_sync.sync_failure WHERE work_order_id = %s", (first,)
    ).fetchone() == (2,)
    # the application lets go of the draft: the next change syncs it, and the failure is forgotten
    conn.execute("DELETE FROM public.time_entry")
    _changed(conn, first)
    assert [r.work_order_id for r in ts.sync_pending(100)] == [first]
    assert conn.execute("SELECT count(*) FROM task_sync.sync_failure").fetchone() == (0,)
    assert ts.pending() == []


def test_a_failure_among_many_is_found_by_halves(conn: psycopg.Connection[Any], time_entries: None) -> None:
    b = Builder(conn)
    wos = bulk_jobs(conn, 40)
    ts = TaskSync(conn)
    ts.sync_pending()
    bad = [wos[7], wos[30]]
    for wo in bad:
        (printing,) = [t["id"] for t in b.tasks(wo) if t["task_type"] == "printing"]
        conn.execute("INSERT INTO public.time_entry (task_id, minutes) VALUES (%s, 5)", (printing,))
        conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
    _changed(conn, *[w for w in wos if w not in bad])
    synced = {r.work_order_id for r in ts.sync_pending()}
    assert synced == set(wos) - set(bad)
    assert sorted(r[0] for r in conn.execute("SELECT work_order_id FROM task_sync.sync_failure")) == sorted(bad)


def test_a_key_share_holder_on_a_draft_makes_it_busy_not_waited_for(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    """Item 2, the variant: a session holding FOR KEY SHARE on a draft the sync must remove (as an
    application's foreign key check does) made sync_pending wait until it ended."""
    b = Builder(conn)
    wos = bulk_jobs(conn, 2)
    ts = TaskSync(conn)
    ts.sync_pending()
    (printing,) = [t["id"] for t in b.tasks(wos[0]) if t["task_type"] == "printing"]
    holder = connect(autocommit=False)
    holder.execute("SELECT FROM task_sync.task WHERE id = %s FOR KEY SHARE", (printing,))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wos[0],))
    _changed(conn, wos[1])
    batch = connect()
    result = Background(lambda: [r.work_order_id for r in TaskSync(batch).sync_pending()])
    deadline = time.monotonic() + 10
    while not result.done() and time.monotonic() < deadline:
        blockers = conn.execute("SELECT pg_blocking_pids(%s)", (batch.info.backend_pid,)).fetchone()
        assert blockers == ([],), "sync_pending waited for the session holding the draft"
        time.sleep(0.01)
    assert result.result() == [wos[1]]
    assert [p.work_order_id for p in ts.pending()] == [wos[0]]  # busy, not failed
    assert conn.execute("SELECT count(*) FROM task_sync.sync_failure").fetchone() == (0,)
    holder.rollback()
    assert [r.work_order_id for r in ts.sync_pending()] == [wos[0]]


def test_marks_of_closed_jobs_are_parked_and_come_back_on_reopening(conn: psycopg.Connection[Any]) -> None:
    """Item 5: rule changes marked every closed job, nothing took those marks in, and the search for
    work read them all on every call. They are parked, one row per work order, and counted."""
    b = Builder(conn)
    wos = bulk_jobs(conn, 12)
    ts = TaskSync(conn)
    ts.sync_pending()
    closed = wos[1:]
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = ANY (%s)", (closed,))
    for n in range(3):  # three template changes, each followed by a sync of everything
        conn.execute(
            "UPDATE task_sync.generation_rule SET content_template = %s WHERE process_code = 'PRT'",
            (f"{{order_number}} printing v{n}",),
        )
        assert [r.work_order_id for r in ts.sync_pending()] == [wos[0]]
    marks = conn.execute(
        "SELECT count(*) FROM task_sync.work_order_mark WHERE work_order_id = ANY (%s)", (closed,)
    ).fetchone()
    assert marks == (0,)
    parked = dict(
        conn.execute("SELECT work_order_id, weight FROM task_sync.work_order_mark_parked").fetchall()  # type: ignore[arg-type]
    )
    assert parked == dict.fromkeys(closed, 3)
    # still counted: a closed job whose rules changed needs a sync, three changes' worth
    assert ts.check_sync_needed(closed[0])
    plan = ts.preview(closed[0])
    assert plan.definition_version == plan.synced_version + 3 and plan.summary.update == 1
    # reopening brings them back as one mark of that weight: pending, synced, counted
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'pending' WHERE id = %s", (closed[0],))
    (pending,) = ts.pending()
    assert (pending.work_order_id, pending.definition_version - pending.synced_version) == (closed[0], 3)
    (result,) = ts.sync_pending()
    assert result.updated == 1
    assert not ts.check_sync_needed(closed[0])
    assert ts.preview(closed[0]).synced_version == plan.definition_version
    # a deleted closed job takes its parked marks with it
    conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s", (closed[1],))
    conn.execute("DELETE FROM task_sync.work_order WHERE id = %s", (closed[1],))
    assert conn.execute(
        "SELECT count(*) FROM task_sync.work_order_mark_parked WHERE work_order_id = %s", (closed[1],)
    ).fetchone() == (0,)
    assert b.versions(wos[0])[0] == b.versions(wos[0])[1]


def test_only_a_work_order_that_was_not_pending_is_announced(conn: psycopg.Connection[Any], connect: Any) -> None:
    """Item 7: every marking transaction sent NOTIFY, whose lock at commit made edits of different
    work orders commit one at a time. Only the first change since a sync is announced."""
    wos = bulk_jobs(conn, 2)
    ts = TaskSync(conn)
    ts.sync_pending()
    listener = connect()
    listener.execute("LISTEN task_sync")

    def heard() -> list[str]:
        return [n.payload for n in listener.notifies(timeout=0.3, stop_after=50)]

    _changed(conn, wos[0])
    _changed(conn, wos[0])  # pending already: not announced again
    _changed(conn, wos[1])
    assert heard() == [str(wos[0]), str(wos[1])]
    ts.sync_pending()
    _changed(conn, wos[0])  # synced meanwhile: announced again
    assert heard() == [str(wos[0])]


# slow: waits out statement timeouts on purpose (2 s)
@pytest.mark.slow
def test_the_worker_passes_over_a_work_order_that_outlasts_statement_timeout(
    conn: psycopg.Connection[Any], connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Item 6: under a DBA's statement_timeout the worker halved its batches down to one, then
    crawled one by one with a full pending() per work order, took a busy one for a big one, and
    rediscovered the big one on every drain."""
    wos = bulk_jobs(conn, 60)
    big = wos[0]  # the oldest: it heads every batch
    conn.execute(
        "CREATE FUNCTION public.slow_sync() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$BEGIN IF EXISTS (SELECT FROM new_rows WHERE work_order_id = {big}) THEN PERFORM pg_sleep(5); END IF;"
        " RETURN NULL; END$$"
    )
    conn.execute(
        "CREATE TRIGGER slow_sync AFTER INSERT ON task_sync.sync_run REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION public.slow_sync()"
    )
    busy = wos[1]  # another session holds it: busy, never "too big"
    planner = connect(autocommit=False)
    planner.execute("SELECT FROM task_sync.work_order WHERE id = %s FOR NO KEY UPDATE", (busy,))
    worker = TaskSync(connect(options="-c statement_timeout=400"))
    too_big: set[int] = set()
    caplog.set_level(logging.WARNING, logger="pytask_sync.worker")
    started = time.monotonic()
    synced = drain(worker, batch=16, too_big=too_big)
    took = time.monotonic() - started
    assert too_big == {big}
    assert synced == 58  # every other one but the busy one, at full batches once the big one was named
    assert took < 10, took
    assert [r.message for r in caplog.records if "cannot be synced" in r.message] == [
        f"work order {big} cannot be synced within statement_timeout; it stays pending "
        "(sync it with execute and a longer timeout)"
    ]
    # a later drain passes over it at once: no batch is cancelled again
    planner.rollback()
    caplog.clear()
    assert drain(worker, batch=16, too_big=too_big) == 1
    assert not [r for r in caplog.records if "cancelled" in r.message]
    assert {p.work_order_id for p in TaskSync(conn).pending()} == {big}


@pytest.mark.slow
def test_one_call_never_overflows_the_subtransaction_cache(conn: psycopg.Connection[Any], connect: Any) -> None:
    """Item 8: sync_pending(NULL) over a large backlog ran one subtransaction per chunk of 500; past
    64 PostgreSQL's cache of them overflows and every reader of the database slows down. 33,000
    work orders took 66 before; a call commits 60 at most now."""
    if conn.info.server_version < 160000:
        pytest.skip("pg_stat_get_backend_subxact needs PostgreSQL 16")
    bulk_jobs(conn, 33_000)
    syncer = connect(autocommit=False)
    synced = syncer.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone()
    count, overflowed = conn.execute(
        "SELECT s.subxact_count, s.subxact_overflowed FROM pg_stat_get_backend_idset() AS b,"
        " pg_stat_get_backend_subxact(b) AS s WHERE pg_stat_get_backend_pid(b) = %s",
        (syncer.info.backend_pid,),
    ).fetchone()  # type: ignore[misc]
    syncer.commit()
    assert synced == (33_000,)
    assert count <= 64 and not overflowed, (count, overflowed)
