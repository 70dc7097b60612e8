"""``pytask-sync preview`` and ``execute``: what a sync would do, and applying exactly that.

``execute WO`` shows the plan, asks, and applies it through its hash; ``execute WO --plan-hash H``
applies a plan reviewed earlier (``preview WO --json``, its ``plan_hash``, or ``@file`` of that
JSON) without asking, or refuses it as stale (TSC02, exit 3) with nothing changed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from rich.console import Console

from .. import render
from ..client import TaskSync
from ..errors import StalePlan
from ._base import (
    EXIT_ERROR,
    CliError,
    UsageError,
    confirm,
    limit,
    require_question_or_yes,
    stderr_console,
    work_order_id,
)
from ._target import connect, database

_HASH = re.compile(r"[0-9a-f]{64}")


def preview_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("work_order_id", type=work_order_id, metavar="WO", nargs="?")
    p.add_argument(
        "--pending",
        action="store_true",
        help="the plans of every work order that needs a sync (task_sync.plan_pending), summed up per work order",
    )
    p.add_argument("--limit", type=limit, default=None, help="with --pending: at most this many work orders")


def execute_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("work_order_id", type=work_order_id, metavar="WO")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask (needed without a terminal)")
    p.add_argument(
        "--plan-hash",
        metavar="H",
        help="apply exactly the plan reviewed earlier: its plan_hash (preview --json), or @FILE of that JSON; "
        "a plan that changed since is refused (exit 3), nothing changed",
    )


def preview(args: argparse.Namespace, console: Console) -> int:
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
        print(render.to_json(plan))
    else:
        render.print_plan(console, plan, with_hash=True)
    return 0


def _preview_pending(args: argparse.Namespace, console: Console) -> int:
    if args.work_order_id is not None:
        raise UsageError("preview takes a work order id or --pending, not both")
    if args.overwrite_edits or args.restore_dismissed:
        raise UsageError("--pending shows the plans of a sync without flags (as sync-pending runs it)")
    with connect(database(args)) as conn:
        items = TaskSync(conn).plan_pending(args.limit)
    if args.json:
        print(render.to_json(items))
    else:
        render.print_pending_plans(console, items)
    return 0


def execute(args: argparse.Namespace, console: Console) -> int:
    """Apply a reviewed plan (--plan-hash), or show the plan, ask, and apply that very plan."""
    if args.plan_hash is not None:
        return _apply_reviewed(args, console, _reviewed_hash(args))
    with connect(database(args)) as conn:
        ts = TaskSync(conn)
        # the plan of exactly these flags, confirmed by its hash: what is shown is what runs
        plan = ts.preview(
            args.work_order_id, overwrite_edits=args.overwrite_edits, restore_dismissed=args.restore_dismissed
        )
        if not plan.may_sync:
            raise CliError(f"work order {plan.work_order_id} may not be synced: it is approved, completed or cancelled")
        if plan.summary.changes:  # a question to ask: a terminal, or --yes; said before any output
            require_question_or_yes(args, "execute", otherwise="--plan-hash of a plan reviewed earlier")
        if not args.json:
            render.print_plan(console, plan)
        # nothing to write: no question (execute still takes in the work order's marks)
        question = f"Apply this plan to work order {plan.work_order_id}?"
        if plan.summary.changes and not args.yes and not confirm(question):
            stderr_console().print("Nothing changed.")
            return EXIT_ERROR
        result = ts.execute(
            args.work_order_id,
            confirm=True,
            expected_plan_hash=plan.plan_hash,
            overwrite_edits=args.overwrite_edits,
            restore_dismissed=args.restore_dismissed,
        )
    if args.json:
        print(render.to_json(result))
    else:
        render.print_result(console, result)
    return 0


def _apply_reviewed(args: argparse.Namespace, console: Console, plan_hash: str) -> int:
    """Apply the plan whose hash was reviewed, or refuse it as stale (TSC02: exit 3, nothing changed)."""
    with connect(database(args)) as conn:
        try:
            result = TaskSync(conn).execute(
                args.work_order_id,
                confirm=True,
                expected_plan_hash=plan_hash,
                overwrite_edits=args.overwrite_edits,
                restore_dismissed=args.restore_dismissed,
            )
        except StalePlan as exc:
            hint = (
                f"review it again: pytask-sync preview {args.work_order_id}"
                + (" --overwrite-edits" if args.overwrite_edits else "")
                + (" --restore-dismissed" if args.restore_dismissed else "")
            )
            raise StalePlan(exc.message, detail=exc.detail, hint=hint) from exc
    if args.json:
        print(render.to_json(result))
    else:
        render.print_result(console, result)
    return 0


def _reviewed_hash(args: argparse.Namespace) -> str:
    """The hash of ``--plan-hash``: 64 hex digits, or ``@FILE`` holding ``preview --json`` output.

    A file must be the plan of this work order with these flags; its flags are not taken silently.
    """
    given: str = args.plan_hash
    if not given.startswith("@"):
        if not _HASH.fullmatch(given):
            raise UsageError(f"not a plan hash: {given!r} (expected 64 lowercase hex digits, or @FILE)")
        return given
    path = Path(given[1:])
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        plan_hash, wo = doc["plan_hash"], doc["work_order_id"]
        flags = bool(doc.get("overwrite_edits")), bool(doc.get("restore_dismissed"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not the output of pytask-sync preview --json ({exc})") from exc
    if wo != args.work_order_id:
        raise UsageError(f"{path} is the plan of work order {wo}, not {args.work_order_id}")
    if flags != (args.overwrite_edits, args.restore_dismissed):
        said = " ".join(n for n, on in zip(("--overwrite-edits", "--restore-dismissed"), flags, strict=True) if on)
        raise UsageError(f"{path} was previewed with other flags: pass exactly these: {said or 'none'}")
    if not isinstance(plan_hash, str) or not _HASH.fullmatch(plan_hash):
        raise UsageError(f"{path} holds no plan hash")
    return plan_hash
