"""The LISTEN worker: syncs as work orders are marked, survives a lost connection, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync.worker import Worker
from tests.builders import Builder
from tests.concurrency import Background

# slow (the worker as a process of its own): pytest -m "not slow" leaves it out
pytestmark = pytest.mark.slow


def _eventually(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_worker_syncs_marked_work_orders_and_reconnects(conn: psycopg.Connection[Any], dsn: str) -> None:
    b = Builder(conn)
    ts = TaskSync(conn)
    early = b.realistic()  # marked before the worker listens: found by its first pass
    worker = Worker(
        lambda: psycopg.connect(dsn, application_name="worker-under-test"), batch=10, debounce=0.05, idle_poll=60
    )
    bg = Background(worker.run)
    try:
        _eventually(lambda: not ts.check_sync_needed(early))
        later = b.realistic()  # a NOTIFY wakes it up (the idle poll is a minute away)
        _eventually(lambda: not ts.check_sync_needed(later))
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'worker-under-test'"
        )
        _eventually(lambda: worker.stats.reconnects >= 1)
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 3 WHERE id = %s", (later,))
        _eventually(lambda: not ts.check_sync_needed(later))
    finally:
        worker.stop()
        stats = bg.result(timeout=10)
    assert stats.synced >= 3 and stats.reconnects >= 1


def _settled(conn: psycopg.Connection[Any], wo: int) -> bool:
    """Nothing pending and nothing to do: the work order's last change was synced."""
    row = conn.execute(
        "SELECT NOT task_sync.check_sync_needed(%(wo)s)"
        " AND NOT EXISTS (SELECT FROM task_sync.plan(%(wo)s) WHERE action <> 'keep')",
        {"wo": wo},
    ).fetchone()
    return bool(row and row[0])


LINE_EDIT = "UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = %s"


@contextmanager
def _worker_holder_editor(
    conn: psycopg.Connection[Any], dsn: str, wo: int
) -> Iterator[tuple[psycopg.Connection[Any], psycopg.Connection[Any]]]:
    """A worker that polls only once a minute, with ``wo`` synced; then a holder session that holds
    the work order's row (the worker must pass over it) and an editor session, both yielded."""
    worker = Worker(lambda: psycopg.connect(dsn, application_name="worker-under-test"), debounce=0, idle_poll=60)
    bg = Background(worker.run)
    try:
        _eventually(lambda: _settled(conn, wo))
        with psycopg.connect(dsn) as holder, psycopg.connect(dsn) as editor:
            holder.execute("SELECT FROM task_sync.work_order WHERE id = %s FOR NO KEY UPDATE", (wo,))
            yield holder, editor
    finally:
        worker.stop()
        bg.result(timeout=10)


def test_worker_looks_again_when_a_transaction_that_held_work_ends(conn: psycopg.Connection[Any], dsn: str) -> None:
    """A work order another transaction holds is passed over; and a mark made while the worker
    syncs the same work order is not announced (the work order was pending then) nor seen by that
    sync (not committed yet). Both are synced as soon as the transaction ends, not at the next poll
    (a minute away here). Explicit steps: a holder keeps the worker off the work order while an
    editor marks it."""
    wo = Builder(conn).realistic()
    with _worker_holder_editor(conn, dsn, wo) as (holder, editor):
        conn.execute(LINE_EDIT, (wo,))  # pending and announced: the worker passes over it (held)
        editor.execute(LINE_EDIT, (wo,))  # pending already: not announced
        time.sleep(0.5)
        assert TaskSync(conn).check_sync_needed(wo)
        holder.commit()  # the worker syncs the first edit; the editor's mark is not committed
        _eventually(lambda: not TaskSync(conn).check_sync_needed(wo))
        editor.commit()
        _eventually(lambda: _settled(conn, wo))


def test_a_mark_read_with_an_older_snapshot_is_announced(conn: psycopg.Connection[Any], dsn: str) -> None:
    """At REPEATABLE READ a transaction's snapshot can be older than its id: it saw the work order
    pending, the worker synced it meanwhile (before the transaction had an id to watch), and its
    mark came after. Such a mark is announced, so the worker hears of it at commit."""
    wo = Builder(conn).realistic()
    with _worker_holder_editor(conn, dsn, wo) as (holder, editor):
        conn.execute(LINE_EDIT, (wo,))  # pending; the worker passes over it (held)
        editor.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        editor.execute("SELECT count(*) FROM task_sync.work_order_mark")  # its snapshot: pending
        time.sleep(0.5)
        assert TaskSync(conn).check_sync_needed(wo)
        holder.commit()
        _eventually(lambda: _settled(conn, wo))  # synced while the editor had no id
        editor.execute(LINE_EDIT, (wo,))
        editor.commit()
        _eventually(
            lambda: (
                _settled(conn, wo)
                and conn.execute(
                    "SELECT count(*) = 0 FROM task_sync.work_order_mark WHERE work_order_id = %s", (wo,)
                ).fetchone()
                == (True,)
            )
        )


def test_worker_once_and_sigterm(conn: psycopg.Connection[Any], dsn: str) -> None:
    b = Builder(conn)
    wo = b.realistic()
    env = dict(os.environ, PYTASK_SYNC_DSN=dsn)
    once = subprocess.run(
        [sys.executable, "-m", "pytask_sync.cli", "worker", "--once"], env=env, capture_output=True, text=True
    )
    assert once.returncode == 0, once.stderr
    assert TaskSync(conn).check_sync_needed(wo) is False
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytask_sync.cli", "worker"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        assert "listening on task_sync" in proc.stderr.readline()  # its log, on stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "stopped after" in proc.stderr.read()
    finally:
        proc.kill()
