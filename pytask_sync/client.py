"""TaskSync and AsyncTaskSync: one method per SQL function of the ``task_sync`` schema.

Each method checks its arguments, then describes one statement (a :class:`_Call`: the SQL, its
parameters and how its rows become the result); the class runs it through the connector it picked
for its connection at construction (:mod:`pytask_sync.connector`: psycopg, SQLAlchemy, Django,
async psycopg), in the one retry loop of its flavour:

- :class:`TaskSync` on a psycopg 3 connection, a SQLAlchemy ``Connection`` or ``Session`` whose
  driver is psycopg, or Django's ``django.db.connection``;
- :class:`AsyncTaskSync` on a ``psycopg.AsyncConnection``.

Neither begins, commits or rolls back a transaction the caller has open.
"""

from __future__ import annotations

import asyncio
import operator
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import psycopg

from . import _queries as q
from ._resources import known_revisions
from .connector import Rows, async_connector_for, connector_for, first
from .errors import InvalidArgument, SchemaNotInstalled, SchemaTooNew, translate
from .models import BatchResult, PendingWorkOrder, PlanItem, SyncPlan, SyncResult

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection as SAConnection
    from sqlalchemy.orm import Session

T = TypeVar("T")

#: SQLSTATEs after which the same call, run again in a new transaction, can succeed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


@dataclass(frozen=True)
class _Call(Generic[T]):
    """One statement of a method.

    Its SQL (with psycopg's ``%(name)s`` parameters), its parameters, and how its rows (as dicts)
    become the method's result.
    """

    query: str
    params: Mapping[str, Any]
    shape: Callable[[Rows], T]


# -- the calls: arguments checked here, before anything is sent -------------------------------------


def _preview(work_order_id: object, overwrite_edits: object, restore_dismissed: object) -> _Call[SyncPlan]:
    params = _plan_params(work_order_id, overwrite_edits, restore_dismissed)
    return _Call(q.PREVIEW, params, lambda rows: SyncPlan.from_json(first(rows)["doc"]))


def _plan(work_order_id: object, overwrite_edits: object, restore_dismissed: object) -> _Call[list[PlanItem]]:
    params = _plan_params(work_order_id, overwrite_edits, restore_dismissed)
    return _Call(q.PLAN, params, lambda rows: [PlanItem(**r) for r in rows])


def _execute(
    work_order_id: object,
    confirm: object,
    expected_plan_hash: object,
    overwrite_edits: object,
    restore_dismissed: object,
) -> _Call[SyncResult]:
    params = _plan_params(work_order_id, overwrite_edits, restore_dismissed)
    params["confirmed"] = _flag("confirm", confirm)
    params["expected_plan_hash"] = _plan_hash(expected_plan_hash)
    return _Call(q.EXECUTE, params, lambda rows: SyncResult(**first(rows)["doc"]))


def _check_sync_needed(work_order_id: object) -> _Call[bool]:
    params = {"work_order_id": _work_order_id(work_order_id)}
    return _Call(q.CHECK_SYNC_NEEDED, params, lambda rows: bool(first(rows)["needed"]))


def _pending(limit: object) -> _Call[list[PendingWorkOrder]]:
    return _Call(q.PENDING, {"limit": _limit(limit)}, lambda rows: [PendingWorkOrder(**r) for r in rows])


def _plan_pending(limit: object) -> _Call[list[PlanItem]]:
    return _Call(q.PLAN_PENDING, {"limit": _limit(limit)}, lambda rows: [PlanItem(**r) for r in rows])


def _sync_pending(limit: object, skip: object, *, naming: bool = False) -> _Call[list[BatchResult]]:
    params = {"limit": _limit(limit), "skip": _work_order_ids("skip", skip)}
    query = q.SYNC_PENDING_NAMING if naming else q.SYNC_PENDING
    return _Call(query, params, lambda rows: [BatchResult(**r) for r in rows])


def _check_schema(state: dict[str, Any], revision: str | None) -> None:
    """Raise when the database is not at this package's schema revision."""
    if not state["installed"]:
        raise SchemaNotInstalled("the database has no task_sync schema", hint="run: pytask-sync migrate")
    if not state["versioned"]:
        return  # installed from sql/ directly (tests, benchmarks)
    known = known_revisions()
    if revision is not None and revision not in known:
        raise SchemaTooNew(
            f"the database is at schema revision {revision}, which this pytask_sync does not know "
            f"(it knows up to {known[-1]})",
            hint="upgrade pytask_sync to the version that migrated this database",
        )
    if revision != known[-1]:
        raise SchemaNotInstalled(
            f"the database is at schema revision {revision}, not {known[-1]}", hint="run: pytask-sync migrate"
        )


def _may_retry(exc: psycopg.Error | None, owns_transaction: bool, attempt: int, max_attempts: int) -> bool:
    """After a failed statement: raise our exception for a TS SQLSTATE, else say whether to run again.

    ``exc`` is the statement's psycopg error (None when it carries none: it is passed on as raised).
    A call runs again after a serialization failure or deadlock in a transaction it started, while
    attempts are left.
    """
    if exc is None:
        return False
    ours = translate(exc)
    if ours is not None:
        raise ours from exc
    return owns_transaction and exc.sqlstate in RETRYABLE_SQLSTATES and attempt < max_attempts


def _backoff(attempt: int) -> float:
    return float(min(1.0, 0.02 * 2**attempt) * (0.5 + random.random()))


class TaskSync:
    """Thin wrapper over the ``task_sync`` SQL functions.

    ``conn`` is a psycopg 3 connection, or a SQLAlchemy ``Connection`` or ``Session`` whose
    driver is psycopg; with SQLAlchemy every statement is run by SQLAlchemy (``execute(text(...))``).
    The caller owns transactions: nothing here begins, commits or rolls back a transaction the
    caller has open (SQLAlchemy begins one on a first statement, as it always does, and leaves it
    to the caller). On a psycopg connection, when a call starts the transaction itself
    (autocommit, or no transaction open) and fails with a serialization failure (40001) or a
    deadlock (40P01), it is rolled back and run again with backoff, up to ``max_attempts`` times
    in all; through SQLAlchemy the transaction is the caller's, so the error is the caller's too.

    Arguments are checked before anything is sent: a value of the wrong type (``True``, ``1.5``
    or ``"42"`` for an id, ``"yes"`` for ``confirm``) raises ``TypeError``, and a number the SQL
    type cannot hold (an id above 2**63-1) raises :class:`~pytask_sync.errors.InvalidArgument`.
    Values the type can hold are judged by the server (a zero id, a negative limit and a
    malformed plan hash are ``InvalidArgument`` too, from its TSV01).
    """

    def __init__(self, conn: psycopg.Connection[Any] | SAConnection | Session | Any, *, max_attempts: int = 5) -> None:
        self._conn = conn
        self._connector = connector_for(conn)
        self._max_attempts = max(1, max_attempts)
        self._schema_checked = False
        #: how many calls were run again after a serialization failure or deadlock
        self.retries = 0

    @property
    def connection(self) -> Any:
        """The connection (or SQLAlchemy Connection or Session, or Django connection) it runs on."""
        return self._conn

    # -- the SQL API ---------------------------------------------------------------------------

    def preview(
        self, work_order_id: int, *, overwrite_edits: bool = False, restore_dismissed: bool = False
    ) -> SyncPlan:
        """What :meth:`execute` with the same flags would do now, item by item; changes nothing.

        With ``restore_dismissed`` a draft planners deleted shows as an add (``restored``); with
        ``overwrite_edits`` a conflict shows as an update (``overwritten``). Pass the plan's
        ``plan_hash`` to :meth:`execute` with the same flags.
        """
        return self._run(_preview(work_order_id, overwrite_edits, restore_dismissed))

    def plan(
        self, work_order_id: int, *, overwrite_edits: bool = False, restore_dismissed: bool = False
    ) -> list[PlanItem]:
        """The items of :meth:`preview` with the same flags, as a list (``task_sync.plan``)."""
        return self._run(_plan(work_order_id, overwrite_edits, restore_dismissed))

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
        return self._run(_execute(work_order_id, confirm, expected_plan_hash, overwrite_edits, restore_dismissed))

    def check_sync_needed(self, work_order_id: int) -> bool:
        """True when an input of the work order changed since its last sync."""
        return self._run(_check_sync_needed(work_order_id))

    def pending(self, limit: int | None = None) -> list[PendingWorkOrder]:
        """Work orders that need a sync and may be synced, longest waiting first."""
        return self._run(_pending(limit))

    def plan_pending(self, limit: int | None = None) -> list[PlanItem]:
        """The plan items of every pending work order (``task_sync.plan_pending``), read-only.

        At most ``limit`` work orders, the longest waiting first. Inside a transaction that changes
        a rule and rolls back, this is what that change would do across the whole factory.
        """
        return self._run(_plan_pending(limit))

    def sync_pending(self, limit: int | None = None, *, skip: Iterable[int] | None = None) -> list[BatchResult]:
        """Sync pending work orders set-based, passing over those other sessions hold.

        ``skip``: work orders not to try in this call (the worker's, whose sync alone outlasts
        ``statement_timeout``). One whose sync fails is recorded (``pending()`` shows the error)
        and the others are synced.
        """
        return self._run(_sync_pending(limit, skip))

    def _sync_pending_naming(self, limit: int | None, skip: Iterable[int] | None) -> list[BatchResult]:
        """:meth:`sync_pending`, with its DEBUG messages sent to this connection for its transaction only.

        The worker's drain reads them: they name the work order a cancelled batch was syncing.
        """
        return self._run(_sync_pending(limit, skip, naming=True))

    # -- plumbing ------------------------------------------------------------------------------

    def _run(self, call: _Call[T]) -> T:
        """Run ``call``; our SQLSTATEs become our exceptions; retry when the transaction is the call's."""
        connector = self._connector
        attempt = 0
        while True:
            attempt += 1
            owns_transaction = connector.owns_transaction()
            try:
                if not self._schema_checked:
                    _check_schema(*connector.schema_state())
                    self._schema_checked = True
                return call.shape(connector.execute_query_all(call.query, call.params))
            except connector.errors as exc:
                if not _may_retry(connector.driver_error(exc), owns_transaction, attempt, self._max_attempts):
                    raise
                self.retries += 1
                connector.end_failed_transaction()
                time.sleep(_backoff(attempt))


class AsyncTaskSync:
    """:class:`TaskSync` for asyncio, over a ``psycopg.AsyncConnection``.

    The same methods as coroutines, with the same argument checks, errors and retries.
    """

    def __init__(self, conn: psycopg.AsyncConnection[Any], *, max_attempts: int = 5) -> None:
        self._connector = async_connector_for(conn)
        self._max_attempts = max(1, max_attempts)
        self._schema_checked = False
        #: how many calls were run again after a serialization failure or deadlock
        self.retries = 0

    async def preview(
        self, work_order_id: int, *, overwrite_edits: bool = False, restore_dismissed: bool = False
    ) -> SyncPlan:
        """See :meth:`TaskSync.preview`."""
        return await self._run(_preview(work_order_id, overwrite_edits, restore_dismissed))

    async def plan(
        self, work_order_id: int, *, overwrite_edits: bool = False, restore_dismissed: bool = False
    ) -> list[PlanItem]:
        """See :meth:`TaskSync.plan`."""
        return await self._run(_plan(work_order_id, overwrite_edits, restore_dismissed))

    async def execute(
        self,
        work_order_id: int,
        *,
        confirm: bool = False,
        expected_plan_hash: str | None = None,
        overwrite_edits: bool = False,
        restore_dismissed: bool = False,
    ) -> SyncResult:
        """See :meth:`TaskSync.execute`."""
        return await self._run(_execute(work_order_id, confirm, expected_plan_hash, overwrite_edits, restore_dismissed))

    async def check_sync_needed(self, work_order_id: int) -> bool:
        """See :meth:`TaskSync.check_sync_needed`."""
        return await self._run(_check_sync_needed(work_order_id))

    async def pending(self, limit: int | None = None) -> list[PendingWorkOrder]:
        """See :meth:`TaskSync.pending`."""
        return await self._run(_pending(limit))

    async def plan_pending(self, limit: int | None = None) -> list[PlanItem]:
        """See :meth:`TaskSync.plan_pending`."""
        return await self._run(_plan_pending(limit))

    async def sync_pending(self, limit: int | None = None, *, skip: Iterable[int] | None = None) -> list[BatchResult]:
        """See :meth:`TaskSync.sync_pending`."""
        return await self._run(_sync_pending(limit, skip))

    async def _run(self, call: _Call[T]) -> T:
        """See :meth:`TaskSync._run`."""
        connector = self._connector
        attempt = 0
        while True:
            attempt += 1
            owns_transaction = connector.owns_transaction()
            try:
                if not self._schema_checked:
                    _check_schema(*await connector.schema_state_async())
                    self._schema_checked = True
                return call.shape(await connector.execute_query_all_async(call.query, call.params))
            except connector.errors as exc:
                if not _may_retry(connector.driver_error(exc), owns_transaction, attempt, self._max_attempts):
                    raise
                self.retries += 1
                await connector.end_failed_transaction_async()
                await asyncio.sleep(_backoff(attempt))


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


def _work_order_ids(name: str, values: object) -> list[int] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be an iterable of work order ids, not {type(values).__name__}")
    return [_work_order_id(v) for v in values]


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
