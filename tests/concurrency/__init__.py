"""Helpers for tests with several sessions and an explicit order of steps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg


class Background:
    """Run ``fn`` in a thread; ``result()`` re-raises what it raised."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # handed to the test thread
            self._error = exc

    def result(self, timeout: float = 30) -> Any:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "background session did not finish"
        if self._error is not None:
            raise self._error
        return self._value

    def done(self) -> bool:
        return not self._thread.is_alive()


def wait_until_blocked(observer: psycopg.Connection[Any], pid: int, by: int | None = None, timeout: float = 20) -> None:
    """Wait until backend ``pid`` waits on a lock (held by backend ``by``, when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = observer.execute("SELECT pg_blocking_pids(%s)", (pid,)).fetchone()
        blockers = row[0] if row else []
        if blockers and (by is None or by in blockers):
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} never blocked")
