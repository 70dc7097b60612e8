"""Scale, round two: the pending queue without row locks, the links read once, retention that resumes.

Revision ID: 0017_scale_two
Revises: 0016_fields_generated
Create Date: 2026-12-07 17:45:16+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0017_scale_two"
down_revision = "0016_fields_generated"
upgrade, downgrade = frozen_steps(__file__)
