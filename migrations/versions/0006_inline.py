"""The helpers called once per row, or handed a whole plan, are inlined; the plan reads each row once.

Revision ID: 0006_inline
Revises: 0005_routes
Create Date: 2026-11-27

Runs its own frozen SQL (``0006_inline.up.sql`` / ``0006_inline.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the one runner of every revision
(``pytask_sync._revision``). Function bodies only: no table
or data changes, so both directions are safe at any time.
"""

from pytask_sync._revision import frozen_steps

revision = "0006_inline"
down_revision = "0005_routes"
upgrade, downgrade = frozen_steps(__file__)
