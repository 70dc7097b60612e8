"""Every engine error's message starts with its SQLSTATE.

Revision ID: 0012_error_codes
Revises: 0010_batch_cost

Runs its own frozen SQL (``0012_error_codes.up.sql`` / ``0012_error_codes.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0012_error_codes"
down_revision = "0010_batch_cost"
upgrade, downgrade = frozen_steps(__file__)
