"""Freeze the canonical sql/ into a revision's up file: ``python scripts/freeze_revision.py 0001_initial``.

A new revision copies what it needs from sql/ once, when it is made; after that its file never
changes. (0002 and later hold only their own changes: write them by hand from the diff of sql/,
with an explicit DROP FUNCTION where a signature changes.) The schema test proves that a fresh
canonical install and ``alembic upgrade head`` give the same pg_dump.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytask_sync._resources import canonical_sql  # noqa: E402


def main() -> None:
    revision = sys.argv[1]
    target = ROOT / "migrations" / "versions" / f"{revision}.up.sql"
    header = f"-- {revision} up: frozen copy of the canonical sql/ files as they were when this revision was made.\n\n"
    target.write_text(header + canonical_sql(), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
