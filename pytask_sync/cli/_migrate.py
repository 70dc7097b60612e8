"""``pytask-sync migrate``: install, upgrade, current, history, downgrade (asked first), --sql."""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from .. import __version__, render
from ..migrate import current_revision, downgrade, head_revision, history, migrate, upgrade_sql
from ._base import EXIT_ERROR, CliError, UsageError, confirm, require_question_or_yes, stderr_console
from ._target import connect, database

#: what a downgrade may drop, counted before it is asked
_HOLDINGS = """
SELECT (SELECT count(*) FROM task_sync.work_order) AS work_orders,
       (SELECT count(*) FROM task_sync.task) AS tasks,
       (SELECT count(*) FROM task_sync.sync_run) AS audit_rows
"""


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["upgrade", "current", "history", "downgrade"], default="upgrade")
    p.add_argument("revision", nargs="?", help="upgrade: the target (default head); downgrade: the target (required)")
    p.add_argument("--sql", action="store_true", help="upgrade: print the SQL instead of running it")
    p.add_argument(
        "--from",
        dest="from_revision",
        metavar="REV",
        help="with --sql: the database's revision ('base': an empty database); default: read it from the database",
    )
    p.add_argument("--yes", "-y", action="store_true", help="downgrade: do not ask (needed without a terminal)")


def run(args: argparse.Namespace, console: Console) -> int:
    """Install or upgrade the schema and say from which revision to which.

    Or: the current revision, the history, a downgrade (said and asked first), or the upgrade's SQL.
    """
    if args.action == "history":
        revisions = history()
        if args.json:
            print(json.dumps([{"revision": r, "down_revision": d, "doc": doc} for r, d, doc in revisions]))
        else:
            render.print_history(console, revisions)
        return 0
    _check(args)
    if args.sql:
        if args.from_revision is not None:
            before = None if args.from_revision == "base" else args.from_revision
        else:
            before = current_revision(_reachable(database(args)))
        try:
            print(upgrade_sql(before, args.revision or "head"), end="")
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        return 0
    dsn = _reachable(database(args))
    before = current_revision(dsn)
    if args.action == "current":
        return _current(args, console, before)
    if args.action == "downgrade":
        if before is not None and not _downgrade_agreed(args, dsn, before):
            stderr_console().print("Nothing changed.")
            return EXIT_ERROR
        downgrade(dsn, args.revision)
    else:
        migrate(dsn, args.revision or "head")
    after = current_revision(dsn)
    if args.json:
        print(json.dumps({"from_revision": before, "to_revision": after, "changed": before != after}))
    else:
        render.print_migration(console, before, after)
    return 0


def _check(args: argparse.Namespace) -> None:
    """Usage errors, before any output (and before a question that cannot be asked)."""
    if args.action == "downgrade" and not args.revision:
        raise UsageError("downgrade needs the revision to go back to ('base' removes everything)")
    if args.sql and args.action != "upgrade":
        raise UsageError("--sql goes with upgrade")
    if args.from_revision is not None and not args.sql:
        raise UsageError("--from goes with --sql")
    if args.yes and args.action != "downgrade":
        raise UsageError("--yes goes with downgrade")
    if args.action == "downgrade":
        known = [r for r, _, _ in history()]
        if args.revision != "base" and args.revision not in known:
            raise UsageError(f"unknown revision: {args.revision} (known: base, {', '.join(known)})")
        require_question_or_yes(args, "migrate downgrade")


def _reachable(dsn: str) -> str:
    """``dsn``, once a connection to it opened: a bad DSN is said as for every other command."""
    with connect(dsn):
        return dsn


def _downgrade_agreed(args: argparse.Namespace, dsn: str, current: str) -> bool:
    """Say what the downgrade undoes and what the database holds, then ask (unless --yes)."""
    known = [r for r, _, _ in history()]
    if current not in known:
        raise CliError(f"the database is at revision {current}, which this pytask_sync does not know")
    target = -1 if args.revision == "base" else known.index(args.revision)
    undone = known[target + 1 : known.index(current) + 1]
    if not undone:
        raise CliError(f"nothing to downgrade: the database is at {current}, not after {args.revision}")
    with connect(dsn) as conn:
        row = conn.execute(_HOLDINGS).fetchone()
    work_orders, tasks, audit_rows = row if row else (0, 0, 0)
    if args.yes:
        return True
    render.print_downgrade(stderr_console(), undone, args.revision, work_orders, tasks, audit_rows)
    return confirm(f"Downgrade to {args.revision}?")


def version_line() -> str:
    """``pytask-sync 0.2.0 (schema revision 0012_error_codes)``: a release and the revision it carries."""
    return f"pytask-sync {__version__} (schema revision {head_revision()})"


def _current(args: argparse.Namespace, console: Console, current: str | None) -> int:
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
        print(json.dumps({"current": current, "head": head, "version": __version__, "state": state}))
    else:
        render.print_revision(console, current, head, __version__, state)
    return 0
