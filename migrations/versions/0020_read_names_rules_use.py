"""A catalog's names read only when a rule names the source.

Revision ID: 0020_read_names_rules_use
Revises: 0019_read_what_is_returned
Create Date: 2026-12-08 00:04:03+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0020_read_names_rules_use"
down_revision = "0019_read_what_is_returned"
upgrade, downgrade = frozen_steps(__file__)
