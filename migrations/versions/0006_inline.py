"""The helpers called once per row, or handed a whole plan, are inlined; the plan reads each row once.

Revision ID: 0006_inline
Revises: 0005_routes
Create Date: 2026-11-27

Runs its own frozen SQL (``0006_inline.up.sql`` / ``0006_inline.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the one runner of every revision
(``pytask_sync._revision``). Function bodies only: no table
or data changes, so both directions are safe at any time.
"""

from __future__ import annotations

from pytask_sync._revision import run_frozen_sql

revision = "0006_inline"
down_revision = "0005_routes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "up")


def downgrade() -> None:
    run_frozen_sql(__file__, "down")
