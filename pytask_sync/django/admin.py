"""The engine's models in Django's admin: opt-in, ``import pytask_sync.django.admin`` in an ``admin.py``.

Importing this module registers every model of ``pytask_sync.django.models`` on
``django.contrib.admin.site`` (or call :func:`register` with a site of your own). The change
form of a row offers exactly the fields its ``save()`` writes (the model's ``writable``): the
engine's columns, a row's keys and a generated task's identity are shown read-only, so no edit
made in the admin is dropped on save. The books (marks, dismissals, failures, the audit) are
view-only; catalogs and rules are as the database allows the admin's role (the schema owner's).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from . import models as m

#: rows the engine alone writes: the admin shows them and changes nothing
BOOKS: tuple[type[Any], ...] = (
    m.WorkOrderMark,
    m.WorkOrderMarkParked,
    m.SyncFailure,
    m.TaskDismissal,
    m.SyncRun,
    m.SyncItem,
)

#: rows a writer edits, and the fields it may change on a row that exists (the rest is read-only)
ROWS: tuple[type[Any], ...] = (
    m.WorkOrder,
    m.WorkOrderProcess,
    m.WorkOrderArtwork,
    m.WorkOrderDie,
    m.WorkOrderFoilingPlate,
    m.WorkOrderEmbossingPlate,
    m.WorkOrderMaterial,
    m.WorkOrderProduct,
    m.Task,
)

CATALOGS: tuple[type[Any], ...] = (
    m.Process,
    m.Artwork,
    m.Die,
    m.FoilingPlate,
    m.EmbossingPlate,
    m.Material,
    m.Product,
    m.SourceKind,
    m.GenerationRule,
)


def _fields(model: type[Any]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if getattr(f, "column", None) and f.name != "id"]


class RowAdmin(admin.ModelAdmin):
    """A row a writer edits: on change, only the model's ``writable`` fields are editable."""

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        """Everything but ``writable`` once the row exists; the engine's columns always."""
        model = self.model
        engine = [f.name for f in model._meta.concrete_fields if not f.editable and f.name != "id"]
        if obj is None:
            return engine
        return [name for name in _fields(model) if name not in model.writable]


class BookAdmin(admin.ModelAdmin):
    """The engine's books: viewed, never added, changed or deleted here."""

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        """Every field."""
        return _fields(self.model)

    def has_add_permission(self, request: Any) -> bool:
        """The engine writes them."""
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        """The engine writes them."""
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        """The engine writes them."""
        return False


class TaskAdmin(RowAdmin):
    """Tasks: their status and where they come from at a glance."""

    list_display = ("id", "work_order", "task_type", "status", "origin", "work_content")
    list_filter = ("status", "origin", "task_type")


class WorkOrderAdmin(RowAdmin):
    """Work orders, with their links (composite keys: no admin pages of their own) read-only."""

    list_display = ("order_number", "status", "approval_status", "production_quantity", "synced_version")
    search_fields = ("order_number",)

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        """The engine's columns, and the links once the work order exists."""
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else [*fields, "links"]

    def links(self, obj: Any) -> str:
        """The artworks, dies and plates the work order is linked to."""
        parts = [
            *(str(link.artwork) for link in obj.artwork_links.all()),
            *(str(link.die) for link in obj.die_links.all()),
            *(str(link.foiling_plate) for link in obj.foiling_plate_links.all()),
            *(str(link.embossing_plate) for link in obj.embossing_plate_links.all()),
        ]
        return ", ".join(parts) or "-"

    links.short_description = "links"  # type: ignore[attr-defined]


def _has_composite_key(model: type[Any]) -> bool:
    return len(model._meta.pk_fields) > 1


def register(site: admin.AdminSite = admin.site) -> None:
    """Register the app's models on ``site`` (models already there are left as they are).

    Django 5.2's admin refuses models with a composite primary key: the links
    (``WorkOrderArtwork``, ...), ``TaskDismissal`` and ``SyncItem`` are not registered; a work
    order's page lists its links read-only.
    """
    special: dict[type[Any], type[admin.ModelAdmin]] = {m.Task: TaskAdmin, m.WorkOrder: WorkOrderAdmin}
    for model in ROWS:
        if not site.is_registered(model) and not _has_composite_key(model):
            site.register(model, special.get(model, RowAdmin))
    for model in BOOKS:
        if not site.is_registered(model) and not _has_composite_key(model):
            site.register(model, BookAdmin)
    for model in CATALOGS:
        if not site.is_registered(model):
            site.register(model)


register()
