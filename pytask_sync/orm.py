"""SQLAlchemy ORM classes mapped onto :mod:`pytask_sync.tables`.

>>> from sqlalchemy.orm import Session
>>> from pytask_sync.orm import WorkOrder, Task
>>> with Session(engine) as session:
...     wo = WorkOrder(order_number="JOB-1", production_quantity=500)
...     session.add(wo)
...     session.flush()
...     TaskSync(session).execute(wo.id, confirm=True)
...     session.commit()

Rows with an identity ``id`` are mapped by it (it is unique on its own; the table's primary key
is ``(work_order_id, id)``). The ORM writes only the attributes that changed and leaves unset
columns to their server defaults, so the engine's columns (versions, baselines, a task's origin
and generation key, ``created_at``) keep the values the engine gives them; setting one to another
value is refused by the database (TSP01). The books (marks, dismissals, the audit) are for
reading.

A refusal arrives as SQLAlchemy's ``DBAPIError``; inside :func:`engine_errors` (a context manager
or decorator) it is the package's exception instead (``EngineOwnedColumn``,
``ProcessHasFormalTasks``, ...):

>>> with engine_errors():
...     session.flush()
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase, relationship

from . import tables
from .errors import engine_errors as engine_errors


class Base(DeclarativeBase):
    """The declarative base of the task_sync classes (its metadata is :data:`tables.metadata`)."""

    metadata = tables.metadata


class Process(Base):
    """A process a route is made of (CTP, PRT, CUT, ...)."""

    __table__ = tables.process


class SourceKind(Base):
    """A kind of source a rule yields one task per."""

    __table__ = tables.source_kind


class GenerationRule(Base):
    """A rule of the generator."""

    __table__ = tables.generation_rule


class Artwork(Base):
    """Catalog of the source kind ``artwork``."""

    __table__ = tables.artwork


class Die(Base):
    """Catalog of the source kind ``die``."""

    __table__ = tables.die


class FoilingPlate(Base):
    """Catalog of the source kind ``foiling_plate``."""

    __table__ = tables.foiling_plate


class EmbossingPlate(Base):
    """Catalog of the source kind ``embossing_plate``."""

    __table__ = tables.embossing_plate


class Material(Base):
    """Catalog of the source kind ``material``."""

    __table__ = tables.material


class Product(Base):
    """Catalog of the source kind ``product``."""

    __table__ = tables.product


class WorkOrder(Base):
    """A job; ``synced_version`` and ``created_at`` are the engine's."""

    __table__ = tables.work_order
    __mapper_args__ = {"eager_defaults": True}

    route = relationship("WorkOrderProcess", order_by="WorkOrderProcess.sequence", viewonly=True)
    tasks = relationship("Task", viewonly=True)


class WorkOrderProcess(Base):
    """A route row: a process of a work order, in sequence."""

    __table__ = tables.work_order_process
    __mapper_args__ = {"primary_key": [tables.work_order_process.c.id]}

    work_order = relationship(WorkOrder)
    process = relationship(Process)


class WorkOrderArtwork(Base):
    """A link of a work order to an artwork."""

    __table__ = tables.work_order_artwork


class WorkOrderDie(Base):
    """A link of a work order to a die."""

    __table__ = tables.work_order_die


class WorkOrderFoilingPlate(Base):
    """A link of a work order to a foiling plate."""

    __table__ = tables.work_order_foiling_plate


class WorkOrderEmbossingPlate(Base):
    """A link of a work order to an embossing plate."""

    __table__ = tables.work_order_embossing_plate


class WorkOrderMaterial(Base):
    """A material line of a work order."""

    __table__ = tables.work_order_material
    __mapper_args__ = {"primary_key": [tables.work_order_material.c.id]}


class WorkOrderProduct(Base):
    """A product line of a work order."""

    __table__ = tables.work_order_product
    __mapper_args__ = {"primary_key": [tables.work_order_product.c.id]}


class Task(Base):
    """A task.

    People insert manual ones and edit ``work_content``, ``production_quantity``,
    ``quantity_completed`` and ``status``; the rest is the engine's.
    """

    __table__ = tables.task
    __mapper_args__ = {"primary_key": [tables.task.c.id], "eager_defaults": True}

    work_order = relationship(WorkOrder)
    work_order_process = relationship(
        WorkOrderProcess,
        primaryjoin=tables.task.c.work_order_process_id == tables.work_order_process.c.id,
        foreign_keys=[tables.task.c.work_order_process_id],
        viewonly=True,
    )


class WorkOrderMark(Base):
    """A change not yet synced (read-only)."""

    __table__ = tables.work_order_mark
    __mapper_args__ = {"primary_key": [tables.work_order_mark.c.id]}


class WorkOrderMarkParked(Base):
    """The folded marks of a work order that may not be synced (read-only)."""

    __table__ = tables.work_order_mark_parked


class SyncFailure(Base):
    """A work order whose last batch sync failed, with the error (read-only)."""

    __table__ = tables.sync_failure


class TaskDismissal(Base):
    """A generated draft a planner deleted (read-only)."""

    __table__ = tables.task_dismissal


class SyncRun(Base):
    """One executed sync (read-only)."""

    __table__ = tables.sync_run
    __mapper_args__ = {"primary_key": [tables.sync_run.c.id]}


class SyncItem(Base):
    """One change a sync applied (read-only)."""

    __table__ = tables.sync_item
