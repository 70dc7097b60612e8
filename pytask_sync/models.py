"""Typed, frozen results of the SQL API."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal

Action = Literal["add", "remove", "update", "conflict", "dismissed", "orphaned"]


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One item of a sync plan (a ``task_sync.plan_row``)."""

    work_order_id: int
    action: Action
    task_id: int | None
    work_order_process_id: int | None
    process_code: str | None
    task_type: str
    source_kind: str
    source_id: int
    # for each synced field:
    #   current_{name}: {py} | None
    #   baseline_{name}: {py} | None
    #   desired_{name}: {py} | None
    current_work_content: str | None
    baseline_work_content: str | None
    desired_work_content: str | None
    current_production_quantity: int | None
    baseline_production_quantity: int | None
    desired_production_quantity: int | None
    # end
    edited: bool
    update_fields: tuple[str, ...]
    conflict_fields: tuple[str, ...]
    #: an add that re-adds a draft a planner deleted (a plan made with ``restore_dismissed``)
    restored: bool = False
    #: an update that overwrites the planner's values in ``conflict_fields`` (``overwrite_edits``)
    overwritten: bool = False

    def __post_init__(self) -> None:
        # rows of task_sync.plan() bring text[] as lists; keep the item immutable
        object.__setattr__(self, "update_fields", tuple(self.update_fields or ()))
        object.__setattr__(self, "conflict_fields", tuple(self.conflict_fields or ()))
        object.__setattr__(self, "restored", bool(self.restored))
        object.__setattr__(self, "overwritten", bool(self.overwritten))

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> PlanItem:
        """Build from one element of ``preview()['items']``."""
        values: dict[str, Any] = {f.name: item.get(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """How many items of each action a plan has; ``keep`` counts drafts left as they are."""

    add: int
    remove: int
    update: int
    conflict: int
    dismissed: int
    orphaned: int
    keep: int

    @property
    def changes(self) -> int:
        """Items a sync would write: adds, removes, updates and conflicts (whose baselines move)."""
        return self.add + self.remove + self.update + self.conflict


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """What ``task_sync.preview`` returns: the plan of one work order and its hash.

    The plan is the one ``execute`` with the same ``overwrite_edits`` and ``restore_dismissed``
    applies: ``summary.add``, ``remove``, ``update`` and ``conflict`` are its counts.
    """

    work_order_id: int
    order_number: str
    plan_hash: str
    definition_version: int
    synced_version: int
    sync_needed: bool
    may_sync: bool
    summary: PlanSummary
    items: tuple[PlanItem, ...]
    #: the flags of execute this plan was computed for
    overwrite_edits: bool = False
    restore_dismissed: bool = False

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SyncPlan:
        """Build from the jsonb document ``task_sync.preview`` returns."""
        return cls(
            work_order_id=doc["work_order_id"],
            order_number=doc["order_number"],
            plan_hash=doc["plan_hash"],
            definition_version=doc["definition_version"],
            synced_version=doc["synced_version"],
            sync_needed=doc["sync_needed"],
            may_sync=doc["may_sync"],
            summary=PlanSummary(**doc["summary"]),
            items=tuple(PlanItem.from_json(i) for i in doc["items"]),
            overwrite_edits=bool(doc.get("overwrite_edits", False)),
            restore_dismissed=bool(doc.get("restore_dismissed", False)),
        )


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What ``task_sync.execute`` returns. ``sync_run_id`` is None when nothing changed."""

    work_order_id: int
    sync_run_id: int | None
    plan_hash: str
    added: int
    removed: int
    updated: int
    conflicts: int
    synced_version: int


@dataclass(frozen=True, slots=True)
class PendingWorkOrder:
    """A row of ``task_sync.pending``: a work order that needs a sync.

    ``last_error`` and ``retry_after`` say why ``sync_pending`` could not sync it last time and
    until when it passes over it (None when its last sync did not fail); ``reason`` why it is not
    synced yet and ``advice`` what to do.
    """

    work_order_id: int
    order_number: str
    definition_version: int
    synced_version: int
    pending_since: datetime | None
    last_error: str | None = None
    retry_after: datetime | None = None
    #: why it is not synced yet: waiting, busy, failed, too_big or retry (see ``task_sync.pending``)
    reason: str | None = None
    #: what to do about it
    advice: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A row of ``task_sync.sync_pending``: one work order synced by a batch."""

    work_order_id: int
    added: int
    removed: int
    updated: int
    conflicts: int
    sync_run_id: int | None
