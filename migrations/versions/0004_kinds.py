"""Component kinds are data, like rules; plans of every pending work order.

Revision ID: 0004_kinds
Revises: 0003_books
Create Date: 2026-11-27

Runs its own frozen SQL (``0004_kinds.up.sql`` / ``0004_kinds.down.sql`` beside this file), written
from the diff of the canonical sql/ files when the revision was made, through the one runner of every revision
(``pytask_sync._revision``). The downgrade is refused, with
nothing changed, while a kind made by ``create_source_kind`` exists.
"""

from pytask_sync._revision import frozen_steps

revision = "0004_kinds"
down_revision = "0003_books"
upgrade, downgrade = frozen_steps(__file__)
