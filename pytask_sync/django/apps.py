"""The Django app of pytask_sync."""

from __future__ import annotations

from django.apps import AppConfig


class TaskSyncConfig(AppConfig):
    """``pytask_sync.django``: the models of the task_sync schema, with the app label ``task_sync``."""

    name = "pytask_sync.django"
    label = "task_sync"
    verbose_name = "pytask_sync"
    default_auto_field = "django.db.models.BigAutoField"
