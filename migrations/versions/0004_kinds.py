"""Component kinds are data, like rules; plans of every pending work order.

Revision ID: 0004_kinds
Revises: 0003_books
Create Date: 2026-11-27

Runs its own frozen SQL (``0004_kinds.up.sql`` / ``0004_kinds.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the one runner of every revision
(``pytask_sync._revision``). The downgrade is refused, with
nothing changed, while a kind made by ``create_source_kind`` exists.
"""

from __future__ import annotations

from pytask_sync._revision import run_frozen_sql

revision = "0004_kinds"
down_revision = "0003_books"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_frozen_sql(__file__, "up")


def downgrade() -> None:
    run_frozen_sql(__file__, "down")
