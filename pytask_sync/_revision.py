"""The one runner of every alembic revision of pytask_sync.

A revision runs its own frozen SQL file (``<revision>.up.sql`` / ``<revision>.down.sql`` beside
the revision file), never the live ``sql/`` files, so an old revision means the same thing
forever. The text goes through the raw driver cursor with no parameters: alembic's
``op.execute(str)`` would read ``:name`` as a bind parameter and ``exec_driver_sql`` ``%`` as a
placeholder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def run_frozen_sql(revision_file: str, direction: str) -> None:
    """Run the frozen ``up`` or ``down`` SQL of the revision whose module file is ``revision_file``."""
    from alembic import op

    path = Path(revision_file)
    sql = path.with_name(f"{path.stem}.{direction}.sql").read_text(encoding="utf-8")
    driver = op.get_bind().connection.driver_connection
    assert driver is not None, "the migration's connection is closed"
    with driver.cursor() as cur:
        cur.execute(sql.encode())


def frozen_steps(revision_file: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """The ``upgrade`` and ``downgrade`` of the revision whose module file is ``revision_file``.

    A revision file is then its docstring, its ids and ``upgrade, downgrade = frozen_steps(__file__)``.
    """
    return (lambda: run_frozen_sql(revision_file, "up"), lambda: run_frozen_sql(revision_file, "down"))
