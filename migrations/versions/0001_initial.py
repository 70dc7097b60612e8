"""Initial schema: catalogs, rules, work orders, tasks, the sync engine and its triggers.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26

Runs its own frozen SQL (``0001_initial.up.sql`` / ``0001_initial.down.sql`` beside this file),
copied from the canonical sql/ files when the revision was made, through the raw driver cursor
(alembic's ``op.execute`` would read ``:name`` as a bind parameter).
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = "0001_initial"
down_revision = None
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
