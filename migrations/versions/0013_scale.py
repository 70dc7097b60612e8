"""The pending queue reads the marked work orders by id, not every work order.

Revision ID: 0013_scale
Revises: 0010_batch_cost

Runs its own frozen SQL (``0013_scale.up.sql`` / ``0013_scale.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0013_scale"
down_revision = "0010_batch_cost"
upgrade, downgrade = frozen_steps(__file__)
