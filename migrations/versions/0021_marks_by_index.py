"""The marks read by their indexes however large their table grew; pending searches drafts once.

Revision ID: 0021_marks_by_index
Revises: 0020_read_names_rules_use
Create Date: 2026-12-08 02:52:09+00:00

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0021_marks_by_index"
down_revision = "0020_read_names_rules_use"
upgrade, downgrade = frozen_steps(__file__)
