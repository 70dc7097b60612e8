"""pytask_sync: draft tasks of work orders kept consistent with their routes, inside PostgreSQL.

>>> from pytask_sync import TaskSync, migrate
>>> migrate(dsn)
>>> ts = TaskSync(conn)
>>> plan = ts.preview(42)
>>> ts.execute(42, confirm=True, expected_plan_hash=plan.plan_hash)
"""

from __future__ import annotations

from . import errors
from .client import TaskSync
from .errors import (
    ConfirmationRequired,
    InvalidArgument,
    NeedsReadCommitted,
    ProcessHasFormalTasks,
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

__version__ = "0.1.0"

__all__ = [
    "BatchResult",
    "ConfirmationRequired",
    "InvalidArgument",
    "NeedsReadCommitted",
    "PendingWorkOrder",
    "PlanItem",
    "PlanSummary",
    "ProcessHasFormalTasks",
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
]
