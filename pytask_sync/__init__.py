"""pytask_sync: draft tasks of work orders kept consistent with their routes, inside PostgreSQL.

>>> from pytask_sync import TaskSync, migrate
>>> migrate(dsn)
>>> ts = TaskSync(conn)
>>> plan = ts.preview(42)
>>> ts.execute(42, confirm=True, expected_plan_hash=plan.plan_hash)
"""

from __future__ import annotations

from importlib import metadata as _metadata

from . import errors, tables
from .client import AsyncTaskSync, TaskSync
from .errors import (
    ConfirmationRequired,
    EngineOwnedColumn,
    InvalidArgument,
    NeedsReadCommitted,
    ProcessHasFormalTasks,
    ReadOnlyTransaction,
    SchemaNotInstalled,
    SchemaTooNew,
    SourceKindInUse,
    StalePlan,
    TaskSyncError,
    WorkOrderNotFound,
    WorkOrderNotSyncable,
)
from .migrate import migrate
from .models import BatchResult, PendingWorkOrder, PlanItem, PlanSummary, SyncPlan, SyncResult

try:  # the version is pyproject.toml's, read from the installed package's metadata
    __version__ = _metadata.version("pytask-sync")
except _metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AsyncTaskSync",
    "BatchResult",
    "ConfirmationRequired",
    "EngineOwnedColumn",
    "InvalidArgument",
    "NeedsReadCommitted",
    "PendingWorkOrder",
    "PlanItem",
    "PlanSummary",
    "ProcessHasFormalTasks",
    "ReadOnlyTransaction",
    "SchemaNotInstalled",
    "SchemaTooNew",
    "SourceKindInUse",
    "StalePlan",
    "SyncPlan",
    "SyncResult",
    "TaskSync",
    "TaskSyncError",
    "WorkOrderNotFound",
    "WorkOrderNotSyncable",
    "__version__",
    "errors",
    "migrate",
    "tables",
]
