# ruff: noqa: RUF012
"""The engine up to alembic revision 0021_marks_by_index (pytask-sync 0.2.0).

The models' state is unchanged. ``UpgradeEngine`` runs the package's alembic revisions after
the one the database is at on Django's connection, in this migration's transaction (a database
``pytask-sync migrate`` already brought there, or past it, is left as it is).
"""

from django.db import migrations

from pytask_sync.django.operations import UpgradeEngine


class Migration(migrations.Migration):
    """The engine's revisions 0015_snapshot_levels to 0021_marks_by_index."""

    dependencies = [("task_sync", "0002_engine_0014_fields_by_name")]

    operations = [UpgradeEngine("0021_marks_by_index")]
