"""Where the packaged SQL and migrations live, and the canonical install.

In a checkout, ``sql/`` and ``migrations/`` sit at the top of the repository; an installed wheel
carries them inside the package (``pytask_sync/sql``, ``pytask_sync/migrations``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import psycopg

# the installed package's folder (importlib.resources; alembic needs real files, so not a zip)
_PACKAGE = Path(str(resources.files("pytask_sync")))


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"pytask_sync: the {name}/ folder is missing from this installation")


def sql_dir() -> Path:
    """The folder of canonical SQL files (what a fresh database looks like now)."""
    return _find("sql")


def migrations_dir() -> Path:
    """The alembic script folder with the packaged revisions."""
    return _find("migrations")


def canonical_files() -> list[Path]:
    """The canonical SQL files, in the order they are run (sorted by their path under sql/)."""
    root = sql_dir()
    return sorted(root.rglob("*.sql"), key=lambda p: p.relative_to(root).as_posix())


def canonical_sql() -> str:
    """The canonical install as one SQL text: every file of sql/ in order."""
    return "\n".join(p.read_text(encoding="utf-8") for p in canonical_files())


def install_canonical(conn: psycopg.Connection) -> None:
    """Run the canonical SQL on ``conn`` in one transaction (for tests and ``bench/``).

    Databases people use are installed with :func:`pytask_sync.migrate`, which runs the frozen
    revisions; a test proves both give the same schema.
    """
    with conn.transaction():
        conn.execute(canonical_sql().encode())


def known_revisions() -> list[str]:
    """The revision ids this package carries, oldest first, as alembic's ``ScriptDirectory`` reads them."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir()))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
