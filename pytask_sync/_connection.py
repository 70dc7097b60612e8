"""Every connection the package opens itself, opened here (the CLI, the worker, migrations, the pytest plugin).

They work through a connection pooler in transaction pooling (PgBouncer's ``pool_mode =
transaction``), where each transaction may run on another server connection, and server
connections outlive the clients that used them. So nothing may outlive a transaction on the
server's side:

- no prepared statement: psycopg prepares a query on the server after it ran five times
  (``prepare_threshold``); the next transaction may find it missing, or a later client may find
  the name taken (``DuplicatePreparedStatement: prepared statement "_pg3_0" already exists``).
  ``prepare_threshold=None`` never prepares;
- no session setting, advisory lock, temporary table or ``LISTEN``: the package sets what it needs
  per transaction (``set_config(..., true)``, the functions' own ``SET`` clauses), and the worker
  LISTENs only on a connection that is not pooled (:func:`behind_pooler`).
"""

from __future__ import annotations

from typing import Any

import psycopg

from .dsn import to_libpq


def connect(dsn: str, *, autocommit: bool = False, application_name: str | None = None) -> psycopg.Connection[Any]:
    """A psycopg connection to ``dsn`` (libpq string, URI or SQLAlchemy URL) that prepares nothing on the server."""
    kwargs: dict[str, Any] = {"autocommit": autocommit, "prepare_threshold": None}
    if application_name is not None:
        kwargs["application_name"] = application_name
    return psycopg.connect(to_libpq(dsn), **kwargs)


def behind_pooler(conn: psycopg.Connection[Any]) -> bool:
    """True when ``conn`` reaches the server through a connection pooler (or another proxy).

    The server process that runs its statements is then not the one the connection was given at
    start (a pooler hands out its own process id and cancel key, PgBouncer random ones), so
    ``LISTEN`` on it may never deliver. A direct connection's ``pg_backend_pid()`` is the process
    id libpq received. Runs one statement (a transaction of its own on an autocommit connection).
    """
    with conn.cursor() as cur:
        row = cur.execute("SELECT pg_catalog.pg_backend_pid()").fetchone()
    return row is None or int(row[0]) != conn.info.backend_pid
