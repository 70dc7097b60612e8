"""The Django app of pytask_sync."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.management.base import CommandError
from django.db.models.signals import pre_migrate


class TaskSyncConfig(AppConfig):
    """``pytask_sync.django``: the models of the task_sync schema, with the app label ``task_sync``.

    Its Django migrations install and upgrade the engine (``operations.UpgradeEngine``).
    """

    name = "pytask_sync.django"
    label = "task_sync"
    verbose_name = "pytask_sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Refuse a ``migrate`` that would unapply the engine, before any of its plan runs."""
        pre_migrate.connect(_refuse_unapplying, dispatch_uid="pytask_sync.django.refuse_unapplying")


def _refuse_unapplying(sender: Any, plan: Any = None, using: str = "default", **kwargs: Any) -> None:
    """``pre_migrate``: a plan that unapplies the engine's migrations stops here, nothing run.

    Only while the engine is installed: after ``pytask-sync migrate downgrade base`` unapplying
    just forgets Django's record.

    Django unapplies the migrations that depend on the engine's first (an app's foreign keys to a
    work order), each in its own transaction: refusing in the engine's own ``database_backwards``
    would come after those were gone.
    """
    from django.db import connections

    from .operations import REFUSAL, engine_installed

    unapplying = any(backwards and m.app_label == TaskSyncConfig.label for m, backwards in plan or ())
    if unapplying and engine_installed(connections[using]):
        raise CommandError(REFUSAL)
