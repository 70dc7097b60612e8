"""Component kinds are data, like rules; plans of every pending work order.

Revision ID: 0004_kinds
Revises: 0003_books
Create Date: 2026-11-27

Runs its own frozen SQL (``0004_kinds.up.sql`` / ``0004_kinds.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the raw driver cursor
(alembic's ``op.execute`` would read ``:name`` as a bind parameter). The downgrade is refused, with
nothing changed, while a kind made by ``create_source_kind`` exists.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0004_kinds"
down_revision = "0003_books"
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
