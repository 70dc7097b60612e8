# ruff: noqa: D101, RUF012
"""The engine up to alembic revision 0010_batch_cost, and the state of the app's (unmanaged) models.

``UpgradeEngine`` runs the package's alembic revisions on Django's connection, in this
migration's transaction, with alembic's version table ``task_sync.alembic_version`` as the one
record (a database ``pytask-sync migrate`` already brought there, or past it, is left as it is).
The models are made by the engine, never by Django (``managed = False``): their ``CreateModel``
operations carry the state that lets an app of the project have foreign keys to them.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

from pytask_sync.django.operations import UpgradeEngine


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        UpgradeEngine("0010_batch_cost"),
        migrations.CreateModel(
            name="Artwork",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."artwork',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="Die",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."die',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="EmbossingPlate",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."embossing_plate',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="FoilingPlate",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."foiling_plate',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="GenerationRule",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("task_type", models.TextField()),
                ("quantity_source", models.TextField()),
                ("content_template", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."generation_rule',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="Material",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."material',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="Process",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."process',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="Product",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("code", models.TextField(unique=True)),
                ("name", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."product',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="SourceKind",
            fields=[
                ("kind", models.TextField(primary_key=True, serialize=False)),
                ("shape", models.TextField()),
                ("line_filter", models.TextField(blank=True, null=True)),
                ("built_in", models.BooleanField(default=False)),
            ],
            options={
                "db_table": 'task_sync"."source_kind',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrder",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("order_number", models.TextField(unique=True)),
                ("production_quantity", models.IntegerField(blank=True, null=True)),
                ("status", models.TextField(default="pending")),
                ("approval_status", models.TextField(default="pending")),
                ("synced_version", models.BigIntegerField(db_default=0, editable=False)),
                (
                    "created_at",
                    models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False),
                ),
            ],
            options={
                "db_table": 'task_sync"."work_order',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="SyncItem",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "work_order_id",
                        "sync_run_id",
                        "task_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("task_id", models.BigIntegerField()),
                ("action", models.TextField()),
                ("work_order_process_id", models.BigIntegerField(null=True)),
                ("process_code", models.TextField(null=True)),
                ("task_type", models.TextField()),
                ("source_kind", models.TextField()),
                ("source_id", models.BigIntegerField()),
                ("work_content", models.TextField(null=True)),
                ("production_quantity", models.IntegerField(null=True)),
                ("previous_work_content", models.TextField(null=True)),
                ("previous_production_quantity", models.IntegerField(null=True)),
                ("restored", models.BooleanField()),
                ("overwritten", models.BooleanField()),
            ],
            options={
                "db_table": 'task_sync"."sync_item',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="SyncRun",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("ran_at", models.DateTimeField()),
                ("run_by", models.TextField()),
                ("application_name", models.TextField(null=True)),
                ("via", models.TextField()),
                ("plan_hash", models.TextField()),
                ("from_version", models.BigIntegerField()),
                ("to_version", models.BigIntegerField()),
                ("overwrite_edits", models.BooleanField()),
                ("restore_dismissed", models.BooleanField()),
                ("added", models.IntegerField()),
                ("removed", models.IntegerField()),
                ("updated", models.IntegerField()),
                ("conflicts", models.IntegerField()),
            ],
            options={
                "db_table": 'task_sync"."sync_run',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="Task",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("status", models.TextField(default="draft")),
                ("origin", models.TextField(db_default="manual", editable=False)),
                ("task_type", models.TextField()),
                ("source_kind", models.TextField(blank=True, null=True)),
                ("source_id", models.BigIntegerField(blank=True, null=True)),
                ("work_content", models.TextField(blank=True, null=True)),
                ("production_quantity", models.IntegerField(blank=True, null=True)),
                ("quantity_completed", models.IntegerField(default=0)),
                ("generated_work_content", models.TextField(blank=True, editable=False, null=True)),
                ("generated_production_quantity", models.IntegerField(blank=True, editable=False, null=True)),
                (
                    "created_at",
                    models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False),
                ),
            ],
            options={
                "db_table": 'task_sync"."task',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="TaskDismissal",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "work_order_id",
                        "work_order_process_id",
                        "task_type",
                        "source_kind",
                        "source_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("work_order_process_id", models.BigIntegerField()),
                ("task_type", models.TextField()),
                ("source_kind", models.TextField()),
                ("source_id", models.BigIntegerField()),
                ("task_id", models.BigIntegerField()),
                ("dismissed_at", models.DateTimeField()),
                ("dismissed_by", models.TextField()),
            ],
            options={
                "db_table": 'task_sync"."task_dismissal',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderArtwork",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "work_order_id", "artwork_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
            options={
                "db_table": 'task_sync"."work_order_artwork',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderDie",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "work_order_id", "die_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
            options={
                "db_table": 'task_sync"."work_order_die',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderEmbossingPlate",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "work_order_id",
                        "embossing_plate_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
            options={
                "db_table": 'task_sync"."work_order_embossing_plate',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderFoilingPlate",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "work_order_id",
                        "foiling_plate_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
            options={
                "db_table": 'task_sync"."work_order_foiling_plate',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderMark",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("marked_at", models.DateTimeField()),
                ("weight", models.IntegerField()),
            ],
            options={
                "db_table": 'task_sync"."work_order_mark',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderMaterial",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("quantity", models.IntegerField(default=0)),
                ("need_cutting", models.BooleanField(default=False)),
            ],
            options={
                "db_table": 'task_sync"."work_order_material',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderProcess",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("sequence", models.IntegerField()),
            ],
            options={
                "db_table": 'task_sync"."work_order_process',
                "ordering": ("work_order", "sequence"),
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderProduct",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("quantity", models.IntegerField(default=0)),
            ],
            options={
                "db_table": 'task_sync"."work_order_product',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="SyncFailure",
            fields=[
                (
                    "work_order",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="sync_failure",
                        serialize=False,
                        to="task_sync.workorder",
                    ),
                ),
                ("failed_at", models.DateTimeField()),
                ("sqlstate", models.TextField()),
                ("message", models.TextField()),
                ("detail", models.TextField(null=True)),
                ("failures", models.IntegerField()),
                ("retry_after", models.DateTimeField()),
                ("definition_version", models.BigIntegerField()),
            ],
            options={
                "db_table": 'task_sync"."sync_failure',
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="WorkOrderMarkParked",
            fields=[
                (
                    "work_order",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="parked_marks",
                        serialize=False,
                        to="task_sync.workorder",
                    ),
                ),
                ("weight", models.BigIntegerField()),
                ("since", models.DateTimeField()),
            ],
            options={
                "db_table": 'task_sync"."work_order_mark_parked',
                "managed": False,
            },
        ),
    ]
