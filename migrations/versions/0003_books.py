"""The engine's books belong to the engine; a preview for every way execute runs.

Revision ID: 0003_books
Revises: 0002_marks
Create Date: 2026-11-27

Runs its own frozen SQL (``0003_books.up.sql`` / ``0003_books.down.sql`` beside this file),
written from the diff of the canonical sql/ files when the revision was made, through the raw
driver cursor (alembic's ``op.execute`` would read ``:name`` as a bind parameter). A database
holding a work order, route row, line or task with an id that is not positive is refused with
one clear error, and nothing is changed.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0003_books"
down_revision = "0002_marks"
branch_labels = None
depends_on = None


def _run(direction: str) -> None:
    sql = Path(__file__).with_name(f"{revision}.{direction}.sql").read_text(encoding="utf-8")
    driver = op.get_bind().connection.driver_connection
    with driver.cursor() as cur:
        cur.execute(sql.encode())


def upgrade() -> None:
    _run("up")


def downgrade() -> None:
    _run("down")
