"""Desired values, type overloads, signatures and audit sentences generated from the fields.

Revision ID: 0016_fields_generated
Revises: 0015_snapshot_levels
Create Date: 2026-12-07 17:17:06+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0016_fields_generated"
down_revision = "0015_snapshot_levels"
upgrade, downgrade = frozen_steps(__file__)
