"""pending() and plan_pending read only the work orders they return; a plan's lines cost less planning.

Revision ID: 0019_read_what_is_returned
Revises: 0018_keep_up
Create Date: 2026-12-07 20:42:19+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0019_read_what_is_returned"
down_revision = "0018_keep_up"
upgrade, downgrade = frozen_steps(__file__)
