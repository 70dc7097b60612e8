"""Marks as rows of their own: marking takes no lock an edit does not hold; rule and catalog
changes lock what concurrent route and link inserts need; sync_pending never waits.

Revision ID: 0002_marks
Revises: 0001_initial
Create Date: 2026-11-26

Runs its own frozen SQL (``0002_marks.up.sql`` / ``0002_marks.down.sql`` beside this file),
written from the diff of the canonical sql/ files when the revision was made, through the raw
driver cursor (alembic's ``op.execute`` would read ``:name`` as a bind parameter). Pending work
orders keep their definition_version through the upgrade and the downgrade.
"""

from pytask_sync._revision import frozen_steps

revision = "0002_marks"
down_revision = "0001_initial"
upgrade, downgrade = frozen_steps(__file__)
