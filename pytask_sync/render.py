"""How plans and results look on a terminal (rich), and as JSON."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .models import PlanItem, SyncPlan

STYLE = {
    "add": "green",
    "remove": "red",
    "update": "yellow",
    "conflict": "bold yellow",
    "dismissed": "dim",
    "orphaned": "magenta",
}


def to_json(value: Any) -> str:
    """Dataclasses (and lists of them) as indented JSON; datetimes in ISO 8601."""

    def default(o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        if isinstance(o, (datetime.datetime, datetime.date)):
            return o.isoformat()
        raise TypeError(f"not JSON: {type(o).__name__}")

    return json.dumps(value, default=default, indent=2)


#: how much of a value a table cell shows; the rest is cut with an ellipsis (--json has it all)
CELL_CHARS = 60


def _cell(value: str) -> Text:
    """A value as a table cell: as written (never markup), cut after ``CELL_CHARS`` characters."""
    return Text(value if len(value) <= CELL_CHARS else value[: CELL_CHARS - 1] + "…")


def _change(item: PlanItem, field: str) -> str:
    current = getattr(item, f"current_{field}")
    desired = getattr(item, f"desired_{field}")
    if item.action in ("add", "dismissed"):
        return "" if desired is None else str(desired)
    if field in item.update_fields:
        return f"{current} → {desired}"
    if field in item.conflict_fields:
        return f"{current} (rules: {desired})"
    return "" if current is None else str(current)


def _note(item: PlanItem) -> str:
    notes = []
    if item.action == "conflict":
        notes.append("planner's value kept; rules changed too")
    if item.action == "update" and item.overwritten:
        notes.append("planner's value overwritten (" + ", ".join(item.conflict_fields) + ")")
    elif item.action == "update" and item.edited:
        notes.append("planner's edit kept")
    if item.action == "add" and item.restored:
        notes.append("restored: a planner had deleted it")
    if item.action == "remove" and item.edited:
        notes.append("edited by a planner")
    if item.action == "dismissed":
        notes.append("deleted by a planner")
    if item.action == "orphaned":
        notes.append("formal; left as is")
    if item.action == "remove" and item.work_order_process_id is None:
        notes.append("its process was deleted")
    return "; ".join(notes)


def plan_table(plan: SyncPlan) -> Table:
    """The plan as a table, one row per item, coloured by action."""
    s = plan.summary
    caption = (
        f"add {s.add} · remove {s.remove} · update {s.update} · conflict {s.conflict} · "
        f"dismissed {s.dismissed} · orphaned {s.orphaned} · keep {s.keep}"
    )
    # every value from the database is Text: printed as written, never read as rich markup
    table = Table(
        title=Text(f"Plan for work order {plan.work_order_id} ({plan.order_number})"),
        caption=caption,
        title_justify="left",
    )
    table.add_column("action", no_wrap=True)
    table.add_column("process", no_wrap=True)
    # wide enough for the seeded task types (plate_making) not to break inside a word
    table.add_column("task", min_width=12, overflow="fold")
    table.add_column("work content", min_width=10, overflow="fold")
    table.add_column("quantity", min_width=6, overflow="fold")
    table.add_column("note", overflow="fold")
    for it in plan.items:
        style = STYLE.get(it.action, "")
        ident = f"#{it.task_id}" if it.task_id is not None else ("new" if it.action == "add" else "")
        table.add_row(
            Text(it.action, style=style),
            Text(it.process_code or "(deleted)"),
            Text(f"{it.task_type} {ident}\n{it.source_kind} {it.source_id}"),
            _cell(_change(it, "work_content")),
            Text(_change(it, "production_quantity")),
            Text(_note(it), style="yellow" if it.action == "conflict" else "dim"),
        )
    return table


def print_plan(console: Console, plan: SyncPlan) -> None:
    """Print a plan, or one line saying there is nothing to do."""
    if not plan.may_sync:
        console.print(
            Text(
                f"Work order {plan.work_order_id} ({plan.order_number}) may not be synced: it is approved, "
                "completed or cancelled. execute refuses it; this is the plan it would have.",
                style="yellow",
            )
        )
    if plan.summary.changes == 0:
        extra = []
        if plan.summary.dismissed:
            extra.append(f"{plan.summary.dismissed} dismissed draft(s) stay dismissed")
        if plan.summary.orphaned:
            extra.append(f"{plan.summary.orphaned} orphaned formal task(s) left as they are")
        tail = f" ({'; '.join(extra)})" if extra else ""
        console.print(
            Text(
                f"Work order {plan.work_order_id} ({plan.order_number}): nothing to sync, "
                f"{plan.summary.keep} draft(s) up to date{tail}."
            )
        )
        if plan.items:
            console.print(plan_table(plan))
        return
    console.print(plan_table(plan))


ACTIONS = ("add", "remove", "update", "conflict", "dismissed", "orphaned")


def print_pending_plans(console: Console, items: list[PlanItem]) -> None:
    """The plans of pending work orders (``plan_pending``), one row of counts per work order."""
    if not items:
        console.print("No work order needs a sync.")
        return
    counts: dict[int, dict[str, int]] = {}
    for it in items:
        per = counts.setdefault(it.work_order_id, dict.fromkeys(ACTIONS, 0))
        per[it.action] += 1
    table = Table(title=f"Plans of {len(counts)} pending work order(s)", title_justify="left")
    table.add_column("work order", justify="right")
    for action in ACTIONS:
        table.add_column(action, justify="right", style=STYLE[action])
    for wo, per in counts.items():
        table.add_row(str(wo), *(str(per[a]) for a in ACTIONS))
    table.add_row("all", *(str(sum(per[a] for per in counts.values())) for a in ACTIONS), style="bold")
    console.print(table)
