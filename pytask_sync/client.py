"""TaskSync: one method per SQL function of the ``task_sync`` schema."""

from __future__ import annotations

import operator
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg import pq
from psycopg.rows import class_row, dict_row

from . import _queries as q
from ._resources import known_revisions
from .errors import InvalidArgument, SchemaNotInstalled, SchemaTooNew, translate
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

    Arguments are checked before anything is sent: a value of the wrong type (``True``, ``1.5``
    or ``"42"`` for an id, ``"yes"`` for ``confirm``) raises ``TypeError``, and a number the SQL
    type cannot hold (an id above 2**63-1) raises :class:`~pytask_sync.errors.InvalidArgument`.
    Values the type can hold are judged by the server (a zero id, a negative limit and a
    malformed plan hash are ``InvalidArgument`` too, from its TSV01).
    """

    def __init__(self, conn: psycopg.Connection[Any] | SAConnection, *, max_attempts: int = 5) -> None:
        self._conn = conn
        self._max_attempts = max(1, max_attempts)
        self._schema_checked = False
        #: how many calls were run again after a serialization failure or deadlock
        self.retries = 0

    # -- the SQL API ---------------------------------------------------------------------------

    def preview(
        self, work_order_id: int, *, overwrite_edits: bool = False, restore_dismissed: bool = False
    ) -> SyncPlan:
        """What :meth:`execute` with the same flags would do now, item by item; changes nothing.

        With ``restore_dismissed`` a draft planners deleted shows as an add (``restored``); with
        ``overwrite_edits`` a conflict shows as an update (``overwritten``). Pass the plan's
        ``plan_hash`` to :meth:`execute` with the same flags.
        """
        params = _plan_params(work_order_id, overwrite_edits, restore_dismissed)
        return SyncPlan.from_json(self._one(q.PREVIEW, params)["doc"])

    def plan(
        self, work_order_id: int, *, overwrite_edits: bool = False, restore_dismissed: bool = False
    ) -> list[PlanItem]:
        """The items of :meth:`preview` with the same flags, as a list (``task_sync.plan``)."""
        params = _plan_params(work_order_id, overwrite_edits, restore_dismissed)
        return self._run(lambda cur: _fetch(cur, PlanItem, q.PLAN, params))

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
        params = _plan_params(work_order_id, overwrite_edits, restore_dismissed)
        params["confirmed"] = _flag("confirm", confirm)
        params["expected_plan_hash"] = _plan_hash(expected_plan_hash)
        return SyncResult(**self._one(q.EXECUTE, params)["doc"])

    def check_sync_needed(self, work_order_id: int) -> bool:
        """True when an input of the work order changed since its last sync."""
        params = {"work_order_id": _work_order_id(work_order_id)}
        return bool(self._one(q.CHECK_SYNC_NEEDED, params)["needed"])

    def pending(self, limit: int | None = None) -> list[PendingWorkOrder]:
        """Work orders that need a sync and may be synced, longest waiting first."""
        params = {"limit": _limit(limit)}
        return self._run(lambda cur: _fetch(cur, PendingWorkOrder, q.PENDING, params))

    def plan_pending(self, limit: int | None = None) -> list[PlanItem]:
        """The plan items of every pending work order (``task_sync.plan_pending``), read-only.

        At most ``limit`` work orders, the longest waiting first. Inside a transaction that changes
        a rule and rolls back, this is what that change would do across the whole factory.
        """
        params = {"limit": _limit(limit)}
        return self._run(lambda cur: _fetch(cur, PlanItem, q.PLAN_PENDING, params))

    def sync_pending(self, limit: int | None = None) -> list[BatchResult]:
        """Sync pending work orders set-based, skipping those other sessions hold."""
        params = {"limit": _limit(limit)}
        return self._run(lambda cur: _fetch(cur, BatchResult, q.SYNC_PENDING, params))

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


# -- arguments: what the SQL types cannot carry is refused here, before anything is sent; the
# -- values they can carry (a zero id, a negative limit, a malformed hash) are the server's to judge

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1


def _integer(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int in [low, high]: ints and other exact integers, never a bool."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not a bool")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if not low <= number <= high:
        raise InvalidArgument(f"invalid {name}: {number} is out of range", hint=f"It must fit {low}..{high}.")
    return number


def _work_order_id(value: object) -> int:
    return _integer("work order id", value, BIGINT_MIN, BIGINT_MAX)


def _limit(value: object) -> int | None:
    return None if value is None else _integer("limit", value, INTEGER_MIN, INTEGER_MAX)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def _plan_hash(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected_plan_hash must be a str or None, not {type(value).__name__}")
    return value


def _plan_params(work_order_id: object, overwrite_edits: object, restore_dismissed: object) -> dict[str, Any]:
    return {
        "work_order_id": _work_order_id(work_order_id),
        "overwrite_edits": _flag("overwrite_edits", overwrite_edits),
        "restore_dismissed": _flag("restore_dismissed", restore_dismissed),
    }


def _fetch(cur: psycopg.Cursor[Any], cls: type[T], query: str, params: Mapping[str, Any]) -> list[T]:
    with cur.connection.cursor(row_factory=class_row(cls)) as c:
        c.execute(query, params)
        return c.fetchall()
