"""The LISTEN worker: syncs as work orders are marked, survives a lost connection, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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
