"""Every engine error's message starts with its SQLSTATE.

Revision ID: 0012_error_codes
Revises: 0011_hold_nothing
Create Date: 2026-12-07 15:30:30+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0012_error_codes"
down_revision = "0011_hold_nothing"
upgrade, downgrade = frozen_steps(__file__)
