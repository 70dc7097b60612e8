"""Each decision written once: the field rule, a kind's table names; no dead helper.

Revision ID: 0009_one_place
Revises: 0008_fleet
Create Date: 2026-12-06

Runs its own frozen SQL (``0009_one_place.up.sql`` / ``0009_one_place.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
Behaviour unchanged: the catalogs' rename triggers are re-created with arguments.
"""

from __future__ import annotations

from pytask_sync._revision import run_frozen_sql

revision = "0009_one_place"
down_revision = "0008_fleet"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "up")


def downgrade() -> None:
    run_frozen_sql(__file__, "down")
