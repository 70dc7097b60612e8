"""Initial schema: catalogs, rules, work orders, tasks, the sync engine and its triggers.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26

Runs its own frozen SQL (``0001_initial.up.sql`` / ``0001_initial.down.sql`` beside this file),
copied from the canonical sql/ files when the revision was made, through the one runner of every revision
(``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "0001_initial"
down_revision = None
upgrade, downgrade = frozen_steps(__file__)
