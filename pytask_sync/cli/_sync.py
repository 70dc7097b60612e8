"""``pytask-sync status``, ``sync-pending`` and ``worker``: the pending work orders and syncing them."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import psycopg
from rich.console import Console

from .. import _queries as q
from .. import render
from .._connection import connect as open_connection
from ..client import TaskSync
from ..models import BatchResult
from ._base import UsageError, limit, seconds
from ._target import connect, database, libpq_dsn


def status_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=limit, default=None, help="show at most this many (default: all)")


def _batch_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", type=limit, default=100, help="work orders per transaction (default: 100)")


def sync_pending_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=limit, default=None, help="at most this many work orders (default: all)")
    _batch_argument(p)


def worker_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="sync what is pending, then exit (for cron)")
    _batch_argument(p)
    p.add_argument("--debounce", type=seconds, default=0.2, help="seconds to gather a burst of changes (default: 0.2)")
    p.add_argument(
        "--poll",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="look for pending work orders this often anyway (default: 30 while it listens; 5 when it cannot "
        "LISTEN because its connection goes through a connection pooler)",
    )
    p.add_argument(
        "--listen-dsn",
        default=None,
        metavar="DSN",
        help="a direct connection (not through a pooler) used only to LISTEN, when --dsn names a pooler such as "
        "PgBouncer in transaction pooling; the syncs still go through --dsn",
    )
    p.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="INFO",
        help="what the worker logs to stderr, with timestamps (default: INFO)",
    )


def status(args: argparse.Namespace, console: Console) -> int:
    """List work orders that need a sync."""
    with connect(database(args)) as conn:
        rows = TaskSync(conn).pending(limit=args.limit)
        total = len(rows)
        if args.limit is not None and len(rows) == args.limit:
            total = _pending_count(conn, None)
    if args.json:
        print(render.to_json(rows))
    else:
        render.print_status(console, rows, total)
    return 0


def sync_pending(args: argparse.Namespace, console: Console) -> int:
    """Sync every pending work order in batches (the worker's drain), with progress."""
    from ..worker import drain

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
        print(render.to_json(done))
    else:
        render.print_batches(console, done)
    return 0


def _pending_count(conn: psycopg.Connection[Any], limit: int | None) -> int:
    """How many work orders wait for a sync (at most ``limit``), counted by the server."""
    row = conn.execute(q.PENDING_COUNT).fetchone()
    n = int(row[0]) if row else 0
    return n if limit is None else min(n, limit)


def worker(args: argparse.Namespace, console: Console) -> int:
    """Run the LISTEN worker (or one pass with --once)."""
    from ..worker import Worker, drain

    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # the embedded server is migrated on start: alembic's own INFO lines are not the worker's news
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(args.log_level)))
    log = logging.getLogger("pytask_sync.worker")

    if args.poll is not None and args.poll <= 0:
        raise UsageError(f"not a number of seconds: --poll {args.poll:g} (expected more than 0)")
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

    listen_dsn = libpq_dsn(args.listen_dsn) if args.listen_dsn else None
    worker = Worker(
        lambda: open_connection(dsn, application_name="pytask-sync worker"),
        batch=args.batch,
        debounce=args.debounce,
        idle_poll=args.poll,
        on_batch=report,
        listen=(lambda: open_connection(listen_dsn, application_name="pytask-sync worker (LISTEN)"))
        if listen_dsn is not None
        else None,
    )
    worker.install_signal_handlers()
    stats = worker.run()
    log.info(
        "stopped after %d work order(s) in %d batch(es), %d reconnect(s)", stats.synced, stats.batches, stats.reconnects
    )
    return 0
