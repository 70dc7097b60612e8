"""TaskSync: one method per SQL function of the ``task_sync`` schema."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg import pq
from psycopg.rows import class_row, dict_row

from . import _queries as q
from ._resources import known_revisions
from .errors import SchemaNotInstalled, SchemaTooNew, translate
from .models import BatchResult, PendingWorkOrder, PlanItem, SyncPlan, SyncResult

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection as SAConnection

T = TypeVar("T")

#: SQLSTATEs after which the same call, run again in a new transaction, can succeed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


class TaskSync:
    """Thin wrapper over the ``task_sync`` SQL functions.

    ``conn`` is a psycopg 3 connection, or a SQLAlchemy ``Connection`` whose driver is psycopg.
    The caller owns transactions: nothing here commits or rolls back work the caller started.
    When a call starts the transaction itself (autocommit connection, or a connection with no
    transaction open) and fails with a serialization failure (40001) or a deadlock (40P01), it is
    retried with backoff, up to ``max_attempts`` times in all.
    """

    def __init__(self, conn: psycopg.Connection[Any] | SAConnection, *, max_attempts: int = 5) -> None:
        self._conn = conn
        self._max_attempts = max(1, max_attempts)
        self._schema_checked = False
        #: how many calls were run again after a serialization failure or deadlock
        self.retries = 0

    # -- the SQL API ---------------------------------------------------------------------------

    def preview(self, work_order_id: int) -> SyncPlan:
        """What a sync of the work order would do now, item by item; changes nothing."""
        doc = self._one(q.PREVIEW, {"work_order_id": work_order_id})["doc"]
        return SyncPlan.from_json(doc)

    def plan(self, work_order_id: int) -> list[PlanItem]:
        """The items of :meth:`preview` as a list (``task_sync.plan``)."""
        return self._run(lambda cur: _fetch(cur, PlanItem, q.PLAN, {"work_order_id": work_order_id}))

    def execute(
        self,
        work_order_id: int,
        *,
        confirm: bool = False,
        expected_plan_hash: str | None = None,
        overwrite_edits: bool = False,
        restore_dismissed: bool = False,
    ) -> SyncResult:
        """Sync one work order atomically.

        Pass ``expected_plan_hash`` (from :meth:`preview`) so that what was shown is what is
        applied: a changed plan raises :class:`~pytask_sync.errors.StalePlan` and changes nothing.
        """
        doc = self._one(
            q.EXECUTE,
            {
                "work_order_id": work_order_id,
                "confirmed": confirm,
                "expected_plan_hash": expected_plan_hash,
                "overwrite_edits": overwrite_edits,
                "restore_dismissed": restore_dismissed,
            },
        )["doc"]
        return SyncResult(**doc)

    def check_sync_needed(self, work_order_id: int) -> bool:
        """True when an input of the work order changed since its last sync."""
        return bool(self._one(q.CHECK_SYNC_NEEDED, {"work_order_id": work_order_id})["needed"])

    def pending(self, limit: int | None = None) -> list[PendingWorkOrder]:
        """Work orders that need a sync and may be synced, longest waiting first."""
        return self._run(lambda cur: _fetch(cur, PendingWorkOrder, q.PENDING, {"limit": limit}))

    def sync_pending(self, limit: int | None = None) -> list[BatchResult]:
        """Sync pending work orders set-based, skipping those other sessions hold."""
        return self._run(lambda cur: _fetch(cur, BatchResult, q.SYNC_PENDING, {"limit": limit}))

    # -- plumbing ------------------------------------------------------------------------------

    def _driver(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if isinstance(conn, psycopg.Connection):
            return conn
        from sqlalchemy.engine import Connection as SAConnection

        if isinstance(conn, SAConnection):
            if not conn.in_transaction():
                conn.begin()  # what SQLAlchemy's autobegin does on a first statement
            raw = conn.connection.driver_connection
            if isinstance(raw, psycopg.Connection):
                return raw
        raise TypeError("TaskSync needs a psycopg 3 connection or a SQLAlchemy Connection on psycopg")

    def _one(self, query: str, params: Mapping[str, Any]) -> dict[str, Any]:
        def run(cur: psycopg.Cursor[Any]) -> dict[str, Any]:
            with cur.connection.cursor(row_factory=dict_row) as c:
                c.execute(query, params)
                row = c.fetchone()
            assert row is not None
            return row

        return self._run(run)

    def _run(self, fn: Callable[[psycopg.Cursor[Any]], T]) -> T:
        """Run ``fn`` with a cursor; our SQLSTATEs become our exceptions; retry when it is ours to."""
        conn = self._driver()
        owns_transaction = conn.info.transaction_status == pq.TransactionStatus.IDLE
        attempt = 0
        while True:
            attempt += 1
            try:
                if not self._schema_checked:
                    self._check_schema(conn)
                with conn.cursor() as cur:
                    return fn(cur)
            except psycopg.Error as exc:
                ours = translate(exc)
                if ours is not None:
                    raise ours from exc
                retry = owns_transaction and exc.sqlstate in RETRYABLE_SQLSTATES and attempt < self._max_attempts
                if not retry:
                    raise
                self.retries += 1
                if not conn.autocommit:
                    conn.rollback()  # the failed transaction was started by this call
                time.sleep(min(1.0, 0.02 * 2**attempt) * (0.5 + random.random()))

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        with conn.cursor(row_factory=dict_row) as cur:
            state = cur.execute(q.SCHEMA_STATE).fetchone()
            assert state is not None
            if not state["installed"]:
                raise SchemaNotInstalled("the database has no task_sync schema", hint="run: pytask-sync migrate")
            if state["versioned"]:
                row = cur.execute(q.SCHEMA_REVISION).fetchone()
                revision = row["version_num"] if row else None
                known = known_revisions()
                if revision is not None and revision not in known:
                    raise SchemaTooNew(
                        f"the database is at schema revision {revision}, which this pytask_sync "
                        f"does not know (it knows up to {known[-1]})",
                        hint="upgrade pytask_sync to the version that migrated this database",
                    )
                if revision != known[-1]:
                    raise SchemaNotInstalled(
                        f"the database is at schema revision {revision}, not {known[-1]}",
                        hint="run: pytask-sync migrate",
                    )
        self._schema_checked = True


def _fetch(cur: psycopg.Cursor[Any], cls: type[T], query: str, params: Mapping[str, Any]) -> list[T]:
    with cur.connection.cursor(row_factory=class_row(cls)) as c:
        c.execute(query, params)
        return c.fetchall()
