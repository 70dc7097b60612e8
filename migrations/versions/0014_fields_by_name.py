"""Plan lines, changes and audit items built by name; the synced fields generated from one list.

Revision ID: 0014_fields_by_name
Revises: 0013_scale
Create Date: 2026-12-07 15:51:14+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0014_fields_by_name"
down_revision = "0013_scale"
upgrade, downgrade = frozen_steps(__file__)
