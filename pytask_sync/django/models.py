"""Unmanaged Django models of the public tables of the ``task_sync`` schema.

Keys and relations as the schema has them: every row that belongs to a work order has a foreign
key ``work_order``; rows with an identity ``id`` use it as their primary key (it is unique on its
own), links and the books without one use a composite key (Django 5.2). Relations are
``DO_NOTHING``: PostgreSQL's foreign keys decide (a work order's inputs go with it, its tasks keep
it from being deleted).

The engine's columns (versions, baselines, a task's origin and generation key, ids, the work order
a row belongs to, ``created_at``) are not editable and never written by ``save()`` of a row that
exists: it writes only the fields in ``writable`` (the database refuses any other value of an
engine column with TSP01 anyway), and a change to any other field of a row read from the database
raises ``ValueError`` rather than being lost. A new row leaves them to their database defaults. Syncing goes
through :class:`pytask_sync.TaskSync` on ``django.db.connection``; the books (marks, dismissals,
the audit) are read-only here, as they are for every role but the schema owner.

Source kinds a DBA adds with ``create_source_kind`` have tables of their own that these models do
not cover; model them as ``WorkOrderArtwork`` / ``WorkOrderProduct`` are.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models.functions import Now


def _table(name: str) -> str:
    """``db_table`` of ``task_sync.<name>``, whatever the connection's search_path.

    Django quotes it as ``"task_sync"."<name>"``.
    """
    return f'task_sync"."{name}'


class _Row(models.Model):
    """A row whose existing version ``save()`` updates only in the fields a writer may change."""

    #: the fields an UPDATE may change; every other column keeps its value (the engine's, or a key)
    writable: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        """The row as read, remembering what its fields that ``save()`` does not write held."""
        instance = super().from_db(db, field_names, values)
        instance._remember()
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        """Read the row again; what it holds now is what ``save()`` compares with."""
        super().refresh_from_db(*args, **kwargs)
        self._remember()

    def _kept(self) -> list[Any]:
        return [f for f in self._meta.concrete_fields if f.name not in self.writable and f.column]

    def _remember(self) -> None:
        self._as_read = {f.attname: self.__dict__[f.attname] for f in self._kept() if f.attname in self.__dict__}

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new row whole; update an existing one in its ``writable`` fields only.

        A change to any other field of a row that exists (the engine's columns, a key, a generated
        task's identity) would be lost: ``ValueError`` names it, and nothing is written.
        """
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            as_read = getattr(self, "_as_read", {})
            now = self.__dict__
            lost = [
                f.name
                for f in self._kept()
                if f.attname in as_read and f.attname in now and now[f.attname] != as_read[f.attname]
            ]
            if lost:
                writes = f"only {', '.join(self.writable)}" if self.writable else "nothing (delete it, add another)"
                raise ValueError(
                    f"{type(self).__name__}.save() writes {writes} of a row that exists; "
                    f"the change to {', '.join(lost)} would be lost"
                )
            if not self.writable:
                return  # nothing of it may change (a link)
            kwargs["update_fields"] = self.writable
        super().save(*args, **kwargs)


class _Catalog(models.Model):
    """A catalog row (id, unique code, name): read by writers, kept by the schema owner."""

    id = models.BigAutoField(primary_key=True)
    code = models.TextField(unique=True)
    name = models.TextField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Process(_Catalog):
    """A process a route is made of (CTP, PRT, CUT, ...)."""

    class Meta:
        managed = False
        db_table = _table("process")


class Artwork(_Catalog):
    """Catalog of the source kind ``artwork``."""

    class Meta:
        managed = False
        db_table = _table("artwork")


class Die(_Catalog):
    """Catalog of the source kind ``die``."""

    class Meta:
        managed = False
        db_table = _table("die")


class FoilingPlate(_Catalog):
    """Catalog of the source kind ``foiling_plate``."""

    class Meta:
        managed = False
        db_table = _table("foiling_plate")


class EmbossingPlate(_Catalog):
    """Catalog of the source kind ``embossing_plate``."""

    class Meta:
        managed = False
        db_table = _table("embossing_plate")


class Material(_Catalog):
    """Catalog of the source kind ``material``."""

    class Meta:
        managed = False
        db_table = _table("material")


class Product(_Catalog):
    """Catalog of the source kind ``product``."""

    class Meta:
        managed = False
        db_table = _table("product")


class SourceKind(models.Model):
    """A kind of source a rule yields one task per (``task_sync.source_kind``)."""

    kind = models.TextField(primary_key=True)
    shape = models.TextField()
    line_filter = models.TextField(null=True, blank=True)
    built_in = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = _table("source_kind")

    def __str__(self) -> str:
        return str(self.kind)


class GenerationRule(models.Model):
    """A rule of the generator: for every process of its code, one task per source of its kind."""

    id = models.BigAutoField(primary_key=True)
    process_code = models.ForeignKey(
        Process,
        models.DO_NOTHING,
        to_field="code",
        db_column="process_code",
        null=True,
        blank=True,
        related_name="rules",
    )
    source_kind = models.ForeignKey(SourceKind, models.DO_NOTHING, db_column="source_kind", related_name="rules")
    task_type = models.TextField()
    quantity_source = models.TextField()
    content_template = models.TextField()

    class Meta:
        managed = False
        db_table = _table("generation_rule")

    def __str__(self) -> str:
        return f"{self.process_code_id or '(default)'} {self.source_kind_id} -> {self.task_type}"


class WorkOrder(_Row):
    """A job. ``synced_version`` and ``created_at`` are the engine's."""

    writable = ("order_number", "production_quantity", "status", "approval_status")

    id = models.BigAutoField(primary_key=True)
    order_number = models.TextField(unique=True)
    production_quantity = models.IntegerField(null=True, blank=True)
    status = models.TextField(default="pending")
    approval_status = models.TextField(default="pending")
    synced_version = models.BigIntegerField(db_default=0, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        managed = False
        db_table = _table("work_order")

    def __str__(self) -> str:
        return str(self.order_number)


class WorkOrderProcess(_Row):
    """A route row: a process of a work order, in sequence."""

    writable = ("process", "sequence")

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="route")
    process = models.ForeignKey(Process, models.DO_NOTHING, related_name="+")
    sequence = models.IntegerField()

    class Meta:
        managed = False
        db_table = _table("work_order_process")
        ordering = ("work_order", "sequence")

    def __str__(self) -> str:
        return f"{self.work_order} #{self.sequence} {self.process}"


class WorkOrderArtwork(_Row):
    """A link of a work order to an artwork."""

    pk = models.CompositePrimaryKey("work_order_id", "artwork_id")
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="artwork_links")
    artwork = models.ForeignKey(Artwork, models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = _table("work_order_artwork")

    def __str__(self) -> str:
        return f"{self.work_order}: {self.artwork}"


class WorkOrderDie(_Row):
    """A link of a work order to a die."""

    pk = models.CompositePrimaryKey("work_order_id", "die_id")
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="die_links")
    die = models.ForeignKey(Die, models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = _table("work_order_die")

    def __str__(self) -> str:
        return f"{self.work_order}: {self.die}"


class WorkOrderFoilingPlate(_Row):
    """A link of a work order to a foiling plate."""

    pk = models.CompositePrimaryKey("work_order_id", "foiling_plate_id")
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="foiling_plate_links")
    foiling_plate = models.ForeignKey(FoilingPlate, models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = _table("work_order_foiling_plate")

    def __str__(self) -> str:
        return f"{self.work_order}: {self.foiling_plate}"


class WorkOrderEmbossingPlate(_Row):
    """A link of a work order to an embossing plate."""

    pk = models.CompositePrimaryKey("work_order_id", "embossing_plate_id")
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="embossing_plate_links")
    embossing_plate = models.ForeignKey(EmbossingPlate, models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = _table("work_order_embossing_plate")

    def __str__(self) -> str:
        return f"{self.work_order}: {self.embossing_plate}"


class WorkOrderMaterial(_Row):
    """A material line of a work order (a source of cutting tasks when it needs cutting)."""

    writable = ("material", "quantity", "need_cutting")

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="material_lines")
    material = models.ForeignKey(Material, models.DO_NOTHING, related_name="+")
    quantity = models.IntegerField(default=0)
    need_cutting = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = _table("work_order_material")

    def __str__(self) -> str:
        return f"{self.work_order}: {self.material} x {self.quantity}"


class WorkOrderProduct(_Row):
    """A product line of a work order."""

    writable = ("product", "quantity")

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="product_lines")
    product = models.ForeignKey(Product, models.DO_NOTHING, related_name="+")
    quantity = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = _table("work_order_product")

    def __str__(self) -> str:
        return f"{self.work_order}: {self.product} x {self.quantity}"


class Task(_Row):
    """A task. People insert manual ones and edit four fields; the rest is the engine's.

    ``status`` draft is a draft; every other status is formal. ``origin`` generated marks the
    engine's drafts, matched by (``work_order_process``, ``task_type``, ``source_kind``,
    ``source_id``); ``generated_*`` are the values the engine generated last (the baseline).
    """

    writable = (
        # for each synced field:
        #   "{name}",
        "work_content",
        "production_quantity",
        # end
        "quantity_completed",
        "status",
    )

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="tasks")
    work_order_process = models.ForeignKey(
        WorkOrderProcess, models.DO_NOTHING, null=True, blank=True, related_name="tasks"
    )
    status = models.TextField(default="draft")
    origin = models.TextField(db_default="manual", editable=False)
    task_type = models.TextField()
    source_kind = models.TextField(null=True, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    # for each synced field:
    #   {name} = models.{django}(null=True, blank=True)
    work_content = models.TextField(null=True, blank=True)
    production_quantity = models.IntegerField(null=True, blank=True)
    # end
    quantity_completed = models.IntegerField(default=0)
    # for each synced field:
    #   generated_{name} = models.{django}(null=True, blank=True, editable=False)
    generated_work_content = models.TextField(null=True, blank=True, editable=False)
    generated_production_quantity = models.IntegerField(null=True, blank=True, editable=False)
    # end
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        managed = False
        db_table = _table("task")

    def __str__(self) -> str:
        return f"{self.task_type} {self.work_content or ''}".strip()


class WorkOrderMark(models.Model):
    """A change not yet synced (the engine's; read-only)."""

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="marks", db_constraint=False)
    marked_at = models.DateTimeField()
    weight = models.IntegerField()

    class Meta:
        managed = False
        db_table = _table("work_order_mark")

    def __str__(self) -> str:
        return f"{self.work_order_id}: change at {self.marked_at:%Y-%m-%d %H:%M:%S}"


class WorkOrderMarkParked(models.Model):
    """The folded marks of a work order that may not be synced (the engine's; read-only)."""

    work_order = models.OneToOneField(
        WorkOrder, models.DO_NOTHING, primary_key=True, related_name="parked_marks", db_constraint=False
    )
    weight = models.BigIntegerField()
    since = models.DateTimeField()

    class Meta:
        managed = False
        db_table = _table("work_order_mark_parked")

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.weight} parked changes"


class SyncFailure(models.Model):
    """A work order whose last batch sync failed, with the error (the engine's; read-only)."""

    work_order = models.OneToOneField(
        WorkOrder, models.DO_NOTHING, primary_key=True, related_name="sync_failure", db_constraint=False
    )
    failed_at = models.DateTimeField()
    sqlstate = models.TextField()
    message = models.TextField()
    detail = models.TextField(null=True)
    failures = models.IntegerField()
    retry_after = models.DateTimeField()
    definition_version = models.BigIntegerField()
    reason = models.TextField(default="failed")
    advice = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = _table("sync_failure")

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.sqlstate} {self.message}"


class TaskDismissal(models.Model):
    """A generated draft a planner deleted (the engine's; read-only)."""

    pk = models.CompositePrimaryKey("work_order_id", "work_order_process_id", "task_type", "source_kind", "source_id")
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="dismissals", db_constraint=False)
    work_order_process_id = models.BigIntegerField()
    task_type = models.TextField()
    source_kind = models.TextField()
    source_id = models.BigIntegerField()
    task_id = models.BigIntegerField()
    dismissed_at = models.DateTimeField()
    dismissed_by = models.TextField()

    class Meta:
        managed = False
        db_table = _table("task_dismissal")

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.task_type} of {self.source_kind} {self.source_id} dismissed"


class SyncRun(models.Model):
    """One executed sync (the audit; read-only)."""

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="sync_runs", db_constraint=False)
    ran_at = models.DateTimeField()
    run_by = models.TextField()
    application_name = models.TextField(null=True)
    via = models.TextField()
    plan_hash = models.TextField()
    from_version = models.BigIntegerField()
    to_version = models.BigIntegerField()
    overwrite_edits = models.BooleanField()
    restore_dismissed = models.BooleanField()
    added = models.IntegerField()
    removed = models.IntegerField()
    updated = models.IntegerField()
    conflicts = models.IntegerField()

    class Meta:
        managed = False
        db_table = _table("sync_run")

    def __str__(self) -> str:
        return f"sync {self.id} of {self.work_order_id} by {self.run_by}: +{self.added} -{self.removed} ~{self.updated}"


class SyncItem(models.Model):
    """One change a sync applied (the audit; read-only)."""

    pk = models.CompositePrimaryKey("work_order_id", "sync_run_id", "task_id")
    sync_run = models.ForeignKey(SyncRun, models.DO_NOTHING, related_name="items", db_constraint=False)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING, related_name="+", db_constraint=False)
    task_id = models.BigIntegerField()
    action = models.TextField()
    work_order_process_id = models.BigIntegerField(null=True)
    process_code = models.TextField(null=True)
    task_type = models.TextField()
    source_kind = models.TextField()
    source_id = models.BigIntegerField()
    # for each synced field:
    #   {name} = models.{django}(null=True)
    work_content = models.TextField(null=True)
    production_quantity = models.IntegerField(null=True)
    # end
    # for each synced field:
    #   previous_{name} = models.{django}(null=True)
    previous_work_content = models.TextField(null=True)
    previous_production_quantity = models.IntegerField(null=True)
    # end
    restored = models.BooleanField()
    overwritten = models.BooleanField()

    class Meta:
        managed = False
        db_table = _table("sync_item")

    def __str__(self) -> str:
        return f"sync {self.sync_run_id}: {self.action} task {self.task_id} ({self.task_type})"
