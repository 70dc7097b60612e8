"""The ORM way: what hand-written service code does with SQLAlchemy 2, one work order at a time.

Load the work order, its route and components; build the desired tasks in Python from the rules;
load its generated tasks; diff with Python sets; delete, insert in batches of 100, update the
changed ones; commit. The same rules and the same one-pass templates as the engine, so the final
task table is the same.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

PLACEHOLDER = re.compile(r"\{(order_number|process_code|process_name|source_name)\}")


class Base(DeclarativeBase):
    pass


class Process(Base):
    __tablename__ = "process"
    __table_args__ = {"schema": "task_sync"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)


class Rule(Base):
    __tablename__ = "generation_rule"
    __table_args__ = {"schema": "task_sync"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    process_code: Mapped[str | None] = mapped_column(String)
    source_kind: Mapped[str] = mapped_column(String)
    task_type: Mapped[str] = mapped_column(String)
    quantity_source: Mapped[str] = mapped_column(String)
    content_template: Mapped[str] = mapped_column(String)


class WorkOrder(Base):
    __tablename__ = "work_order"
    __table_args__ = {"schema": "task_sync"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_number: Mapped[str] = mapped_column(String)
    production_quantity: Mapped[int | None] = mapped_column(Integer)


class WorkOrderProcess(Base):
    __tablename__ = "work_order_process"
    __table_args__ = {"schema": "task_sync"}
    work_order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    process_id: Mapped[int] = mapped_column(BigInteger)
    sequence: Mapped[int] = mapped_column(Integer)


def _link(kind: str) -> type[Base]:
    return type(
        f"Link_{kind}",
        (Base,),
        {
            "__tablename__": f"work_order_{kind}",
            "__table_args__": {"schema": "task_sync"},
            "__annotations__": {"work_order_id": Mapped[int], "source_id": Mapped[int]},
            "work_order_id": mapped_column(BigInteger, primary_key=True),
            "source_id": mapped_column(f"{kind}_id", BigInteger, primary_key=True),
        },
    )


def _catalog(kind: str) -> type[Base]:
    return type(
        f"Catalog_{kind}",
        (Base,),
        {
            "__tablename__": kind,
            "__table_args__": {"schema": "task_sync"},
            "__annotations__": {"id": Mapped[int], "name": Mapped[str]},
            "id": mapped_column(BigInteger, primary_key=True),
            "name": mapped_column(String),
        },
    )


LINK_KINDS = ("artwork", "die", "foiling_plate", "embossing_plate")
LINKS = {k: _link(k) for k in LINK_KINDS}
CATALOGS = {k: _catalog(k) for k in (*LINK_KINDS, "material", "product")}


class MaterialLine(Base):
    __tablename__ = "work_order_material"
    __table_args__ = {"schema": "task_sync"}
    work_order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    material_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    need_cutting: Mapped[bool] = mapped_column(Boolean)


class ProductLine(Base):
    __tablename__ = "work_order_product"
    __table_args__ = {"schema": "task_sync"}
    work_order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)


class Task(Base):
    __tablename__ = "task"
    __table_args__ = {"schema": "task_sync"}
    work_order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    work_order_process_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String, default="draft")
    origin: Mapped[str] = mapped_column(String, default="manual")
    task_type: Mapped[str] = mapped_column(String)
    source_kind: Mapped[str | None] = mapped_column(String)
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    work_content: Mapped[str | None] = mapped_column(String)
    production_quantity: Mapped[int | None] = mapped_column(Integer)
    generated_work_content: Mapped[str | None] = mapped_column(String)
    generated_production_quantity: Mapped[int | None] = mapped_column(Integer)


class OrmSync:
    """The hand-written sync: rules and process names loaded once, then one work order at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.processes = {p.id: p for p in session.scalars(select(Process))}
        rules = list(session.scalars(select(Rule)))
        self.rules_by_code: dict[str | None, list[Rule]] = {}
        for r in rules:
            self.rules_by_code.setdefault(r.process_code, []).append(r)

    def desired(self, wo: WorkOrder) -> dict[tuple[Any, ...], tuple[str, int]]:
        s = self.session
        sources: dict[str, list[tuple[int, str, int | None]]] = {"work_order": [(wo.id, wo.order_number, None)]}
        for kind, link in LINKS.items():
            cat = CATALOGS[kind]
            rows = s.execute(
                select(link.source_id, cat.name).join(cat, cat.id == link.source_id).where(link.work_order_id == wo.id)  # type: ignore[attr-defined]
            ).all()
            sources[kind] = [(sid, name, None) for sid, name in rows]
        mat = CATALOGS["material"]
        sources["material"] = [
            (line.id, name, line.quantity)
            for line, name in s.execute(
                select(MaterialLine, mat.name)  # type: ignore[attr-defined]
                .join(mat, mat.id == MaterialLine.material_id)  # type: ignore[attr-defined]
                .where(MaterialLine.work_order_id == wo.id, MaterialLine.need_cutting)
            ).all()
        ]
        prod = CATALOGS["product"]
        sources["product"] = [
            (line.id, name, line.quantity)
            for line, name in s.execute(
                select(ProductLine, prod.name)  # type: ignore[attr-defined]
                .join(prod, prod.id == ProductLine.product_id)  # type: ignore[attr-defined]
                .where(ProductLine.work_order_id == wo.id)
            ).all()
        ]
        out: dict[tuple[Any, ...], tuple[str, int]] = {}
        for wop in s.scalars(select(WorkOrderProcess).where(WorkOrderProcess.work_order_id == wo.id)):
            proc = self.processes[wop.process_id]
            for rule in self.rules_by_code.get(proc.code) or self.rules_by_code.get(None, []):
                for sid, name, qty in sources[rule.source_kind]:
                    values = {
                        "order_number": wo.order_number,
                        "process_code": proc.code,
                        "process_name": proc.name,
                        "source_name": name,
                    }
                    content = PLACEHOLDER.sub(lambda m: values[m.group(1)], rule.content_template)  # noqa: B023
                    q = {"one": 1, "work_order": wo.production_quantity or 0, "source": qty}[rule.quantity_source]
                    out[(wop.id, rule.task_type, rule.source_kind, sid)] = (content, q or 0)
        return out

    def sync(self, work_order_id: int) -> None:
        s = self.session
        wo = s.get(WorkOrder, work_order_id)
        assert wo is not None
        desired = self.desired(wo)
        tasks = list(s.scalars(select(Task).where(Task.work_order_id == wo.id, Task.origin == "generated")))
        current = {(t.work_order_process_id, t.task_type, t.source_kind, t.source_id): t for t in tasks}
        for key in current.keys() - desired.keys():
            if current[key].status == "draft":
                s.delete(current[key])
        new = [
            Task(
                work_order_id=wo.id,
                work_order_process_id=k[0],
                status="draft",
                origin="generated",
                task_type=k[1],
                source_kind=k[2],
                source_id=k[3],
                work_content=c,
                production_quantity=q,
                generated_work_content=c,
                generated_production_quantity=q,
            )
            for k, (c, q) in desired.items()
            if k not in current
        ]
        for i in range(0, len(new), 100):
            s.add_all(new[i : i + 100])
            s.flush()
        for key in current.keys() & desired.keys():
            t, (c, q) = current[key], desired[key]
            if t.status == "draft" and (t.work_content, t.production_quantity) != (c, q):
                t.work_content, t.production_quantity = c, q
                t.generated_work_content, t.generated_production_quantity = c, q
        s.commit()
