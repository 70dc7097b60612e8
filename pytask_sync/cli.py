"""The ``pytask-sync`` command line.

The database comes from ``--dsn``, else ``PYTASK_SYNC_DSN``, else ``DATABASE_URL``, else the
embedded PostgreSQL kept in the user's data folder (migrated on first use). Expected errors print
one line and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from rich.console import Console

from . import __version__
from .client import TaskSync
from .errors import TaskSyncError
from .migrate import migrate
from .models import BatchResult
from .render import print_pending_plans, print_plan, to_json

EXIT_ERROR = 1


class CliError(Exception):
    """An expected failure: printed as one line, exit status 1."""


def _positive(what: str) -> Callable[[str], int]:
    """An argparse type: a positive integer, or a usage error naming ``what``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value <= 0:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r} (expected a positive integer)")
        return value

    return parse


_work_order_id = _positive("work order id")
_limit = _positive("limit")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dsn", default=argparse.SUPPRESS, help="libpq connection string or URI")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print data as JSON")

    parser = argparse.ArgumentParser(
        prog="pytask-sync",
        description="Keep the draft tasks of work orders consistent with their routes, inside PostgreSQL.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"pytask-sync {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("migrate", parents=[common], help="install or upgrade the task_sync schema")
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--overwrite-edits", action="store_true", help="conflicts take the rule value")
    flags.add_argument("--restore-dismissed", action="store_true", help="re-add drafts planners deleted")
    p = sub.add_parser(
        "preview",
        parents=[common, flags],
        help="show what a sync of a work order would do (with these flags), or of every pending one (--pending)",
    )
    p.add_argument("work_order_id", type=_work_order_id, metavar="WO", nargs="?")
    p.add_argument(
        "--pending",
        action="store_true",
        help="the plans of every work order that needs a sync (task_sync.plan_pending), summed up per work order",
    )
    p.add_argument("--limit", type=_limit, default=None, help="with --pending: at most this many work orders")
    p = sub.add_parser("execute", parents=[common, flags], help="show the plan, ask, and apply exactly that plan")
    p.add_argument("work_order_id", type=_work_order_id, metavar="WO")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    p = sub.add_parser("status", parents=[common], help="work orders that need a sync")
    p.add_argument("--limit", type=_limit, default=None)
    p = sub.add_parser("sync-pending", parents=[common], help="sync every work order that needs it")
    p.add_argument("--limit", type=_limit, default=None, help="at most this many work orders")
    p.add_argument("--batch", type=_limit, default=100, help="work orders per transaction")
    p = sub.add_parser("worker", parents=[common], help="LISTEN and sync pending work orders as they change")
    p.add_argument("--once", action="store_true", help="sync what is pending, then exit (for cron)")
    p.add_argument("--batch", type=_limit, default=100, help="work orders per transaction")
    p.add_argument("--debounce", type=float, default=0.2, help="seconds to gather a burst of changes")
    sub.add_parser("demo", parents=[common], help="a printing job's story, on the embedded database by default")
    return parser


def resolve_dsn(arg: str | None) -> str | None:
    """The DSN named by the flag or the environment, or None for the embedded server."""
    return arg or os.environ.get("PYTASK_SYNC_DSN") or os.environ.get("DATABASE_URL") or None


@contextmanager
def connect(args: argparse.Namespace, console: Console) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the chosen database (the embedded one migrated on first use)."""
    dsn = resolve_dsn(getattr(args, "dsn", None))
    if dsn is None:
        from . import embedded

        if not getattr(args, "json", False):
            console.print(f"[dim]Using the embedded PostgreSQL in {embedded.default_data_dir()}[/dim]")
        try:
            dsn = embedded.start().dsn
        except Exception as exc:  # start-up problems of the embedded server are one line too
            raise CliError(f"cannot start the embedded PostgreSQL: {exc}") from exc
        if args.command != "migrate":
            migrate(dsn)
    try:
        conn = psycopg.connect(dsn, autocommit=True, application_name="pytask-sync")
    except psycopg.OperationalError as exc:
        raise CliError(f"cannot connect to the database: {_first_line(exc)}") from exc
    args.resolved_dsn = dsn
    with conn:
        yield conn


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _confirm(console: Console, question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        raise CliError("refusing to apply without a terminal to ask on: pass --yes")
    answer = console.input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_migrate(args: argparse.Namespace, console: Console) -> int:
    """Install or upgrade the schema."""
    with connect(args, console):
        pass
    migrate(args.resolved_dsn)
    console.print("task_sync schema is up to date.")
    return 0


def cmd_preview(args: argparse.Namespace, console: Console) -> int:
    """Show a work order's plan, or (--pending) what a sync of every pending work order would do."""
    if args.pending:
        return _preview_pending(args, console)
    if args.work_order_id is None:
        raise CliError("preview needs a work order id, or --pending")
    if args.limit is not None:
        raise CliError("--limit goes with --pending")
    with connect(args, console) as conn:
        plan = TaskSync(conn).preview(
            args.work_order_id, overwrite_edits=args.overwrite_edits, restore_dismissed=args.restore_dismissed
        )
    if args.json:
        print(to_json(plan))
    else:
        print_plan(console, plan)
        console.print(f"[dim]plan_hash {plan.plan_hash}[/dim]")
    return 0


def _preview_pending(args: argparse.Namespace, console: Console) -> int:
    if args.work_order_id is not None:
        raise CliError("preview takes a work order id or --pending, not both")
    if args.overwrite_edits or args.restore_dismissed:
        raise CliError("--pending shows the plans of a sync without flags (as sync-pending runs it)")
    with connect(args, console) as conn:
        items = TaskSync(conn).plan_pending(args.limit)
    if args.json:
        print(to_json(items))
    else:
        print_pending_plans(console, items)
    return 0


def cmd_execute(args: argparse.Namespace, console: Console) -> int:
    """Show the plan, ask, apply that very plan (through its hash)."""
    with connect(args, console) as conn:
        ts = TaskSync(conn)
        # the plan of exactly these flags, confirmed by its hash: what is shown is what runs
        plan = ts.preview(
            args.work_order_id, overwrite_edits=args.overwrite_edits, restore_dismissed=args.restore_dismissed
        )
        if not args.json:
            print_plan(console, plan)
        if not args.yes and not _confirm(console, f"Apply this plan to work order {plan.work_order_id}?"):
            console.print("Nothing changed.")
            return EXIT_ERROR
        result = ts.execute(
            args.work_order_id,
            confirm=True,
            expected_plan_hash=plan.plan_hash,
            overwrite_edits=args.overwrite_edits,
            restore_dismissed=args.restore_dismissed,
        )
    if args.json:
        print(to_json(result))
    else:
        console.print(
            f"[green]Synced[/green] work order {result.work_order_id}: added {result.added}, "
            f"removed {result.removed}, updated {result.updated}, conflicts kept {result.conflicts} "
            f"(sync_run {result.sync_run_id if result.sync_run_id is not None else 'none: nothing changed'})."
        )
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    """List work orders that need a sync."""
    with connect(args, console) as conn:
        rows = TaskSync(conn).pending(limit=args.limit)
    if args.json:
        print(to_json(rows))
        return 0
    if not rows:
        console.print("Every work order is in sync.")
        return 0
    from rich.table import Table

    table = Table(title=f"{len(rows)} work order(s) need a sync", title_justify="left")
    for col in ("work order", "order number", "definition", "synced", "pending since"):
        table.add_column(col)
    for r in rows:
        since = r.pending_since.isoformat(timespec="seconds") if r.pending_since else ""
        table.add_row(str(r.work_order_id), r.order_number, str(r.definition_version), str(r.synced_version), since)
    console.print(table)
    return 0


def cmd_sync_pending(args: argparse.Namespace, console: Console) -> int:
    """Sync every pending work order in batches, with progress."""
    with connect(args, console) as conn:
        ts = TaskSync(conn)
        total = len(ts.pending(limit=args.limit))
        done: list[BatchResult] = []
        batch = min(args.batch, args.limit) if args.limit else args.batch

        def run(on_batch: Callable[[list[BatchResult]], None]) -> None:
            while len(done) < total:
                rows = ts.sync_pending(limit=min(batch, total - len(done)))
                if not rows:
                    return
                done.extend(rows)
                on_batch(rows)

        if args.json or not console.is_terminal:

            def plain(rows: list[BatchResult]) -> None:
                if not args.json:
                    print(f"synced {len(done)}/{total}", flush=True)

            run(plain)
        else:
            from rich.progress import Progress

            with Progress(console=console) as progress:
                task = progress.add_task("Syncing", total=total)
                run(lambda rows: progress.update(task, advance=len(rows)))
    if args.json:
        print(to_json(done))
    else:
        added = sum(r.added for r in done)
        removed = sum(r.removed for r in done)
        console.print(f"Synced {len(done)} work order(s): added {added}, removed {removed}.")
    return 0


def cmd_worker(args: argparse.Namespace, console: Console) -> int:
    """Run the LISTEN worker (or one pass with --once)."""
    from .worker import Worker, drain

    with connect(args, console) as conn:
        if args.once:
            n = drain(TaskSync(conn), args.batch)
            console.print(f"Synced {n} work order(s).")
            return 0
    dsn = args.resolved_dsn

    def report(rows: list[BatchResult]) -> None:
        console.print(f"synced {len(rows)} work order(s): " + ", ".join(str(r.work_order_id) for r in rows[:10]))

    worker = Worker(
        lambda: psycopg.connect(dsn, application_name="pytask-sync worker"),
        batch=args.batch,
        debounce=args.debounce,
        on_batch=report,
    )
    worker.install_signal_handlers()
    console.print("Listening on task_sync (Ctrl-C to stop).")
    stats = worker.run()
    console.print(f"Stopped after {stats.synced} work order(s) in {stats.batches} batch(es).")
    return 0


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    """Tell the product's story on a realistic printing job."""
    from .demo import run_demo

    with connect(args, console) as conn:
        if resolve_dsn(getattr(args, "dsn", None)) is not None:
            migrate(args.resolved_dsn)
        run_demo(conn, console)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "migrate": cmd_migrate,
    "preview": cmd_preview,
    "execute": cmd_execute,
    "status": cmd_status,
    "sync-pending": cmd_sync_pending,
    "worker": cmd_worker,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pytask-sync``."""
    args = build_parser().parse_args(argv)
    if not hasattr(args, "json"):
        args.json = False
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return COMMANDS[args.command](args, console)
    except TaskSyncError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        err.print(f"[red]error:[/red] {exc.message}{hint}")
    except CliError as exc:
        err.print(f"[red]error:[/red] {exc}")
    except psycopg.OperationalError as exc:
        err.print(f"[red]error:[/red] database connection failed: {_first_line(exc)}")
    except psycopg.Error as exc:
        err.print(f"[red]error:[/red] {type(exc).__name__}: {_first_line(exc)}")
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
