"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
copied from the canonical sql/ files when the revision was made, through the raw driver cursor.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
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
