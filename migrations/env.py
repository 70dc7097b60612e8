"""Alembic environment of pytask_sync.

The database comes from the caller (``config.attributes["connection"]``, as
:func:`pytask_sync.migrate` passes it) or from the environment (``PYTASK_SYNC_DSN``, else
``DATABASE_URL``), never from a file. The version table lives in the ``task_sync`` schema.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from pytask_sync._connection import connect

SCHEMA = "task_sync"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table_schema=SCHEMA,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        # the version table needs its schema before the first revision runs; a database already
        # migrated is left alone (a role without CREATE on the database may check or no-op migrate)
        if connection.execute(text("SELECT to_regnamespace(:s) IS NULL"), {"s": SCHEMA}).scalar():
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the revisions on the caller's connection, or on one opened from the environment."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    dsn = os.environ.get("PYTASK_SYNC_DSN") or os.environ.get("DATABASE_URL")
    if not dsn:
        raise SystemExit("pytask_sync migrations: set PYTASK_SYNC_DSN or DATABASE_URL")
    # as every connection the package opens: nothing prepared on the server (poolers, see _connection)
    engine = create_engine("postgresql+psycopg://", creator=lambda: connect(dsn), poolclass=NullPool)
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("pytask_sync migrations run online only: they execute SQL files")
run_migrations_online()
