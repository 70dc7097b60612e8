"""Upkeep of the marks at REPEATABLE READ without the rows changed since the snapshot.

Revision ID: 0018_keep_up
Revises: 0017_scale_two
Create Date: 2026-12-07 19:06:44+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0018_keep_up"
down_revision = "0017_scale_two"
upgrade, downgrade = frozen_steps(__file__)
