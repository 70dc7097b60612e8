"""Every column, with its default as a Python default: Django's ``save()`` writes them all."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Process(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.TextField(unique=True)
    name = models.TextField()

    class Meta:
        managed = False
        db_table = 'task_sync"."process'


class Artwork(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.TextField(unique=True)
    name = models.TextField()

    class Meta:
        managed = False
        db_table = 'task_sync"."artwork'


class Product(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.TextField(unique=True)
    name = models.TextField()

    class Meta:
        managed = False
        db_table = 'task_sync"."product'


class WorkOrder(models.Model):
    id = models.BigAutoField(primary_key=True)
    order_number = models.TextField(unique=True)
    production_quantity = models.IntegerField(blank=True, null=True)
    status = models.TextField(default="pending")
    approval_status = models.TextField(default="pending")
    synced_version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = 'task_sync"."work_order'


class WorkOrderProcess(models.Model):
    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING)
    process = models.ForeignKey(Process, models.DO_NOTHING)
    sequence = models.IntegerField()

    class Meta:
        managed = False
        db_table = 'task_sync"."work_order_process'


class WorkOrderArtwork(models.Model):
    pk = models.CompositePrimaryKey("work_order_id", "artwork_id")
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING)
    artwork = models.ForeignKey(Artwork, models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = 'task_sync"."work_order_artwork'


class WorkOrderProduct(models.Model):
    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING)
    product = models.ForeignKey(Product, models.DO_NOTHING)
    quantity = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = 'task_sync"."work_order_product'


class Task(models.Model):
    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, models.DO_NOTHING)
    work_order_process = models.ForeignKey(WorkOrderProcess, models.DO_NOTHING, blank=True, null=True)
    status = models.TextField(default="draft")
    origin = models.TextField(default="manual")
    task_type = models.TextField()
    source_kind = models.TextField(blank=True, null=True)
    source_id = models.BigIntegerField(blank=True, null=True)
    work_content = models.TextField(blank=True, null=True)
    production_quantity = models.IntegerField(blank=True, null=True)
    quantity_completed = models.IntegerField(default=0)
    generated_work_content = models.TextField(blank=True, null=True)
    generated_production_quantity = models.IntegerField(blank=True, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = 'task_sync"."task'
