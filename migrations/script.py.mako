"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Runs its own frozen SQL (``<revision>.up.sql`` / ``<revision>.down.sql`` beside this file),
started with scripts/freeze_revision.py from the diff of the canonical sql/ files, through the one
runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "${up_revision}"
down_revision = ${'"%s"' % down_revision if down_revision else None}
upgrade, downgrade = frozen_steps(__file__)
