"""No one work order, writer or closed job can stall, fail or slow the fleet.

Revision ID: 0008_fleet
Revises: 0007_whole_rows
Create Date: 2026-12-06

Runs its own frozen SQL (``0008_fleet.up.sql`` / ``0008_fleet.down.sql`` beside this file),
written from the diff of the canonical sql/ files when the revision was made, through the one
runner of every revision (``pytask_sync._revision``). Adds a column to work_order_mark and two
tables; the downgrade folds parked and weighted marks into one mark per work order.
"""

from pytask_sync._revision import frozen_steps

revision = "0008_fleet"
down_revision = "0007_whole_rows"
upgrade, downgrade = frozen_steps(__file__)
