"""No writer holds the fleet: ids refused before any index entry, failures under the row lock, why, bounded books.

Revision ID: 0011_hold_nothing
Revises: 0010_batch_cost

Runs its own frozen SQL (``0011_hold_nothing.up.sql`` / ``0011_hold_nothing.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0011_hold_nothing"
down_revision = "0010_batch_cost"
upgrade, downgrade = frozen_steps(__file__)
