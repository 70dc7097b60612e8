"""The helpers called once per row, or handed a whole plan, are inlined; the plan reads each row once.

Revision ID: 0006_inline
Revises: 0005_routes
Create Date: 2026-11-27

Runs its own frozen SQL (``0006_inline.up.sql`` / ``0006_inline.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the raw driver cursor
(alembic's ``op.execute`` would read ``:name`` as a bind parameter). Function bodies only: no table
or data changes, so both directions are safe at any time.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0006_inline"
down_revision = "0005_routes"
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
