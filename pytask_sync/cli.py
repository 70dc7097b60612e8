"""The ``pytask-sync`` command line.

The database comes from ``--dsn``, else ``PYTASK_SYNC_DSN``, else ``DATABASE_URL``, else the
embedded PostgreSQL kept in the user's data folder (started when needed, and brought to the newest
revision by each command but ``migrate``). The target is resolved once per command
(:func:`database`). Expected errors print one line and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from alembic.util.exc import CommandError
from rich.console import Console
from rich.prompt import Confirm
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from . import __version__
from . import _queries as q
from .client import BIGINT_MAX, INTEGER_MAX, TaskSync
from .dsn import to_libpq
from .errors import TaskSyncError
from .migrate import current_revision, downgrade, head_revision, history, migrate, upgrade_sql
from .models import BatchResult
from .render import print_pending_plans, print_plan, to_json

EXIT_ERROR = 1
EXIT_USAGE = 2
#: the reader of stdout went away (``pytask-sync migrate history --json | head``): 128 + SIGPIPE
EXIT_PIPE = 141


class CliError(Exception):
    """An expected failure: printed as one line, exit status 1."""


class UsageError(CliError):
    """Arguments that do not go together: printed as one line, exit status 2 (as argparse's)."""


def _positive(what: str, maximum: int) -> Callable[[str], int]:
    """An argparse type: an integer from 1 to ``maximum`` (the SQL type's largest).

    Anything else is a usage error naming ``what``.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r} (expected an integer from 1 to {maximum})")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r} (expected 0 or more)")
    return value


_work_order_id = _positive("work order id", BIGINT_MAX)
_limit = _positive("limit", INTEGER_MAX)

EPILOG = """\
The database: --dsn, else $PYTASK_SYNC_DSN, else $DATABASE_URL, else an embedded PostgreSQL
in the user's data folder (started when needed, kept at the newest revision). A DSN may be a
libpq string ("host=... dbname=..."), a postgresql:// URI or a SQLAlchemy URL
(postgresql+psycopg://...).

examples:
  pytask-sync preview 42                 what a sync of work order 42 would do
  pytask-sync execute 42                 show that plan, ask, apply exactly it
  pytask-sync preview --pending          the plans of every work order that needs a sync
  pytask-sync sync-pending --batch 500   sync them all, 500 per transaction
  pytask-sync --dsn postgresql://app@db/factory status --json
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests): one subparser per entry of COMMANDS."""
    shared = _shared_options()
    parser = argparse.ArgumentParser(
        prog="pytask-sync",
        description="Keep the draft tasks of work orders consistent with their routes, inside PostgreSQL.",
        parents=[shared["dsn"], shared["json"]],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pytask-sync {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.arguments(
            sub.add_parser(
                name,
                parents=[shared[option] for option in command.options],
                help=command.help,
                description=command.description,
            )
        )
    return parser


def _shared_options() -> dict[str, argparse.ArgumentParser]:
    """The options several commands take, by name: --dsn, --json, and the sync flags."""
    dsn = argparse.ArgumentParser(add_help=False)
    dsn.add_argument(
        "--dsn",
        default=argparse.SUPPRESS,
        help="libpq string, postgresql:// URI or SQLAlchemy URL (default: $PYTASK_SYNC_DSN, $DATABASE_URL, "
        "else the embedded PostgreSQL)",
    )
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print the data as JSON on stdout, and only it"
    )
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--overwrite-edits", action="store_true", help="conflicts take the rule value")
    flags.add_argument("--restore-dismissed", action="store_true", help="re-add drafts planners deleted")
    return {"dsn": dsn, "json": data, "flags": flags}


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["upgrade", "current", "history", "downgrade"], default="upgrade")
    p.add_argument("revision", nargs="?", help="upgrade: the target (default head); downgrade: the target (required)")
    p.add_argument("--sql", action="store_true", help="upgrade: print the SQL instead of running it")
    p.add_argument(
        "--from",
        dest="from_revision",
        metavar="REV",
        help="with --sql: the database's revision ('base': an empty database); default: read it from the database",
    )


def _preview_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("work_order_id", type=_work_order_id, metavar="WO", nargs="?")
    p.add_argument(
        "--pending",
        action="store_true",
        help="the plans of every work order that needs a sync (task_sync.plan_pending), summed up per work order",
    )
    p.add_argument("--limit", type=_limit, default=None, help="with --pending: at most this many work orders")


def _execute_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("work_order_id", type=_work_order_id, metavar="WO")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask (needed without a terminal)")


def _status_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=_limit, default=None, help="show at most this many (default: all)")


def _batch_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", type=_limit, default=100, help="work orders per transaction (default: 100)")


def _sync_pending_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=_limit, default=None, help="at most this many work orders (default: all)")
    _batch_argument(p)


def _worker_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="sync what is pending, then exit (for cron)")
    _batch_argument(p)
    p.add_argument("--debounce", type=_seconds, default=0.2, help="seconds to gather a burst of changes (default: 0.2)")
    p.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="INFO",
        help="what the worker logs to stderr, with timestamps (default: INFO)",
    )


def _db_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["start", "stop", "status", "dsn", "psql"])
    p.add_argument("psql_args", nargs="*", metavar="-- PSQL_ARG", help="with psql: arguments for psql, after --")


def _no_arguments(p: argparse.ArgumentParser) -> None:
    pass


def resolve_dsn(arg: str | None) -> str | None:
    """The DSN named by the flag or the environment, in libpq form, or None for the embedded server."""
    dsn = arg or os.environ.get("PYTASK_SYNC_DSN") or os.environ.get("DATABASE_URL") or None
    if dsn is None:
        return None
    try:
        return to_libpq(dsn)
    except ValueError as exc:
        raise CliError(f"cannot use this connection string: {exc}") from exc


def database(args: argparse.Namespace) -> str:
    """The DSN of the database this command works on, resolved once per command.

    ``--dsn``, else the environment, else the embedded server, started and (but for ``migrate``,
    which says what it applies) migrated to the newest revision.
    """
    flag = getattr(args, "dsn", None)
    # the demo writes rows: into a database of one's own only when its command line names it
    dsn = None if args.command == "demo" and not flag else resolve_dsn(flag)
    if dsn is not None:
        return dsn
    from . import embedded

    if not getattr(args, "json", False):  # a note for people, never in the data
        _stderr().print(Text(f"Using the embedded PostgreSQL in {embedded.default_data_dir()}", style="dim"))
    try:
        dsn = embedded.start().dsn
    except Exception as exc:  # start-up problems of the embedded server are one line too
        raise CliError(f"cannot start the embedded PostgreSQL: {exc}") from exc
    if args.command != "migrate":
        migrate(dsn)
    return dsn


@contextmanager
def connect(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to ``dsn``; a failure to connect is one line."""
    try:
        conn = psycopg.connect(dsn, autocommit=True, application_name="pytask-sync")
    except psycopg.OperationalError as exc:
        raise CliError(f"cannot connect to the database: {_first_line(exc)}") from exc
    with conn:
        yield conn


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _confirm(question: str) -> bool:
    """Ask on the terminal (stderr), never into the data on stdout; no terminal: refuse."""
    if not sys.stdin or not sys.stdin.isatty():
        raise CliError("refusing to apply without a terminal to ask on: pass --yes")
    return Confirm.ask(Text(question), console=_stderr(), default=False)


def cmd_migrate(args: argparse.Namespace, console: Console) -> int:
    """Install or upgrade the schema and say from which revision to which.

    Or: the current revision, the history, a downgrade, or the upgrade's SQL.
    """
    if args.action == "history":
        return _migrate_history(args, console)
    if args.action == "downgrade" and not args.revision:
        raise UsageError("downgrade needs the revision to go back to ('base' removes everything)")
    if args.sql and args.action != "upgrade":
        raise UsageError("--sql goes with upgrade")
    if args.from_revision is not None and not args.sql:
        raise UsageError("--from goes with --sql")
    if args.sql:
        if args.from_revision is not None:
            before = None if args.from_revision == "base" else args.from_revision
        else:
            before = current_revision(database(args))
        try:
            print(upgrade_sql(before, args.revision or "head"), end="")
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        return 0
    dsn = database(args)
    before = current_revision(dsn)
    if args.action == "current":
        return _migrate_current(args, console, before)
    if args.action == "downgrade":
        downgrade(dsn, args.revision)
    else:
        migrate(dsn, args.revision or "head")
    after = current_revision(dsn)
    if args.json:
        print(json.dumps({"from_revision": before, "to_revision": after, "changed": before != after}))
    elif before == after:
        console.print(Text(f"task_sync schema is up to date (revision {after}); nothing applied."))
    else:
        console.print(Text(f"task_sync schema migrated from {before or 'nothing'} to {after or 'nothing'}."))
    return 0


def _migrate_current(args: argparse.Namespace, console: Console, current: str | None) -> int:
    head = head_revision()
    known = [r for r, _, _ in history()]
    state = (
        "not installed"
        if current is None
        else "up to date"
        if current == head
        else "behind: run pytask-sync migrate"
        if current in known
        else "newer than this pytask_sync: upgrade pytask_sync"
    )
    if args.json:
        print(json.dumps({"current": current, "head": head, "state": state}))
    else:
        console.print(Text(f"revision {current or 'none'} (this pytask_sync's newest: {head}): {state}"))
    return 0


def _migrate_history(args: argparse.Namespace, console: Console) -> int:
    revisions = history()
    if args.json:
        print(json.dumps([{"revision": r, "down_revision": d, "doc": doc} for r, d, doc in revisions]))
        return 0
    for rev, down, doc in revisions:
        summary = " ".join(doc.split("\n\n")[0].split())  # the docstring's first paragraph
        console.print(Text(f"{down or '<base>'} -> {rev}: {summary}"))
    return 0


def cmd_preview(args: argparse.Namespace, console: Console) -> int:
    """Show a work order's plan, or (--pending) what a sync of every pending work order would do."""
    if args.pending:
        return _preview_pending(args, console)
    if args.work_order_id is None:
        raise UsageError("preview needs a work order id, or --pending")
    if args.limit is not None:
        raise UsageError("--limit goes with --pending")
    with connect(database(args)) as conn:
        plan = TaskSync(conn).preview(
            args.work_order_id, overwrite_edits=args.overwrite_edits, restore_dismissed=args.restore_dismissed
        )
    if args.json:
        print(to_json(plan))
    else:
        print_plan(console, plan)
        console.print(Text(f"plan_hash {plan.plan_hash}", style="dim"))
    return 0


def _preview_pending(args: argparse.Namespace, console: Console) -> int:
    if args.work_order_id is not None:
        raise UsageError("preview takes a work order id or --pending, not both")
    if args.overwrite_edits or args.restore_dismissed:
        raise UsageError("--pending shows the plans of a sync without flags (as sync-pending runs it)")
    with connect(database(args)) as conn:
        items = TaskSync(conn).plan_pending(args.limit)
    if args.json:
        print(to_json(items))
    else:
        print_pending_plans(console, items)
    return 0


def cmd_execute(args: argparse.Namespace, console: Console) -> int:
    """Show the plan, ask, apply that very plan (through its hash)."""
    with connect(database(args)) as conn:
        ts = TaskSync(conn)
        # the plan of exactly these flags, confirmed by its hash: what is shown is what runs
        plan = ts.preview(
            args.work_order_id, overwrite_edits=args.overwrite_edits, restore_dismissed=args.restore_dismissed
        )
        if not plan.may_sync:
            raise CliError(f"work order {plan.work_order_id} may not be synced: it is approved, completed or cancelled")
        if not args.json:
            print_plan(console, plan)
        # nothing to write: no question (execute still takes in the work order's marks)
        question = f"Apply this plan to work order {plan.work_order_id}?"
        if plan.summary.changes and not args.yes and not _confirm(question):
            _stderr().print("Nothing changed.")
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
            Text.assemble(
                ("Synced", "green"),
                f" work order {result.work_order_id}: added {result.added}, removed {result.removed}, "
                f"updated {result.updated}, conflicts kept {result.conflicts} "
                f"(sync_run {result.sync_run_id if result.sync_run_id is not None else 'none: nothing changed'}).",
            )
        )
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    """List work orders that need a sync."""
    with connect(database(args)) as conn:
        rows = TaskSync(conn).pending(limit=args.limit)
        total = len(rows)
        if args.limit is not None and len(rows) == args.limit:
            total = _pending_count(conn, None)
    if args.json:
        print(to_json(rows))
        return 0
    if not rows:
        console.print("Every work order is in sync.")
        return 0
    from rich.table import Table

    shown = f"{total} work order(s) need a sync" + (f"; the {len(rows)} waiting longest:" if total > len(rows) else "")
    table = Table(title=Text(shown), title_justify="left")
    table.add_column("work order", no_wrap=True)
    table.add_column("order number", overflow="fold")
    table.add_column("definition", no_wrap=True)
    table.add_column("synced", no_wrap=True)
    table.add_column("pending since", no_wrap=True, min_width=25)  # a whole ISO 8601 timestamp
    failed = any(r.last_error for r in rows)
    if failed:
        table.add_column("last sync failed", overflow="fold")
    table.add_column("why, and what to do", overflow="fold")
    for r in rows:
        since = r.pending_since.isoformat(timespec="seconds") if r.pending_since else ""
        cells: list[str | Text] = [
            str(r.work_order_id),
            Text(r.order_number),
            str(r.definition_version),
            str(r.synced_version),
            since,
        ]
        if failed:
            retry = f" (retried after {r.retry_after.isoformat(timespec='seconds')})" if r.retry_after else ""
            cells.append(Text(f"{r.last_error}{retry}" if r.last_error else ""))
        cells.append(Text(f"{r.reason}: {r.advice}" if r.reason else ""))
        table.add_row(*cells)
    console.print(table)
    return 0


def cmd_sync_pending(args: argparse.Namespace, console: Console) -> int:
    """Sync every pending work order in batches (the worker's drain), with progress."""
    from .worker import drain

    with connect(database(args)) as conn:
        ts = TaskSync(conn)
        total = _pending_count(conn, args.limit)
        done: list[BatchResult] = []

        def run(on_batch: Callable[[list[BatchResult]], None]) -> None:
            def record(rows: list[BatchResult]) -> None:
                done.extend(rows)
                on_batch(rows)

            drain(ts, args.batch, record, limit=args.limit)

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
        console.print(
            f"Synced {len(done)} work order(s): added {sum(r.added for r in done)}, "
            f"removed {sum(r.removed for r in done)}, updated {sum(r.updated for r in done)}, "
            f"conflicts kept {sum(r.conflicts for r in done)}."
        )
    return 0


def _pending_count(conn: psycopg.Connection[Any], limit: int | None) -> int:
    """How many work orders wait for a sync (at most ``limit``), counted by the server."""
    row = conn.execute(q.PENDING_COUNT).fetchone()
    n = int(row[0]) if row else 0
    return n if limit is None else min(n, limit)


def cmd_worker(args: argparse.Namespace, console: Console) -> int:
    """Run the LISTEN worker (or one pass with --once)."""
    from .worker import Worker, drain

    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # the embedded server is migrated on start: alembic's own INFO lines are not the worker's news
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(args.log_level)))
    log = logging.getLogger("pytask_sync.worker")

    dsn = database(args)
    with connect(dsn) as conn:  # a database it cannot reach is one line at start, not a retry loop
        if args.once:
            n = drain(TaskSync(conn), args.batch)
            if args.json:
                print(json.dumps({"synced": n}))
            else:
                console.print(f"Synced {n} work order(s).")
            return 0

    def report(rows: list[BatchResult]) -> None:
        ids = ", ".join(str(r.work_order_id) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
        log.info(
            "synced %d work order(s) (%s): added %d, removed %d, updated %d, conflicts kept %d",
            len(rows),
            ids,
            sum(r.added for r in rows),
            sum(r.removed for r in rows),
            sum(r.updated for r in rows),
            sum(r.conflicts for r in rows),
        )

    worker = Worker(
        lambda: psycopg.connect(dsn, application_name="pytask-sync worker"),
        batch=args.batch,
        debounce=args.debounce,
        on_batch=report,
    )
    worker.install_signal_handlers()
    stats = worker.run()
    log.info(
        "stopped after %d work order(s) in %d batch(es), %d reconnect(s)", stats.synced, stats.batches, stats.reconnects
    )
    return 0


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    """Tell the product's story on a realistic printing job."""
    from .demo import run_demo

    dsn = database(args)
    with connect(dsn) as conn:
        if getattr(args, "dsn", None):
            migrate(dsn)
            psql = f"psql '{dsn}'"
            cli = f"pytask-sync --dsn '{dsn}'"
        else:
            psql = "pytask-sync db psql"
            # commands find the embedded database only when the environment names no other one
            cli = " ".join(
                [*(f"{v}=" for v in ("PYTASK_SYNC_DSN", "DATABASE_URL") if os.environ.get(v)), "pytask-sync"]
            )
        run_demo(conn, console, psql=psql, cli=cli)
    return 0


def cmd_db(args: argparse.Namespace, console: Console) -> int:
    """The embedded server's lifecycle."""
    from . import embedded

    data_dir = embedded.default_data_dir()
    if args.psql_args and args.action != "psql":
        raise UsageError(f"db {args.action} takes no more arguments")
    if args.action in ("start", "psql"):
        server = embedded.start(keep_running=True)
        migrate(server.dsn)
        if args.action == "psql":
            # a child, not exec: this process must end normally, so that the server's list of the
            # processes using it forgets this one (psql keeps Ctrl-C for itself meanwhile)
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                return subprocess.call([str(embedded.psql_path()), *args.psql_args], env=_libpq_env(server.dsn))
            finally:
                signal.signal(signal.SIGINT, previous)
        info: embedded.EmbeddedServer | None = server
    elif args.action == "stop":
        stopped = embedded.stop()
        if args.json:
            print(json.dumps({"stopped": stopped, "data_dir": str(data_dir)}))
        else:
            console.print(
                Text("Stopped the embedded PostgreSQL." if stopped else "The embedded PostgreSQL was not running.")
            )
        return 0
    else:
        info = embedded.running()
        if args.action == "dsn":
            if info is None:
                raise CliError("the embedded PostgreSQL is not running: start it with 'pytask-sync db start'")
            print(info.dsn)
            return 0
    if args.json:
        doc = {"running": info is not None, "data_dir": str(data_dir)}
        if info is not None:
            doc |= {"pid": info.pid, "dsn": info.dsn}
        print(json.dumps(doc))
    elif info is None:
        console.print(Text(f"The embedded PostgreSQL is not running (data in {data_dir})."))
    else:
        console.print(
            Text(
                f"The embedded PostgreSQL is running (pid {info.pid}, data in {data_dir}); it keeps running until "
                f"'pytask-sync db stop'.\nDSN: {info.dsn}\npsql: pytask-sync db psql"
            )
        )
    return 0


def _libpq_env(dsn: str) -> dict[str, str]:
    """The environment of this process, with libpq's PG* variables set from ``dsn``.

    psql then reaches that server whatever its own arguments say (``-d scratch`` names a database
    on it, not on libpq's default socket).
    """
    from psycopg.conninfo import conninfo_to_dict

    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE", "password": "PGPASSWORD"}
    env = {k: v for k, v in os.environ.items() if k not in names.values()}
    for key, value in conninfo_to_dict(dsn).items():
        if key in names and value is not None:
            env[names[key]] = str(value)
    return env


@dataclass(frozen=True)
class Command:
    """One subcommand: how it is called (its arguments, the shared options it takes) and what runs."""

    handler: Callable[[argparse.Namespace, Console], int]
    arguments: Callable[[argparse.ArgumentParser], None]
    help: str
    options: tuple[str, ...] = ("dsn", "json")  # of _shared_options()
    description: str | None = None


COMMANDS: dict[str, Command] = {
    "migrate": Command(
        cmd_migrate,
        _migrate_arguments,
        "install or upgrade the schema; also current, history, downgrade, --sql",
        description="upgrade [REV]: install or upgrade to REV (default: the newest, head). current: the "
        "database's revision. history: the revisions this version carries. downgrade REV: back to REV "
        "('base' removes everything). --sql: print the upgrade's SQL for a DBA instead of running it.",
    ),
    "preview": Command(
        cmd_preview,
        _preview_arguments,
        "show what a sync of a work order would do (with these flags), or of every pending one (--pending)",
        options=("dsn", "json", "flags"),
    ),
    "execute": Command(
        cmd_execute,
        _execute_arguments,
        "show the plan, ask on the terminal, and apply exactly that plan",
        options=("dsn", "json", "flags"),
    ),
    "status": Command(cmd_status, _status_arguments, "work orders that need a sync, longest waiting first"),
    "sync-pending": Command(cmd_sync_pending, _sync_pending_arguments, "sync every work order that needs it"),
    "worker": Command(cmd_worker, _worker_arguments, "LISTEN and sync pending work orders as they change"),
    "db": Command(
        cmd_db,
        _db_arguments,
        "the embedded PostgreSQL: start | stop | status | dsn | psql",
        options=("json",),
        description="The embedded PostgreSQL (data in $PYTASK_SYNC_EMBEDDED_DIR, else the user's data folder). "
        "A server started with 'db start' keeps running until 'db stop'; other commands use it and leave it "
        "running. 'db psql' opens psql on it (starting it if needed; it then keeps running).",
    ),
    "demo": Command(
        cmd_demo,
        _no_arguments,
        "a printing job's story, on the embedded database (on another one only when --dsn names it)",
        options=("dsn",),
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pytask-sync``."""
    args = build_parser().parse_args(argv)
    if not hasattr(args, "json"):
        args.json = False
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True)

    def error(message: str) -> None:
        err.print(Text.assemble(("error:", "red"), " ", message))

    try:
        status = COMMANDS[args.command].handler(args, console)
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return status
    except BrokenPipeError:
        # the reader of stdout stopped reading (| head): quiet, as a command killed by SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except UsageError as exc:
        error(str(exc))
        return EXIT_USAGE
    except TaskSyncError as exc:
        error(exc.message + (f" (hint: {exc.hint})" if exc.hint else ""))
    except CliError as exc:
        error(str(exc))
    except psycopg.OperationalError as exc:
        error(f"database connection failed: {_first_line(exc)}")
    except psycopg.Error as exc:
        error(f"{type(exc).__name__}: {_first_line(exc)}")
    except CommandError as exc:  # alembic: e.g. a database migrated by a newer pytask_sync
        error(f"migration failed: {_first_line(exc)}")
    except DBAPIError as exc:  # a database error inside a migration (SQLAlchemy wraps psycopg's)
        error(f"migration failed: {_first_line(exc.orig) if exc.orig is not None else _first_line(exc)}")
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
