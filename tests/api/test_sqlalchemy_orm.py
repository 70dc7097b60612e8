"""SQLAlchemy: the tables pytask_sync ships match the database, and its ORM classes work as a
login role in ``task_sync_writer``."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Identity, MetaData, create_engine, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from pytask_sync import TaskSync, tables
from pytask_sync.orm import Process, Task, WorkOrder, WorkOrderArtwork, WorkOrderProcess, WorkOrderProduct
from tests.builders import Builder


def _engine(dsn: str, **connect: Any) -> Engine:
    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn, **connect), poolclass=NullPool)


def _default(default: Any) -> str | None:
    if default is None:
        return None
    if isinstance(default, Identity):
        return "identity"
    return str(default.arg).replace("::text", "")


def _shape(md: MetaData) -> dict[str, Any]:
    """What a schema says, table by table, in comparable terms."""
    out: dict[str, Any] = {}
    for t in md.sorted_tables:
        out[t.name] = {
            "columns": [
                (
                    c.name,
                    str(c.type.compile(dialect=postgresql.dialect()))
                    if c.type.__class__.__name__ != "NullType"
                    else "xid8",
                    c.nullable,
                    _default(c.server_default),
                )
                for c in t.columns
            ],
            "primary_key": (t.primary_key.name, [c.name for c in t.primary_key.columns]),
            "foreign_keys": sorted(
                (fk.name, tuple(fk.column_keys), tuple(e.target_fullname for e in fk.elements), fk.ondelete or "")
                for fk in t.foreign_key_constraints
            ),
            "unique": sorted(
                (u.name, tuple(c.name for c in u.columns))
                for u in t.constraints
                if u.__class__.__name__ == "UniqueConstraint"
            ),
        }
    return out


def test_the_shipped_tables_are_the_migrated_schema(conn: psycopg.Connection[Any], dsn: str) -> None:
    reflected = MetaData(schema="task_sync")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Did not recognize type 'xid8'")
        reflected.reflect(_engine(dsn), schema="task_sync", views=False)
    for name in ("applying", "alembic_version"):  # the engine's own, not for applications
        if f"task_sync.{name}" in reflected.tables:
            reflected.remove(reflected.tables[f"task_sync.{name}"])
    assert _shape(tables.metadata) == _shape(reflected)


@pytest.fixture
def writer_session(dsn: str, login: dict[str, str]) -> Iterator[Session]:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    writer_dsn = psycopg.conninfo.make_conninfo(**{**params, "user": login["task_sync_writer"]})
    engine = _engine(writer_dsn)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_orm_classes_as_the_writer(conn: psycopg.Connection[Any], writer_session: Session) -> None:
    b = Builder(conn)
    art = b.catalog("artwork", "ART-SA", "SA front")
    product = b.catalog("product", "SKU-SA", "SA box")
    s = writer_session
    prt = s.scalars(select(Process).where(Process.code == "PRT")).one()
    pack = s.scalars(select(Process).where(Process.code == "PACK")).one()
    wo = WorkOrder(order_number="SA-1", production_quantity=100)
    s.add(wo)
    s.flush()
    assert (wo.id > 0, wo.synced_version) == (True, 0)  # the server's defaults, fetched back
    s.add_all(
        [
            WorkOrderProcess(work_order=wo, process=prt, sequence=10),
            WorkOrderProcess(work_order=wo, process=pack, sequence=20),
            WorkOrderArtwork(work_order_id=wo.id, artwork_id=art),
            WorkOrderProduct(work_order_id=wo.id, product_id=product, quantity=7),
            Task(work_order_id=wo.id, task_type="inspection", work_content="check"),
        ]
    )
    s.flush()
    assert TaskSync(s).execute(wo.id, confirm=True).added == 2
    printing = s.scalars(select(Task).where(Task.work_order_id == wo.id, Task.task_type == "printing")).one()
    printing.work_content = "planner's words"
    packing = s.scalars(select(Task).where(Task.work_order_id == wo.id, Task.task_type == "packaging")).one()
    s.delete(packing)
    wo.order_number = "SA-1b"
    s.flush()
    plan = TaskSync(s).preview(wo.id)
    assert {i.task_type: i.action for i in plan.items} == {"printing": "conflict", "packaging": "dismissed"}
    s.commit()
    assert printing.work_order_process is not None and printing.work_order_process.process.code == "PRT"
    assert [r.process.code for r in wo.route] == ["PRT", "PACK"]

    before = b.snapshot()
    for attribute, value in (("generated_work_content", "moved"), ("origin", "manual"), ("source_id", 10**9)):
        setattr(printing, attribute, value)
        with pytest.raises(DBAPIError) as refusal:
            s.flush()
        assert refusal.value.orig is not None and refusal.value.orig.sqlstate == "TSP01"  # type: ignore[attr-defined]
        assert f"column {attribute} of task_sync.task" in str(refusal.value.orig)
        s.rollback()
    assert b.snapshot() == before
