"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
copied from the canonical sql/ files when the revision was made, through the raw driver cursor.
"""

from __future__ import annotations

from pytask_sync._revision import run_frozen_sql

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "up")


def downgrade() -> None:
    run_frozen_sql(__file__, "down")
