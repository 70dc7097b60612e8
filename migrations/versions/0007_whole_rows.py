"""Whole-row writes work; the engine's books are protected by value, not by column grants.

Revision ID: 0007_whole_rows
Revises: 0006_inline
Create Date: 2026-12-06

Runs its own frozen SQL (``0007_whole_rows.up.sql`` / ``0007_whole_rows.down.sql`` beside this
file), written from the diff of the canonical sql/ files when the revision was made, through the
one runner of every revision (``pytask_sync._revision``). Grants, triggers and function bodies
only: no table or data changes, so both directions are safe at any time.
"""

from __future__ import annotations

from pytask_sync._revision import run_frozen_sql

revision = "0007_whole_rows"
down_revision = "0006_inline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "up")


def downgrade() -> None:
    run_frozen_sql(__file__, "down")
