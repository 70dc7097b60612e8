"""A pure-Python reference model of the sync semantics (docs/reference.md, section 2): the
desired set, the three-way plan, the apply.

Small and obviously correct rather than fast: every rule of the sync table is one branch here.
The property tests drive the model and the real engine with the same operations and require
that they agree after every step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

Key = tuple[int, int | None, str, str, int]  # work order, process, task type, source kind, source id
PLACEHOLDER = re.compile(r"\{(order_number|process_code|process_name|source_name)\}")


def render(template: str, values: dict[str, str]) -> str:
    """One pass: re.sub never rescans what it substituted."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


@dataclass(frozen=True)
class Rule:
    process_code: str | None
    source_kind: str
    task_type: str
    quantity_source: str
    content_template: str


@dataclass(frozen=True)
class Task:
    id: int
    work_order_id: int
    work_order_process_id: int | None
    status: str
    origin: str
    task_type: str
    source_kind: str | None
    source_id: int | None
    work_content: str | None
    production_quantity: int | None
    generated_work_content: str | None
    generated_production_quantity: int | None

    @property
    def key(self) -> Key:
        assert self.source_kind is not None and self.source_id is not None
        return (self.work_order_id, self.work_order_process_id, self.task_type, self.source_kind, self.source_id)


@dataclass(frozen=True)
class Item:
    """A plan item, in the fields the engine reports."""

    action: str
    task_id: int | None
    work_order_process_id: int | None
    task_type: str
    source_kind: str
    source_id: int
    current_work_content: str | None
    baseline_work_content: str | None
    desired_work_content: str | None
    current_production_quantity: int | None
    baseline_production_quantity: int | None
    desired_production_quantity: int | None
    edited: bool
    update_fields: tuple[str, ...]
    conflict_fields: tuple[str, ...]

    @classmethod
    def from_engine(cls, doc: dict[str, Any]) -> Item:
        names = cls.__dataclass_fields__
        values = {k: doc[k] for k in names}
        values["update_fields"] = tuple(doc["update_fields"])
        values["conflict_fields"] = tuple(doc["conflict_fields"])
        return cls(**values)


FIELDS = ("work_content", "production_quantity")


def outcome(current: Any, baseline: Any, desired: Any) -> str:
    if current == desired:
        return "same"
    if current == baseline:
        return "update"
    if desired == baseline:
        return "edited"
    return "conflict"


@dataclass
class Model:
    rules: dict[int, Rule] = field(default_factory=dict)
    process_names: dict[str, str] = field(default_factory=dict)  # code -> name
    work_orders: dict[int, tuple[str, int | None]] = field(default_factory=dict)  # id -> (number, quantity)
    route: dict[int, tuple[int, str]] = field(default_factory=dict)  # wpid -> (work order, code)
    links: set[tuple[int, str, int]] = field(default_factory=set)  # (work order, kind, source id)
    names: dict[tuple[str, int], str] = field(default_factory=dict)  # (kind, id) -> catalog name
    #: the registry of source kinds, as task_sync.source_kind holds it: kind -> (shape, line_filter)
    kinds: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: lines of every line kind (each kind numbers its own): (kind, line id) -> (work order,
    #: catalog id, quantity, the value of the kind's line_filter column, True when it has none)
    lines: dict[tuple[str, int], tuple[int, int, int, bool]] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    dismissals: set[Key] = field(default_factory=set)

    # -- the desired set ---------------------------------------------------------------------

    def _sources(self, wo: int, kind: str) -> list[tuple[int, str, int | None]]:
        """(source_id, name, quantity) of each source of ``kind`` on ``wo``, by the kind's shape."""
        number, _ = self.work_orders[wo]
        shape, _ = self.kinds[kind]
        if shape == "work_order":
            return [(wo, number, None)]
        if shape == "line":
            return [
                (line, self.names[(kind, c)], q)
                for (k, line), (w, c, q, passes) in self.lines.items()
                if w == wo and k == kind and passes
            ]
        return [(sid, self.names[(kind, sid)], None) for (w, k, sid) in self.links if w == wo and k == kind]

    def desired(self, wo: int) -> dict[Key, tuple[str, int]]:
        number, quantity = self.work_orders[wo]
        out: dict[Key, tuple[str, int]] = {}
        for wpid, (w, code) in self.route.items():
            if w != wo:
                continue
            rules = [r for r in self.rules.values() if r.process_code == code]
            if not rules:
                rules = [r for r in self.rules.values() if r.process_code is None]
            for r in rules:
                for sid, name, qty in self._sources(wo, r.source_kind):
                    content = render(
                        r.content_template,
                        {
                            "order_number": number,
                            "process_code": code,
                            "process_name": self.process_names[code],
                            "source_name": name,
                        },
                    )
                    q = {"one": 1, "work_order": quantity or 0, "source": qty}[r.quantity_source]
                    assert q is not None
                    key = (wo, wpid, r.task_type, r.source_kind, sid)
                    assert key not in out, "rules generated a duplicate key"
                    out[key] = (content, q)
        return out

    # -- the plan ------------------------------------------------------------------------------

    def plan(self, wo: int) -> list[Item]:
        d = self.desired(wo)
        generated = [t for t in self.tasks.values() if t.work_order_id == wo and t.origin == "generated"]
        by_key = {t.key: t for t in generated}
        items: list[Item] = []
        for key, (content, qty) in d.items():
            if key in by_key:
                continue
            action = "dismissed" if key in self.dismissals else "add"
            items.append(
                Item(action, None, key[1], key[2], key[3], key[4], None, None, content, None, None, qty, False, (), ())
            )
        for t in generated:
            edited = (t.work_content, t.production_quantity) != (
                t.generated_work_content,
                t.generated_production_quantity,
            )
            assert t.source_kind is not None and t.source_id is not None
            if t.key not in d:
                action = "orphaned" if t.status != "draft" else "remove"
                items.append(
                    Item(
                        action,
                        t.id,
                        t.work_order_process_id,
                        t.task_type,
                        t.source_kind,
                        t.source_id,
                        t.work_content,
                        t.generated_work_content,
                        None,
                        t.production_quantity,
                        t.generated_production_quantity,
                        None,
                        edited,
                        (),
                        (),
                    )
                )
                continue
            if t.status != "draft":
                continue  # satisfied by a formal task
            content, qty = d[t.key]
            outcomes = {
                "work_content": outcome(t.work_content, t.generated_work_content, content),
                "production_quantity": outcome(t.production_quantity, t.generated_production_quantity, qty),
            }
            updates = tuple(f for f in FIELDS if outcomes[f] == "update")
            conflicts = tuple(f for f in FIELDS if outcomes[f] == "conflict")
            if not updates and not conflicts:
                continue  # keep
            items.append(
                Item(
                    "conflict" if conflicts else "update",
                    t.id,
                    t.work_order_process_id,
                    t.task_type,
                    t.source_kind,
                    t.source_id,
                    t.work_content,
                    t.generated_work_content,
                    content,
                    t.production_quantity,
                    t.generated_production_quantity,
                    qty,
                    edited,
                    updates,
                    conflicts,
                )
            )
        return items

    def keep_count(self, wo: int) -> int:
        d = self.desired(wo)
        drafts = [
            t
            for t in self.tasks.values()
            if t.work_order_id == wo and t.origin == "generated" and t.status == "draft" and t.key in d
        ]
        return len(drafts) - sum(1 for i in self.plan(wo) if i.action in ("update", "conflict"))

    # -- execute -----------------------------------------------------------------------------------

    def apply(self, wo: int, overwrite_edits: bool, restore_dismissed: bool) -> list[Key]:
        """Apply the plan; returns the keys of the drafts to add (their ids come from the engine)."""
        d = self.desired(wo)
        to_add: list[Key] = []
        for item in self.plan(wo):
            key = (wo, item.work_order_process_id, item.task_type, item.source_kind, item.source_id)
            if item.action == "add" or (item.action == "dismissed" and restore_dismissed):
                to_add.append(key)
            elif item.action == "remove":
                assert item.task_id is not None
                del self.tasks[item.task_id]
        for t in list(self.tasks.values()):
            if t.work_order_id != wo or t.origin != "generated" or t.status != "draft" or t.key not in d:
                continue
            content, qty = d[t.key]
            new: dict[str, Any] = {}
            for f, des in (("work_content", content), ("production_quantity", qty)):
                cur, base = getattr(t, f), getattr(t, f"generated_{f}")
                if cur == base or (overwrite_edits and des != base):
                    new[f] = des
                new[f"generated_{f}"] = des
            self.tasks[t.id] = replace(t, **new)
        still_dismissed = (
            {
                (wo, i.work_order_process_id, i.task_type, i.source_kind, i.source_id)
                for i in self.plan(wo)
                if i.action == "dismissed"
            }
            if not restore_dismissed
            else set()
        )
        self.dismissals = {k for k in self.dismissals if k[0] != wo or (k in still_dismissed and k not in to_add)}
        return to_add

    def add_generated(self, task_id: int, key: Key) -> None:
        content, qty = self.desired(key[0])[key]
        self.tasks[task_id] = Task(
            task_id, key[0], key[1], "draft", "generated", key[2], key[3], key[4], content, qty, content, qty
        )
