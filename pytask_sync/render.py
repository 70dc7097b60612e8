"""How everything the CLI prints looks: on a terminal (rich), and as JSON.

Tables fit the console's width (80 columns when it is not a terminal, or ``COLUMNS``) without
losing a column: cells wrap, never crop. Identifiers people copy (DSNs, plan hashes, paths) are
printed on lines of their own that are never wrapped.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .fields import SYNCED_FIELDS
from .models import BatchResult, PendingWorkOrder, PlanItem, SyncPlan, SyncResult

if TYPE_CHECKING:
    from .embedded import EmbeddedServer

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


@dataclass(frozen=True)
class Col:
    """A column of a table that fits its console: its header and how far it may narrow.

    ``least``: the width it keeps while other columns can still give (a seeded task type such as
    ``plate_making`` is not broken inside the word at 80 columns); ``keep``: never narrower than
    its widest value (ids, actions). When even that does not fit, every column but the kept ones
    narrows alike: cells wrap (then fold a long word), a column is never dropped or cropped.
    """

    header: str
    least: int = 1
    keep: bool = False
    justify: Literal["left", "right"] = "left"
    style: str = ""


def fitted_table(console: Console, cols: list[Col], rows: list[list[Text]], **kwargs: Any) -> Table:
    """A table of ``rows`` whose column widths add up to at most the console's width."""

    def natural(i: int) -> int:
        cells = [Text(cols[i].header), *(row[i] for row in rows)]
        return max(1, *(cell_len(line) for cell in cells for line in cell.plain.splitlines() or [""]))

    room = console.width - (3 * len(cols) + 1)  # a border before each column and after the last, padding 1+1
    widths = [natural(i) for i in range(len(cols))]
    if sum(widths) > room:
        # a header's words stay whole while any column can give more
        words = [max(cell_len(word) for word in c.header.split()) for c in cols]
        floors = [w if c.keep else min(w, max(c.least, h)) for w, c, h in zip(widths, cols, words, strict=True)]
        give = [i for i, c in enumerate(cols) if not c.keep]
        over = sum(floors) - room
        while over > 0 and any(floors[i] > 1 for i in give):  # narrower alike, widest first
            above = [i for i in give if floors[i] > words[i]] or give
            widest = max(above, key=lambda i: floors[i])
            floors[widest] -= 1
            over -= 1
        spare = room - sum(floors)
        wants = {i: widths[i] - floors[i] for i in give}
        total = sum(wants.values())
        for i in give:  # what is left, shared by how much more each would show
            floors[i] += spare * wants[i] // total if total > 0 else 0
        widths = floors
    table = Table(**kwargs)
    for col, width in zip(cols, widths, strict=True):
        table.add_column(col.header, width=width, overflow="fold", justify=col.justify, style=col.style)
    for row in rows:
        table.add_row(*row)
    return table


def plan_table(console: Console, plan: SyncPlan) -> Table:
    """The plan as a table, one row per item, coloured by action."""
    s = plan.summary
    caption = (
        f"add {s.add} · remove {s.remove} · update {s.update} · conflict {s.conflict} · "
        f"dismissed {s.dismissed} · orphaned {s.orphaned} · keep {s.keep}"
    )
    # every value from the database is Text: printed as written, never read as rich markup
    rows = []
    for it in plan.items:
        style = STYLE.get(it.action, "")
        ident = f"#{it.task_id}" if it.task_id is not None else ("new" if it.action == "add" else "")
        rows.append(
            [
                Text(it.action, style=style),
                Text(it.process_code or "(deleted)"),
                Text(f"{it.task_type} {ident}\n{it.source_kind} {it.source_id}"),
                # a text field's cell is cut after CELL_CHARS characters
                *((_cell if f.sql == "text" else Text)(_change(it, f.name)) for f in SYNCED_FIELDS),
                Text(_note(it), style="yellow" if it.action == "conflict" else "dim"),
            ]
        )
    cols = [
        Col("action", keep=True),
        Col("process", least=6),
        Col("task", least=12),
        *(Col(f.label, least=8) for f in SYNCED_FIELDS),
        Col("note", least=8),
    ]
    title = Text(f"Plan for work order {plan.work_order_id} ({plan.order_number})")
    return fitted_table(console, cols, rows, title=title, caption=caption, title_justify="left")


def print_plan(console: Console, plan: SyncPlan, *, with_hash: bool = False) -> None:
    """Print a plan, or one line saying there is nothing to do; ``with_hash``: then its plan hash."""
    _print_plan(console, plan)
    if with_hash:
        console.print(Text(f"plan_hash {plan.plan_hash}", style="dim"), soft_wrap=True)


def _print_plan(console: Console, plan: SyncPlan) -> None:
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
            console.print(plan_table(console, plan))
        return
    console.print(plan_table(console, plan))


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
    rows = [[Text(str(wo)), *(Text(str(per[a]), style=STYLE[a]) for a in ACTIONS)] for wo, per in counts.items()]
    rows.append([Text("all"), *(Text(str(sum(per[a] for per in counts.values()))) for a in ACTIONS)])
    cols = [Col("work order", keep=True, justify="right"), *(Col(a, least=4, justify="right") for a in ACTIONS)]
    table = fitted_table(
        console, cols, rows, title=f"Plans of {len(counts)} pending work order(s)", title_justify="left"
    )
    console.print(table)


def print_result(console: Console, result: SyncResult) -> None:
    """What an execute did."""
    run = result.sync_run_id if result.sync_run_id is not None else "none: nothing changed"
    console.print(
        Text.assemble(
            ("Synced", "green"),
            f" work order {result.work_order_id}: added {result.added}, removed {result.removed}, "
            f"updated {result.updated}, conflicts kept {result.conflicts} (sync_run {run}).",
        ),
        soft_wrap=True,  # one line, for the log and for grep
    )


def print_batches(console: Console, done: list[BatchResult]) -> None:
    """What a sync-pending did, summed up."""
    console.print(
        f"Synced {len(done)} work order(s): added {sum(r.added for r in done)}, "
        f"removed {sum(r.removed for r in done)}, updated {sum(r.updated for r in done)}, "
        f"conflicts kept {sum(r.conflicts for r in done)}."
    )


def print_status(console: Console, rows: list[PendingWorkOrder], total: int) -> None:
    """The work orders that need a sync (``total`` of them; ``rows`` are the longest waiting)."""
    if not rows:
        console.print("Every work order is in sync.")
        return
    shown = f"{total} work order(s) need a sync" + (f"; the {len(rows)} waiting longest:" if total > len(rows) else "")
    failed = any(r.last_error for r in rows)
    cols = [
        Col("work order", keep=True),  # an id is never broken
        Col("order number", least=8),
        Col("definition", least=10),
        Col("synced", least=6),
        Col("pending since", least=25),  # a whole ISO 8601 timestamp while there is room
    ]
    if failed:
        cols.append(Col("last sync failed", least=12))
    cells = []
    for r in rows:
        since = r.pending_since.isoformat(timespec="seconds") if r.pending_since else ""
        row = [Text(str(r.work_order_id)), Text(r.order_number), Text(str(r.definition_version))]
        row += [Text(str(r.synced_version)), Text(since)]
        if failed:
            retry = f" (retried after {r.retry_after.isoformat(timespec='seconds')})" if r.retry_after else ""
            row.append(Text(f"{r.last_error}{retry}" if r.last_error else ""))
        cells.append(row)
    table = fitted_table(console, cols, cells, title=Text(shown), title_justify="left")
    console.print(table)
    # why each waits and what to do, below the table as prose that wraps, once per advice (a waiting
    # one's is the same for all): a column of it would squeeze the ids and timestamps at 80 columns
    advice: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        if r.reason and r.advice:
            advice.setdefault((r.reason, r.advice), []).append(r.work_order_id)
    if advice:
        console.print(Text("why, and what to do:"))
    for (reason, said), ids in advice.items():
        who = f"work order {ids[0]}" if len(ids) == 1 else "work orders " + ", ".join(map(str, ids[:5]))
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        console.print(Text(f"  {who}{more}: {reason}: {said}"))


def print_history(console: Console, revisions: list[tuple[str, str | None, str]]) -> None:
    """The revisions this package carries, oldest first, one line each."""
    for rev, down, doc in revisions:
        summary = " ".join(doc.split("\n\n")[0].split())  # the docstring's first paragraph
        console.print(Text(f"{down or '<base>'} -> {rev}: {summary}"))


def print_migration(console: Console, before: str | None, after: str | None) -> None:
    """From which revision to which a migration went."""
    if before == after:
        console.print(Text(f"task_sync schema is up to date (revision {after}); nothing applied."))
    else:
        console.print(Text(f"task_sync schema migrated from {before or 'nothing'} to {after or 'nothing'}."))


def print_revision(console: Console, current: str | None, head: str, version: str, state: str) -> None:
    """The database's revision, and the one this release of the package carries."""
    console.print(Text(f"database at revision {current or 'none'}; pytask-sync {version} carries {head}: {state}"))


def print_downgrade(
    console: Console, undone: list[str], target: str, work_orders: int, tasks: int, audit_rows: int
) -> None:
    """What a downgrade undoes and what the database holds, said before it is asked."""
    held = f"{work_orders} work order(s), {tasks} task(s) and {audit_rows} audit row(s) (sync_run)"
    if target == "base":
        said = f"This drops the task_sync schema and everything in it: {held}."
    else:
        said = (
            f"This undoes {len(undone)} revision(s) ({', '.join(reversed(undone))}); the database holds {held}, "
            "and what those revisions added is dropped with its data."
        )
    console.print(Text(said, style="yellow"))


def print_stopped(console: Console, stopped: bool) -> None:
    """Whether ``db stop`` stopped a server."""
    console.print(Text("Stopped the embedded PostgreSQL." if stopped else "The embedded PostgreSQL was not running."))


def print_embedded(console: Console, info: EmbeddedServer | None, data_dir: Path) -> None:
    """Whether the embedded server runs; its DSN on a line of its own, never wrapped (it is copied)."""
    if info is None:
        console.print(Text(f"The embedded PostgreSQL is not running (data in {data_dir})."), soft_wrap=True)
        return
    console.print(
        Text(
            f"The embedded PostgreSQL is running (pid {info.pid}, data in {data_dir}); it keeps running until "
            "'pytask-sync db stop'."
        )
    )
    console.print(Text(f"DSN: {info.dsn}"), soft_wrap=True)
    console.print(Text("psql: pytask-sync db psql"), soft_wrap=True)
