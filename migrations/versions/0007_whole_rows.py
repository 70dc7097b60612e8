"""Whole-row writes work; the engine's books are protected by value, not by column grants.

Revision ID: 0007_whole_rows
Revises: 0006_inline
Create Date: 2026-12-06

Runs its own frozen SQL (``0007_whole_rows.up.sql`` / ``0007_whole_rows.down.sql`` beside this
file), written from the diff of the canonical sql/ files when the revision was made, through the
one runner of every revision (``pytask_sync._revision``). Grants, triggers and function bodies
only: no table or data changes, so both directions are safe at any time.
"""

from pytask_sync._revision import frozen_steps

revision = "0007_whole_rows"
down_revision = "0006_inline"
upgrade, downgrade = frozen_steps(__file__)
