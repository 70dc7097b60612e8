"""The engine's books belong to the engine; a preview for every way execute runs.

Revision ID: 0003_books
Revises: 0002_marks
Create Date: 2026-11-27

Runs its own frozen SQL (``0003_books.up.sql`` / ``0003_books.down.sql`` beside this file),
written from the diff of the canonical sql/ files when the revision was made, through the raw
driver cursor (alembic's ``op.execute`` would read ``:name`` as a bind parameter). A database
holding a work order, route row, line or task with an id that is not positive is refused with
one clear error, and nothing is changed.
"""

from pytask_sync._revision import frozen_steps

revision = "0003_books"
down_revision = "0002_marks"
upgrade, downgrade = frozen_steps(__file__)
