"""Schema migrations: alembic with the packaged revisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from ._connection import connect
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
    # any libpq DSN (URI or key=value, unix sockets included) is passed to psycopg as written; a
    # SQLAlchemy URL (postgresql+psycopg://...) loses its driver name first. The connection
    # prepares nothing and the whole upgrade is one transaction: it works through a pooler.
    conninfo = to_libpq(dsn)
    return create_engine("postgresql+psycopg://", creator=lambda: connect(conninfo), poolclass=NullPool)


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
    """Downgrade the database at ``dsn`` to ``revision``, in one transaction.

    ``base`` removes everything: the schema's objects, alembic's version table and the schema
    itself when nothing else is left in it, so that a later install (``migrate``, or the SQL of
    ``upgrade_sql(None)`` run by hand) starts from an empty database.
    """

    def step(cfg: Config) -> None:
        command.downgrade(cfg, revision)
        if revision == "base":
            cfg.attributes["connection"].exec_driver_sql(_FORGET_THE_SCHEMA)

    _run(dsn, step)


#: After a downgrade to base: alembic's version table goes, and the schema when it is empty then.
_FORGET_THE_SCHEMA = """
DO $forget$
BEGIN
    DROP TABLE IF EXISTS task_sync.alembic_version;
    IF to_regnamespace('task_sync') IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                       WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass
                         AND d.refobjid = 'task_sync'::regnamespace AND d.deptype = 'n') THEN
        DROP SCHEMA task_sync;
    END IF;
END
$forget$
"""


def history() -> list[tuple[str, str | None, str]]:
    """The revisions this package carries, oldest first: (revision, the one before it, what it does)."""
    script = ScriptDirectory.from_config(alembic_config())
    return [
        (rev.revision, rev.down_revision if isinstance(rev.down_revision, str) else None, (rev.doc or "").strip())
        for rev in reversed(list(script.walk_revisions()))
    ]


def upgrade_sql(from_revision: str | None, to_revision: str = "head") -> str:
    """The SQL that upgrades a database from ``from_revision`` to ``to_revision``, for a DBA.

    ``from_revision`` None is an empty database. The text runs in one transaction: each
    revision's frozen SQL file, then the version table's update. Raises ``ValueError`` for an
    unknown revision or one that is not ahead.
    """
    revisions = [r for r, _, _ in history()]
    target = revisions[-1] if to_revision == "head" else to_revision
    for rev in (from_revision, target):
        if rev is not None and rev not in revisions:
            raise ValueError(f"unknown revision: {rev}")
    start = 0 if from_revision is None else revisions.index(from_revision) + 1
    end = revisions.index(target) + 1
    if start >= end:
        raise ValueError(f"nothing to upgrade: {from_revision} is not older than {target}")
    versions = migrations_dir() / "versions"
    parts = [
        f"-- pytask_sync: upgrade from {from_revision or 'an empty database'} to {target}",
        "BEGIN;",
    ]
    if from_revision is None:
        parts += [
            "CREATE SCHEMA IF NOT EXISTS task_sync;",
            "CREATE TABLE task_sync.alembic_version (version_num varchar(32) NOT NULL,"
            " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));",
        ]
    for rev in revisions[start:end]:
        parts.append(f"-- revision {rev}")
        parts.append((versions / f"{rev}.up.sql").read_text(encoding="utf-8"))
    if from_revision is None:
        parts.append(f"INSERT INTO task_sync.alembic_version (version_num) VALUES ('{target}');")
    else:
        parts.append(f"UPDATE task_sync.alembic_version SET version_num = '{target}';")
    parts.append("COMMIT;")
    return "\n".join(parts) + "\n"


#: the settings a session may change; a revision sets some for its transaction (search_path)
_SETTINGS = (
    "SELECT name, pg_catalog.current_setting(name) FROM pg_catalog.pg_settings WHERE context IN ('user', 'superuser')"
)


def _session_settings(conn: Any) -> dict[str, str]:
    with conn.cursor() as cur:
        return dict(cur.execute(_SETTINGS).fetchall())


def _restore_settings(conn: Any, before: dict[str, str]) -> None:
    """Give back, for the rest of the owner's transaction, the settings the revisions changed.

    A revision's SQL pins ``search_path`` for its transaction (``set_config(..., true)``): in the
    owner's transaction that would hide the owner's own tables (Django's ``django_migrations``).
    """
    after = _session_settings(conn)
    changed = [name for name, value in before.items() if after.get(name, value) != value]
    with conn.cursor() as cur:
        for name in changed:
            cur.execute("SELECT pg_catalog.set_config(%s, %s, true)", (name, before[name]))


class _Lent:
    """A psycopg connection lent to SQLAlchemy for one alembic run inside its owner's transaction.

    Everything is the connection's own but ending it: ``commit``, ``rollback`` and ``close`` are
    its owner's (Django's ``atomic()`` of a migration), so alembic's transaction is the owner's,
    and a failure is undone with the rest of the owner's work. No notice handler is left on it.
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def commit(self) -> None:
        """The owner commits."""

    def rollback(self) -> None:
        """The owner rolls back."""

    def close(self) -> None:
        """The owner closes."""

    def add_notice_handler(self, handler: Any) -> None:
        """Nothing of SQLAlchemy's stays on the owner's connection."""


def upgrade_connection(conn: Any, revision: str = "head") -> str | None:
    """Upgrade through ``conn`` (an open psycopg connection) to ``revision``, in its transaction.

    For frameworks that own the connection and its transaction (Django's ``migrate`` runs each
    migration in ``atomic()``): alembic runs the packaged revisions on it with the one version
    table ``task_sync.alembic_version``, and nothing here commits, rolls back or closes it.
    A database already at ``revision`` or past it is left as it is, so this and
    ``pytask-sync migrate`` agree in either order. Returns the revision the database was at
    (None: it had no engine). ``conn`` must not be in autocommit: the revisions go in one
    transaction, the caller's.
    """
    import psycopg

    if not isinstance(conn, psycopg.Connection):
        raise TypeError(f"upgrade_connection needs a psycopg connection, not {type(conn).__name__}")
    if conn.autocommit:
        raise ValueError("upgrade_connection runs in the caller's transaction: the connection is in autocommit")
    from alembic.runtime.migration import MigrationContext

    order = [r for r, _, _ in history()]
    target = order[-1] if revision == "head" else revision
    if target not in order:
        raise ValueError(f"unknown revision: {revision}")
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: _Lent(conn), poolclass=NullPool, use_native_hstore=False
    )
    try:
        with engine.connect() as sa_conn:
            ctx = MigrationContext.configure(sa_conn, opts={"version_table_schema": "task_sync"})
            current = ctx.get_current_revision()
            if current is not None and current in order and order.index(current) >= order.index(target):
                return current  # there already, or past it (pytask-sync migrate ran a newer package)
            cfg = alembic_config()
            cfg.attributes["connection"] = sa_conn
            settings = _session_settings(conn)
            command.upgrade(cfg, target)
            _restore_settings(conn, settings)
            return current
    finally:
        engine.dispose()
