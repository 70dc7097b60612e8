"""A batch's cost follows its work: candidates without a query each, plain inserts, no route claim.

Revision ID: 0010_batch_cost
Revises: 0009_one_place

Runs its own frozen SQL (``0010_batch_cost.up.sql`` / ``0010_batch_cost.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0010_batch_cost"
down_revision = "0009_one_place"
upgrade, downgrade = frozen_steps(__file__)
