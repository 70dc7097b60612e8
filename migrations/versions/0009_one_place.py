"""Each decision written once, in named steps and parts; behaviour unchanged.

Revision ID: 0009_one_place
Revises: 0008_fleet
Create Date: 2026-12-06

Runs its own frozen SQL (``0009_one_place.up.sql`` / ``0009_one_place.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
The catalogs' rename triggers are re-created with their arguments; two composite types are added.
"""

from pytask_sync._revision import frozen_steps

revision = "0009_one_place"
down_revision = "0008_fleet"
upgrade, downgrade = frozen_steps(__file__)
