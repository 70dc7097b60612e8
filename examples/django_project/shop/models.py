from __future__ import annotations

from django.db import models
from pytask_sync.django.models import WorkOrder


class Delivery(models.Model):
    """A delivery of the shop's own, for a work order of the engine (a foreign key across the two apps)."""

    work_order = models.ForeignKey(WorkOrder, models.PROTECT, related_name="deliveries")
    address = models.TextField()
    due = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.work_order} to {self.address}"
