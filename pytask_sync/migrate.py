"""Schema migrations: alembic with the packaged revisions."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from ._resources import migrations_dir
from .dsn import to_libpq


def alembic_config() -> Config:
    """An alembic ``Config`` pointing at the packaged migrations (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str:
    """The newest revision this package carries."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _engine(dsn: str) -> Engine:
    import psycopg

    # any libpq DSN (URI or key=value, unix sockets included) is passed to psycopg as written; a
    # SQLAlchemy URL (postgresql+psycopg://...) loses its driver name first
    conninfo = to_libpq(dsn)
    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(conninfo), poolclass=NullPool)


def _run(dsn: str, step: Callable[[Config], None]) -> None:
    """Run an alembic command on ``dsn`` in one transaction, on a connection it opens and closes."""
    cfg = alembic_config()
    engine = _engine(dsn)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg)
    finally:
        engine.dispose()


def current_revision(dsn: str) -> str | None:
    """The revision the database at ``dsn`` is at; None when the schema was never migrated.

    Read with alembic's ``MigrationContext`` from the version table in the ``task_sync`` schema.
    """
    from alembic.runtime.migration import MigrationContext

    engine = _engine(dsn)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table_schema": "task_sync"})
            return ctx.get_current_revision()
    finally:
        engine.dispose()


def migrate(dsn: str, revision: str = "head") -> None:
    """Upgrade the database at ``dsn`` to ``revision`` (default: the newest), in one transaction.

    ``dsn`` is a libpq string, a ``postgresql://`` URI or a SQLAlchemy URL. Running it again when
    the database is already there changes nothing.
    """
    _run(dsn, lambda cfg: command.upgrade(cfg, revision))


def downgrade(dsn: str, revision: str) -> None:
    """Downgrade the database at ``dsn`` to ``revision`` (``base`` removes the schema's objects)."""
    _run(dsn, lambda cfg: command.downgrade(cfg, revision))
