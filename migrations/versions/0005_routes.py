"""A sync holds the route rows its plan adds drafts for.

Revision ID: 0005_routes
Revises: 0004_kinds
Create Date: 2026-11-27

Runs its own frozen SQL (``0005_routes.up.sql`` / ``0005_routes.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the one runner of every revision
(``pytask_sync._revision``). Function bodies only: no table
or data changes, so both directions are safe at any time.
"""

from pytask_sync._revision import frozen_steps

revision = "0005_routes"
down_revision = "0004_kinds"
upgrade, downgrade = frozen_steps(__file__)
