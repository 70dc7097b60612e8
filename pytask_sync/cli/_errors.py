"""Every expected failure as one line in the project's words, and its exit code.

No Python class name reaches the line: a database error is said by what it is (cannot connect,
permission denied, the engine's refusal, which starts with its SQLSTATE) and, when it is none of
these, by its message and SQLSTATE.
"""

from __future__ import annotations

import psycopg
from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError

from ..embedded import EmbeddedUnavailable
from ..errors import StalePlan, TaskSyncError
from ._base import EXIT_ERROR, EXIT_STALE_PLAN, CliError

#: what a role needs, said with a permission error (the groups of sql/50_grants.sql)
_ROLES = "task_sync_reader reads plans, task_sync_writer also syncs"


def first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[0] if lines else "no message"


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The line and exit code for ``exc``; None when it is not an expected failure."""
    if isinstance(exc, CliError):
        return str(exc), exc.code
    if isinstance(exc, EmbeddedUnavailable):  # the extra 'embedded' is not installed
        return str(exc), EXIT_ERROR
    if isinstance(exc, TaskSyncError):
        line = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
        return line, EXIT_STALE_PLAN if isinstance(exc, StalePlan) else EXIT_ERROR
    if isinstance(exc, CommandError):  # alembic: e.g. a database migrated by a newer pytask_sync
        return f"migration failed: {first_line(exc)}", EXIT_ERROR
    if isinstance(exc, DBAPIError):  # SQLAlchemy's wrapper, inside a migration
        inner = exc.orig if isinstance(exc.orig, psycopg.Error) else None
        if inner is not None and _is_connect(inner):
            return f"cannot connect to the database: {first_line(inner)}", EXIT_ERROR
        said = _database_error(inner) if inner is not None else first_line(exc)
        return f"migration failed: {said}", EXIT_ERROR
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return f"lost the database connection: {first_line(exc)}", EXIT_ERROR
    if isinstance(exc, psycopg.Error):
        return _database_error(exc), EXIT_ERROR
    return None


def _is_connect(exc: psycopg.Error) -> bool:
    """A failure to open the connection (no SQLSTATE from a server session)."""
    return isinstance(exc, (psycopg.OperationalError, psycopg.ProgrammingError)) and exc.sqlstate is None


def _database_error(exc: psycopg.Error) -> str:
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return f"permission denied: {first_line(exc)} (this role lacks a grant: {_ROLES})"
    if exc.sqlstate and exc.sqlstate.startswith("TS"):  # an engine error without a class here
        return first_line(exc)
    state = f" (SQLSTATE {exc.sqlstate})" if exc.sqlstate else ""
    return f"the database refused: {first_line(exc)}{state}"
