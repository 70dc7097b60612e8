"""Exceptions of pytask_sync, chosen by SQLSTATE.

Every error the SQL raises on purpose has a SQLSTATE of class ``TS``; :func:`translate` turns a
``psycopg.Error`` carrying one into the matching :class:`TaskSyncError` subclass, with the psycopg
error kept as ``__cause__``. Message text is never parsed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg


class TaskSyncError(Exception):
    """Base class of every error pytask_sync raises on purpose."""

    sqlstate: str | None = None

    def __init__(self, message: str, *, detail: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint


class WorkOrderNotFound(TaskSyncError):
    """TSN01: no work order has this id."""

    sqlstate = "TSN01"


class InvalidArgument(TaskSyncError):
    """TSV01: an argument is out of range (null or non-positive id, negative limit, malformed hash)."""

    sqlstate = "TSV01"


class ConfirmationRequired(TaskSyncError):
    """TSC01: execute was called without ``confirm=True``."""

    sqlstate = "TSC01"


class StalePlan(TaskSyncError):
    """TSC02: the plan changed since it was previewed; nothing was changed."""

    sqlstate = "TSC02"


class WorkOrderNotSyncable(TaskSyncError):
    """TSC03: the work order is approved, completed or cancelled."""

    sqlstate = "TSC03"


class ProcessHasFormalTasks(TaskSyncError):
    """TSC04: a process that still has formal tasks cannot be deleted."""

    sqlstate = "TSC04"


class NeedsReadCommitted(TaskSyncError):
    """TSC05: a rule or catalog change (or TRUNCATE) ran at REPEATABLE READ or SERIALIZABLE.

    Such a change marks the work orders it affects from a snapshot taken after it locked the
    catalog rows they reference; run it in a READ COMMITTED transaction.
    """

    sqlstate = "TSC05"


class SourceKindInUse(TaskSyncError):
    """TSC06: ``drop_source_kind`` was refused: a generation rule or a task still names the kind."""

    sqlstate = "TSC06"


class ReadOnlyTransaction(TaskSyncError):
    """TSC07: ``execute`` or ``sync_pending`` in a read-only transaction (a hot standby): sync on the primary.

    The read-only functions (``preview``, ``plan``, ``plan_pending``, ``pending``,
    ``check_sync_needed``) run on a standby too.
    """

    sqlstate = "TSC07"


class EngineOwnedColumn(TaskSyncError):
    """TSP01: a writer gave an engine-owned column another value; the statement changed nothing.

    The engine's books (versions, baselines, a generated task's identity, ids, the work order a row
    belongs to) are protected by value: a new row takes their defaults, an UPDATE keeps their
    current values, and any other value is refused. The message names the table and the column.
    """

    sqlstate = "TSP01"


class SchemaNotInstalled(TaskSyncError):
    """The database has no pytask_sync schema, or an older one: run ``pytask-sync migrate``."""


class SchemaTooNew(TaskSyncError):
    """The database was migrated by a newer pytask_sync than this one."""


BY_SQLSTATE: dict[str, type[TaskSyncError]] = {
    cls.sqlstate: cls
    for cls in (
        WorkOrderNotFound,
        InvalidArgument,
        ConfirmationRequired,
        StalePlan,
        WorkOrderNotSyncable,
        ProcessHasFormalTasks,
        NeedsReadCommitted,
        SourceKindInUse,
        ReadOnlyTransaction,
        EngineOwnedColumn,
    )
    if cls.sqlstate is not None
}


def translate(exc: psycopg.Error) -> TaskSyncError | None:
    """The :class:`TaskSyncError` for ``exc``, or ``None`` when it is not one of ours.

    The caller raises the result ``from exc``.
    """
    sqlstate = exc.sqlstate
    if sqlstate is None:
        return None
    cls = BY_SQLSTATE.get(sqlstate)
    if cls is None:
        return None
    diag = exc.diag
    return cls(diag.message_primary or str(exc), detail=diag.message_detail, hint=diag.message_hint)


def _psycopg_error(exc: BaseException) -> psycopg.Error | None:
    """The psycopg error under ``exc``: itself, SQLAlchemy's ``.orig``, or Django's ``__cause__``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, psycopg.Error):
            return current
        orig = getattr(current, "orig", None)  # sqlalchemy.exc.DBAPIError
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """Raise the engine's exceptions from database errors of the block (a context manager or decorator).

    An ORM write the engine refuses arrives as the ORM's own error: Django's
    ``django.db.DatabaseError`` (the psycopg error as ``__cause__``), SQLAlchemy's
    ``sqlalchemy.exc.DBAPIError`` (as ``.orig``), or psycopg's. Inside ``engine_errors()`` an error
    with one of the engine's SQLSTATEs becomes its :class:`TaskSyncError` subclass
    (``EngineOwnedColumn`` for TSP01, ``ProcessHasFormalTasks`` for TSC04, ...) with the psycopg
    error as ``__cause__``, as everywhere in the package (the ORM's error is its ``__context__``);
    every other error passes as it was. The transaction is as the
    error left it (aborted: roll back, or use a savepoint, as for any database error).
    Also ``pytask_sync.django.engine_errors`` and ``pytask_sync.orm.engine_errors``.
    """
    try:
        yield
    except Exception as exc:
        if isinstance(exc, TaskSyncError):
            raise
        found = _psycopg_error(exc)
        ours = translate(found) if found is not None else None
        if ours is None:
            raise
        raise ours from found
