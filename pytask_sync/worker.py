"""The sync worker: LISTEN on task_sync (or poll, behind a pooler), debounce bursts, sync what is pending in batches."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import psycopg
from psycopg import pq
from psycopg.rows import tuple_row

from . import _queries as q
from ._connection import behind_pooler
from .client import TaskSync
from .connector import use_default_loaders
from .models import BatchResult

log = logging.getLogger("pytask_sync.worker")

CHANNEL = q.CHANNEL


@dataclass
class WorkerStats:
    """What a worker did so far."""

    batches: int = 0
    synced: int = 0
    reconnects: int = 0


#: The DEBUG message sync_pending sends before it plans a chunk; its detail names the chunk.
SYNCING = "pytask_sync: syncing work orders"

#: Seconds between looks when the worker cannot LISTEN (its connection goes through a pooler).
POLL_WITHOUT_LISTEN = 5.0
#: Seconds between looks while it LISTENs (marks made while it was away, a lost notification).
POLL_WHILE_LISTENING = 30.0


class _Syncing:
    """The work orders ``sync_pending`` was syncing last on ``conn``, from its DEBUG messages.

    Those reach a client that asked for DEBUG messages (``client_min_messages``), even from a
    statement that ``statement_timeout`` then cancels: they name the work order it cut short. The
    statement asks for them itself, for its own transaction only (``TaskSync._sync_pending_naming``):
    a session setting would stay on a pooler's server connection for its next client.
    """

    def __init__(self, conn: psycopg.Connection[Any] | None) -> None:
        self.ids: list[int] = []
        self._conn = conn
        if conn is not None:
            conn.add_notice_handler(self._notice)

    def _notice(self, diag: psycopg.errors.Diagnostic) -> None:
        if diag.message_primary == SYNCING and diag.message_detail:
            self.ids = [int(x) for x in diag.message_detail.strip("{}").split(",") if x]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.remove_notice_handler(self._notice)


def _record_too_big(conn: psycopg.Connection[Any] | None, ids: list[int]) -> None:
    """Record that these work orders' syncs alone outlast statement_timeout (``sync_failure``).

    Then ``pending()`` says so (reason ``too_big``, with the limit) to every reader, not only this log.
    """
    if conn is None or conn.info.transaction_status != pq.TransactionStatus.IDLE:
        return  # inside the caller's failed transaction: nothing can be written now
    for wo in ids:
        try:
            conn.execute(q.RECORD_TOO_BIG, {"work_order_id": wo})
        except psycopg.Error as exc:  # a record is a courtesy; the drain goes on without it
            log.warning("could not record that work order %d is too big: %s", wo, exc)


def drain(
    ts: TaskSync,
    batch: int,
    on_batch: Callable[[list[BatchResult]], None] | None = None,
    stop: Callable[[], bool] | None = None,
    *,
    too_big: set[int] | None = None,
    limit: int | None = None,
) -> int:
    """Sync pending work orders in batches of ``batch``; returns how many were synced.

    It goes on until nothing syncable is pending, until ``limit`` work orders were synced, or until
    ``stop()`` is true (asked before every batch). ``sync_pending`` itself passes over work
    orders other sessions hold, and records the ones whose sync fails, so an empty batch means
    nothing can be synced right now.

    A batch cancelled by ``statement_timeout`` is tried again at half the size. When one work order
    alone takes longer than the timeout (the server names it, see :class:`_Syncing`), it is logged,
    added to ``too_big`` (kept by the caller across drains), passed over from then on, and the
    batches are back to full size: the others drain at batch speed. A work order that is merely
    busy is never taken for one: ``sync_pending`` does not wait for it.
    """
    total = 0
    size = max(1, batch)
    too_big = too_big if too_big is not None else set()
    conn = ts.connection if isinstance(ts.connection, psycopg.Connection) else None
    syncing = _Syncing(conn)
    try:
        while not (stop is not None and stop()) and (limit is None or total < limit):
            want = size if limit is None else min(size, limit - total)
            try:
                if conn is not None:
                    rows = ts._sync_pending_naming(want, sorted(too_big))
                else:
                    rows = ts.sync_pending(limit=want, skip=sorted(too_big))
            except psycopg.errors.QueryCanceled:
                if want > 1:
                    size = max(1, want // 2)
                    log.warning("a batch was cancelled (statement_timeout?): trying %d at a time", size)
                    continue
                if not syncing.ids:
                    raise
                too_big.update(syncing.ids)
                _record_too_big(conn, syncing.ids)
                for wo in syncing.ids:
                    log.error(
                        "work order %d cannot be synced within statement_timeout; it stays pending "
                        "(sync it with execute and a longer timeout)",
                        wo,
                    )
                size = max(1, batch)
                continue
            if not rows:
                return total
            total += len(rows)
            if on_batch is not None:
                on_batch(rows)
        return total
    finally:
        syncing.close()


class Worker:
    """Syncs pending work orders as they are marked.

    It LISTENs on ``task_sync``; a notification starts a short quiet period (``debounce``
    seconds) that gathers a burst, then everything pending is synced in batches. Every
    ``idle_poll`` seconds it syncs anyway, so marks made while it was away are not missed. When the
    connection breaks (the server restarted) it reconnects with backoff. ``stop()`` (or SIGINT /
    SIGTERM when installed with ``install_signal_handlers``) ends it after the current batch.

    Behind a connection pooler in transaction pooling (PgBouncer) a LISTEN is made on whichever
    server connection runs that transaction, and is left there: notifications never reach the
    worker. So it LISTENs only on a connection that is not pooled: ``listen`` (a direct connection
    used for LISTEN only, while the syncs go through ``connect``), else the ``connect`` one when
    :func:`~pytask_sync._connection.behind_pooler` says it is direct. When neither is, it says so
    once, at start, and syncs by polling every ``idle_poll`` seconds (default
    ``POLL_WITHOUT_LISTEN``, 5 s; while it listens, ``POLL_WHILE_LISTENING``, 30 s).
    """

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        *,
        batch: int = 100,
        debounce: float = 0.2,
        idle_poll: float | None = None,
        on_batch: Callable[[list[BatchResult]], None] | None = None,
        listen: Callable[[], psycopg.Connection[Any]] | None = None,
    ) -> None:
        self._connect = connect
        self._listen = listen
        self._batch = batch
        self._debounce = debounce
        self._idle_poll = idle_poll
        self._on_batch = on_batch
        self._stop = threading.Event()
        self._told = False  # the way it learns of changes was logged (once, at start)
        self.stats = WorkerStats()
        #: True while it listens; False while it polls because its connections are pooled
        self.listening: bool | None = None
        #: work orders whose sync alone outlasts statement_timeout: passed over from then on
        self.too_big: set[int] = set()

    def stop(self) -> None:
        """Ask the worker to finish after the current batch."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        """Stop cleanly on SIGINT and SIGTERM."""

        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s: stopping", signum)
            self.stop()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def _count(self, rows: list[BatchResult]) -> None:
        self.stats.batches += 1
        self.stats.synced += len(rows)
        if self._on_batch is not None:
            self._on_batch(rows)

    def _poll(self) -> float:
        if self._idle_poll is not None:
            return self._idle_poll
        return POLL_WHILE_LISTENING if self.listening else POLL_WITHOUT_LISTEN

    def run(self) -> WorkerStats:
        """Run until stopped."""
        backoff = 0.5
        lost = 0  # connection attempts since the connection was lost
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.autocommit = True
                    listener = self._listener(conn)
                    try:
                        if lost:
                            log.info("reconnected after %d attempt(s)", lost)
                        backoff, lost = 0.5, 0
                        self._serve(conn, listener)
                    finally:
                        if listener is not None and listener is not conn:
                            listener.close()
            except psycopg.OperationalError as exc:
                if self._stop.is_set():
                    break
                self.stats.reconnects += 1
                lost += 1
                log.warning("connection lost (%s); reconnecting in %.1fs", str(exc).splitlines()[0], backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        return self.stats

    def _listener(self, conn: psycopg.Connection[Any]) -> psycopg.Connection[Any] | None:
        """The connection LISTENing on the channel (``conn`` or the ``listen`` one), or None: poll."""
        listener: psycopg.Connection[Any] | None
        why = ""
        if self._listen is not None:
            listener = self._listen()
            listener.autocommit = True
            if behind_pooler(listener):
                listener.close()
                listener, why = None, "the LISTEN connection goes through a connection pooler too"
        else:
            listener = None if behind_pooler(conn) else conn
            why = "the connection goes through a connection pooler (transaction pooling cannot LISTEN)"
        if listener is not None:
            listener.execute(q.LISTEN)
        listening = listener is not None
        if not self._told or listening != self.listening:
            self.listening = listening
            if listening:
                log.info(
                    "listening on %s%s (batches of %d; looks anyway every %gs)",
                    CHANNEL,
                    " on its own connection" if listener is not conn else "",
                    self._batch,
                    self._poll(),
                )
            else:
                log.warning(
                    "not listening on %s: %s; syncing by polling every %gs (batches of %d). "
                    "Give the worker a direct connection for LISTEN (--listen-dsn) to sync as changes arrive.",
                    CHANNEL,
                    why,
                    self._poll(),
                    self._batch,
                )
            self._told = True
        return listener

    def _serve(self, conn: psycopg.Connection[Any], listener: psycopg.Connection[Any] | None) -> None:
        ts = TaskSync(conn)
        watch = self._drain(ts, conn)  # marked while no worker listened
        while not self._stop.is_set():
            got = self._wait(conn, listener, self._poll(), watch)
            if got and self._debounce > 0:
                deadline = time.monotonic() + self._debounce
                while (left := deadline - time.monotonic()) > 0 and not self._stop.is_set():
                    self._wait(conn, listener, left, [])
            if self._stop.is_set():
                return
            watch = self._drain(ts, conn)

    def _drain(self, ts: TaskSync, conn: psycopg.Connection[Any]) -> list[str]:
        """Drain; returns the ids of the transactions in progress when it found nothing more to do.

        Those may hold work the drain could not take: a work order they lock (``sync_pending``
        passes over it), or a mark made while the drain synced the same work order, which is not
        announced (it was pending then) and which that sync did not see (not committed yet). A
        marking transaction has its id before it looks for earlier marks (``_mark``), so it is in
        progress at the snapshot read here, before a last look that found nothing, or it committed
        before that look. ``_wait`` drains again as soon as one of them ends.
        """
        while True:
            running: list[str] = _value(conn, q.IN_PROGRESS_NOW, {})
            if drain(ts, self._batch, self._count, self._stop.is_set, too_big=self.too_big) == 0:
                return running

    def _wait(
        self,
        conn: psycopg.Connection[Any],
        listener: psycopg.Connection[Any] | None,
        timeout: float,
        watch: list[str],
    ) -> bool:
        """Wait up to ``timeout`` seconds (in short steps, to notice stop()) for notifications.

        True when one came on ``listener`` (never, without one); False at the timeout, or as soon
        as a transaction in ``watch`` ended.
        """
        deadline = time.monotonic() + timeout
        got = False
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if listener is None:
                self._stop.wait(min(left, 0.5))
            else:
                for _ in listener.notifies(timeout=min(left, 0.5), stop_after=1):
                    got = True
            if got:
                break
            if watch and _value(conn, q.STILL_IN_PROGRESS, {"xids": watch}) < len(watch):
                break
        return got


def _value(conn: psycopg.Connection[Any], query: str, params: dict[str, Any]) -> Any:
    """The one value ``query`` returns, loaded by psycopg's defaults (whatever ``conn`` registered)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        use_default_loaders(cur)
        row = cur.execute(query, params).fetchone()
    assert row is not None
    return row[0]
