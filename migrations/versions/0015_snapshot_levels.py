"""A batch at REPEATABLE READ goes on past rows changed since its snapshot; busy work orders' marks fold.

Revision ID: 0015_snapshot_levels
Revises: 0014_fields_by_name
Create Date: 2026-12-07 17:46:27+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0015_snapshot_levels"
down_revision = "0014_fields_by_name"
upgrade, downgrade = frozen_steps(__file__)
