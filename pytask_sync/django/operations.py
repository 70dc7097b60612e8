"""The migration operation that installs and upgrades the engine from Django's ``migrate``.

``UpgradeEngine(revision)`` runs the package's alembic revisions up to ``revision`` on the
connection of the migration (Django's, in the migration's ``atomic()``), with alembic's own
version table ``task_sync.alembic_version`` as the one record of where the engine is. A database
already there (``pytask-sync migrate`` ran first, maybe from a newer package) is left as it is,
and ``pytask-sync migrate`` after Django's ``migrate`` finds nothing to do: the two agree in
either order and never apply a revision twice.

Each release that adds an alembic revision adds a Django migration of the app with one
``UpgradeEngine`` to it (a test checks that the last one names alembic's head).

Unapplying is refused while the engine is installed: ``migrate task_sync zero`` would take the
engine, its tasks and its audit away with no question asked, so it stops before anything runs
(see ``REFUSAL``). Removing the engine is ``pytask-sync migrate downgrade base``, which says what
it drops and asks; after it, ``migrate task_sync zero`` only forgets Django's record.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.operations.base import Operation

#: What ``migrate task_sync <earlier>`` says, and why nothing ran.
REFUSAL = (
    "pytask_sync: Django's migrate does not remove or downgrade the engine (its schema task_sync holds "
    "the tasks, their edits and the audit of every sync). Nothing was changed. To remove it: unapply "
    "the apps whose models point at the engine's (`manage.py migrate <app> zero`), run "
    "`pytask-sync migrate downgrade base` on this database (it says what it drops and asks), then "
    "`manage.py migrate task_sync zero` forgets Django's record of it."
)


def engine_installed(connection: Any) -> bool:
    """The database of Django's ``connection`` has the engine's schema ``task_sync``."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT pg_catalog.to_regnamespace('task_sync') IS NOT NULL")
        return bool(cur.fetchone()[0])


class UpgradeEngine(Operation):
    """Bring the engine to alembic ``revision`` of the package (never back): its schema ``task_sync``."""

    reversible = True  # backwards refuses with REFUSAL instead of Django's generic message
    reduces_to_sql = False
    atomic = True

    def __init__(self, revision: str) -> None:
        self.revision = revision

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        """How a migration file writes it: ``UpgradeEngine("<revision>")``."""
        return (self.__class__.__qualname__, [self.revision], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        """The models' state is the ``CreateModel`` operations' beside it: nothing here."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Run the revisions on the migration's connection, in its transaction."""
        from django.db import router

        connection = schema_editor.connection
        if not router.allow_migrate(connection.alias, app_label):
            return  # a database the project's routers keep the app out of
        if connection.vendor != "postgresql":
            raise RuntimeError(f"pytask_sync needs PostgreSQL, not {connection.vendor}")
        from pytask_sync.migrate import upgrade_connection

        connection.ensure_connection()
        upgrade_connection(connection.connection, self.revision)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        """Refused while the engine is installed (see ``REFUSAL``); once it is gone, nothing to do."""
        if engine_installed(schema_editor.connection):
            raise IrreversibleError(REFUSAL)

    def describe(self) -> str:
        """What ``migrate`` and ``sqlmigrate`` say it does."""
        return f"Install or upgrade the pytask_sync engine to revision {self.revision}"

    @property
    def migration_name_fragment(self) -> str:
        """A migration made of it alone is named ``NNNN_engine_<revision>``."""
        return f"engine_{self.revision}"
