"""Connectors: one per kind of client the API runs on, behind one small interface.

A connector knows how to run one statement on its client and what that client's errors look like;
nothing else. The API classes (:mod:`pytask_sync.client`) pick one at construction
(:func:`connector_for`, :func:`async_connector_for`) and wrap every call in the one retry loop of
their flavour (sync or async). The kinds:

- :class:`PsycopgConnector`: a ``psycopg.Connection`` (also Django's ``connection.connection``);
- :class:`DjangoConnector`: Django's ``django.db.connection`` or ``connections[alias]``, through
  Django's cursor (its query log and execute wrappers see the statement);
- :class:`SQLAlchemyConnector`: a SQLAlchemy ``Connection`` or ``Session`` whose driver is
  psycopg, through ``execute(text(...))`` (its events, echo and error wrapping see the statement);
- :class:`AsyncPsycopgConnector`: a ``psycopg.AsyncConnection``.

Every statement's cursor loads the API's result types the way psycopg does by default, whatever
loaders the connection registered (Django's backend loads jsonb as text, an application may load
int8 as Decimal): :func:`use_default_loaders`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import pq
from psycopg.rows import dict_row

from . import _queries as q

Rows = list[dict[str, Any]]

#: The types of the API's results, with psycopg's own loaders for them (and their arrays), in both
#: formats: registered on each statement's cursor, so that what the connection registered (Django
#: loads jsonb as text) does not reach the results.
_RESULT_TYPES = ("jsonb", "json", "bool", "int2", "int4", "int8", "numeric", "text", "varchar", "name", "timestamptz")
_DEFAULT_LOADERS = [
    (oid, loader)
    for name in _RESULT_TYPES
    for oid in (psycopg.adapters.types[name].oid, psycopg.adapters.types[name].array_oid)
    for fmt in (pq.Format.TEXT, pq.Format.BINARY)
    if (loader := psycopg.adapters.get_loader(oid, fmt)) is not None
]


def use_default_loaders(cur: psycopg.Cursor[Any] | psycopg.AsyncCursor[Any]) -> None:
    """Give ``cur`` psycopg's default loaders for the API's result types (this cursor only)."""
    for oid, loader in _DEFAULT_LOADERS:
        cur.adapters.register_loader(oid, loader)


def first(rows: Rows) -> dict[str, Any]:
    """The first row of a statement that returns one."""
    assert rows, "the statement returned no row"
    return rows[0]


class _Client:
    """What every connector says about its client, sync or async.

    ``errors`` are the exceptions its statements raise for a database error; :meth:`driver_error`
    finds psycopg's error in one (None when there is none: the error is passed on as raised).
    """

    errors: tuple[type[BaseException], ...] = (psycopg.Error,)

    def owns_transaction(self) -> bool:
        """Whether a statement run now runs in a transaction of its own (none of the caller's is open)."""
        return False

    def driver_error(self, exc: BaseException) -> psycopg.Error | None:
        """The psycopg error in ``exc``, one of :attr:`errors` (None when it carries none)."""
        return exc if isinstance(exc, psycopg.Error) else None


class BaseConnector(_Client):
    """A synchronous client: how a statement runs on it, and what its errors are."""

    def execute_query_all(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        """Run ``query`` (psycopg's ``%(name)s`` parameters) and return its rows as dicts."""
        raise NotImplementedError

    def schema_state(self) -> tuple[dict[str, Any], str | None]:
        """Whether the schema is installed and versioned, and its alembic revision when it is."""
        state = first(self.execute_query_all(q.SCHEMA_STATE))
        revision = first(self.execute_query_all(q.SCHEMA_REVISION))["version_num"] if state["versioned"] else None
        return state, revision

    def end_failed_transaction(self) -> None:
        """After a failed statement in a transaction it started: end that transaction."""


class BaseAsyncConnector(_Client):
    """:class:`BaseConnector` for asyncio: the same interface, with coroutines where it talks to the server."""

    async def execute_query_all_async(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        """See :meth:`BaseConnector.execute_query_all`."""
        raise NotImplementedError

    async def schema_state_async(self) -> tuple[dict[str, Any], str | None]:
        """See :meth:`BaseConnector.schema_state`."""
        state = first(await self.execute_query_all_async(q.SCHEMA_STATE))
        versioned = state["versioned"]
        revision = first(await self.execute_query_all_async(q.SCHEMA_REVISION))["version_num"] if versioned else None
        return state, revision

    async def end_failed_transaction_async(self) -> None:
        """See :meth:`BaseConnector.end_failed_transaction`."""


class _OnPsycopg(_Client):
    """A psycopg connection, sync or async: a call owns its transaction when none is open."""

    conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]

    def owns_transaction(self) -> bool:
        """No transaction is open (or the connection is in autocommit)."""
        return self.conn.info.transaction_status == pq.TransactionStatus.IDLE


class PsycopgConnector(_OnPsycopg, BaseConnector):
    """A ``psycopg.Connection``."""

    conn: psycopg.Connection[Any]

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute_query_all(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        """On a cursor of the connection's."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            use_default_loaders(cur)
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    def end_failed_transaction(self) -> None:
        """Roll back, unless in autocommit (where the statement was its own transaction)."""
        if not self.conn.autocommit:
            self.conn.rollback()  # the failed transaction was started by this call


class AsyncPsycopgConnector(_OnPsycopg, BaseAsyncConnector):
    """A ``psycopg.AsyncConnection``, as :class:`PsycopgConnector`."""

    conn: psycopg.AsyncConnection[Any]

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn

    async def execute_query_all_async(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        """On a cursor of the connection's."""
        async with self.conn.cursor(row_factory=dict_row) as cur:
            use_default_loaders(cur)
            await cur.execute(query, params)
            return await cur.fetchall() if cur.description else []

    async def end_failed_transaction_async(self) -> None:
        """Roll back, unless in autocommit (where the statement was its own transaction)."""
        if not self.conn.autocommit:
            await self.conn.rollback()  # the failed transaction was started by this call


class DjangoConnector(BaseConnector):
    """Django's connection, through Django's cursor.

    Outside ``transaction.atomic()`` Django runs in autocommit: each statement is its own
    transaction, so a call owns it. Inside it the transaction is the caller's: nothing here commits
    or rolls it back, and an error is the caller's. ``wrapper`` may be the thread-local proxy
    ``django.db.connection``: it is kept as given, so each thread uses its own connection.
    """

    def __init__(self, wrapper: Any) -> None:
        from django.db import Error as DjangoError

        self.wrapper = wrapper
        self.errors = (DjangoError,)

    def execute_query_all(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        """On Django's cursor, with psycopg's loaders on the psycopg cursor under it."""
        if self.wrapper.vendor != "postgresql":
            raise TypeError(f"TaskSync needs Django's PostgreSQL backend, not {self.wrapper.vendor}")
        with self.wrapper.cursor() as cur:
            raw = cur.cursor  # the psycopg cursor under Django's wrapper
            if not isinstance(raw, psycopg.Cursor):
                raise TypeError("TaskSync needs Django's backend on psycopg 3 (not psycopg2)")
            use_default_loaders(raw)
            cur.execute(query, dict(params or {}))
            if not cur.description:
                return []
            names = [c.name for c in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def owns_transaction(self) -> bool:
        """Outside ``transaction.atomic()``."""
        return not self.wrapper.in_atomic_block

    def driver_error(self, exc: BaseException) -> psycopg.Error | None:
        """The ``__cause__`` of Django's error."""
        cause = exc.__cause__  # Django wraps the driver's error
        return cause if isinstance(cause, psycopg.Error) else None


class SQLAlchemyConnector(BaseConnector):
    """A SQLAlchemy ``Connection`` or ``Session`` on psycopg; its statements are SQLAlchemy's.

    The transaction is always the caller's (SQLAlchemy begins one on a first statement and leaves
    it to the caller), so nothing is retried. A TS SQLSTATE becomes our exception, from psycopg's
    error that SQLAlchemy wrapped; any other error is SQLAlchemy's, as raised.
    """

    def __init__(self, target: Any) -> None:
        from sqlalchemy.exc import DBAPIError

        self.target = target
        self.errors = (DBAPIError,)

    def execute_query_all(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        """As ``execute(text(...))`` with the parameters renamed for ``text()``."""
        from sqlalchemy import text

        bind = self.target.get_bind() if _instance_of(self.target, "sqlalchemy.orm", "Session") else self.target
        if bind.dialect.driver != "psycopg":
            raise TypeError(
                f"TaskSync needs SQLAlchemy's psycopg driver (postgresql+psycopg), not {bind.dialect.driver}"
            )
        result = self.target.execute(text(_named(query)), dict(params or {}))
        return [dict(r) for r in result.mappings()]  # every statement of the API returns rows

    def driver_error(self, exc: BaseException) -> psycopg.Error | None:
        """The ``orig`` of SQLAlchemy's ``DBAPIError``."""
        orig = getattr(exc, "orig", None)
        return orig if isinstance(orig, psycopg.Error) else None


def connector_for(conn: object) -> BaseConnector:
    """The connector for ``conn``.

    A psycopg connection, Django's connection, or a SQLAlchemy ``Connection`` or ``Session``;
    anything else is a ``TypeError``.
    """
    if isinstance(conn, psycopg.Connection):
        return PsycopgConnector(conn)
    if _instance_of(conn, "django.db.backends.base.base", "BaseDatabaseWrapper") or _instance_of(
        conn, "django.utils.connection", "ConnectionProxy"
    ):
        return DjangoConnector(conn)
    if _instance_of(conn, "sqlalchemy.engine", "Connection") or _instance_of(conn, "sqlalchemy.orm", "Session"):
        return SQLAlchemyConnector(conn)
    raise TypeError(
        "TaskSync needs a psycopg 3 connection, a SQLAlchemy Connection or Session on psycopg, "
        f"or Django's connection, not {type(conn).__name__}"
    )


def async_connector_for(conn: object) -> BaseAsyncConnector:
    """The connector for ``conn``, a ``psycopg.AsyncConnection``; anything else is a ``TypeError``."""
    if isinstance(conn, psycopg.AsyncConnection):
        return AsyncPsycopgConnector(conn)
    raise TypeError(f"AsyncTaskSync needs a psycopg.AsyncConnection, not {type(conn).__name__}")


def _instance_of(obj: object, module: str, name: str) -> bool:
    """``isinstance(obj, module.name)``, without importing ``module``.

    An object of a library that is not imported yet cannot be one of its classes.
    """
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(obj, getattr(loaded, name))


def _named(query: str) -> str:
    """The ``%(name)s`` parameters of psycopg as SQLAlchemy ``text()``'s ``:name``."""
    return re.sub(r"%\((\w+)\)s", r":\1", query)
