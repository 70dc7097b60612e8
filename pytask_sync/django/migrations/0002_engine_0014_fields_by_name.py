# ruff: noqa: RUF012
"""The engine up to alembic revision 0014_fields_by_name (pytask-sync 0.2.0); the models' state is unchanged.

``UpgradeEngine`` runs the package's alembic revisions after ``0010_batch_cost`` on Django's
connection, in this migration's transaction (a database ``pytask-sync migrate`` already brought
there, or past it, is left as it is).
"""

from django.db import migrations

from pytask_sync.django.operations import UpgradeEngine


class Migration(migrations.Migration):
    """The engine's revisions 0011_hold_nothing to 0014_fields_by_name."""

    dependencies = [("task_sync", "0001_initial")]

    operations = [UpgradeEngine("0014_fields_by_name")]
