"""The ``pytask-sync`` command line.

A package of small rooms: ``_base`` (exit codes, expected errors, argument types, consoles, the
question), ``_target`` (the one policy for which database and whether to migrate it, and
``connect``), ``_errors`` (every expected failure as one line), one module per group of commands
(``_migrate``, ``_plans``, ``_sync``, ``_db``); what is printed is drawn by :mod:`pytask_sync.render`.

Exit codes: 0 success, 1 an expected failure (one line), 2 a usage error, 3 a stale plan (TSC02),
130 interrupted, 141 the reader of stdout went away.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from rich.text import Text

from . import _db, _migrate, _plans, _sync
from ._base import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_STALE_PLAN,
    EXIT_USAGE,
    CliError,
    Command,
    Policy,
    UsageError,
    stderr_console,
    stdout_console,
)
from ._errors import describe

__all__ = [
    "COMMANDS",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_STALE_PLAN",
    "EXIT_USAGE",
    "CliError",
    "UsageError",
    "build_parser",
    "main",
]

EPILOG = """\
The database: --dsn, else $PYTASK_SYNC_DSN, else $DATABASE_URL, else an embedded PostgreSQL
in the user's data folder (started when needed, kept at the newest revision). A DSN may be a
libpq string ("host=... dbname=..."), a postgresql:// URI or a SQLAlchemy URL
(postgresql+psycopg://...).

exit codes: 0 success, 1 error (one line), 2 usage error (also: no terminal to ask on),
3 stale plan (TSC02, nothing changed), 130 interrupted, 141 stdout closed (| head).

examples:
  pytask-sync preview 42                 what a sync of work order 42 would do
  pytask-sync execute 42                 show that plan, ask, apply exactly it
  pytask-sync preview 42 --json > p.json review it (a person, a ticket) ...
  pytask-sync execute 42 --plan-hash @p.json   ... and apply exactly it later, or refuse (exit 3)
  pytask-sync preview --pending          the plans of every work order that needs a sync
  pytask-sync sync-pending --batch 500   sync them all, 500 per transaction
  pytask-sync --dsn postgresql://app@db/factory status --json
"""

COMMANDS: dict[str, Command] = {
    "migrate": Command(
        _migrate.run,
        _migrate.arguments,
        "install or upgrade the schema; also current, history, downgrade, --sql",
        description="upgrade [REV]: install or upgrade to REV (default: the newest, head). current: the "
        "database's revision. history: the revisions this version carries. downgrade REV: back to REV "
        "('base' removes everything; says what the database holds and asks first). --sql: print the "
        "upgrade's SQL for a DBA instead of running it.",
        policy=Policy(migrate="never"),
    ),
    "preview": Command(
        _plans.preview,
        _plans.preview_arguments,
        "show what a sync of a work order would do (with these flags), or of every pending one (--pending)",
        options=("dsn", "json", "flags"),
    ),
    "execute": Command(
        _plans.execute,
        _plans.execute_arguments,
        "show the plan, ask on the terminal, and apply exactly that plan (or a reviewed one: --plan-hash)",
        options=("dsn", "json", "flags"),
    ),
    "status": Command(_sync.status, _sync.status_arguments, "work orders that need a sync, longest waiting first"),
    "sync-pending": Command(_sync.sync_pending, _sync.sync_pending_arguments, "sync every work order that needs it"),
    "worker": Command(_sync.worker, _sync.worker_arguments, "LISTEN and sync pending work orders as they change"),
    "db": Command(
        _db.run,
        _db.arguments,
        "the embedded PostgreSQL: start | stop | status | dsn | psql",
        description="The embedded PostgreSQL (data in $PYTASK_SYNC_EMBEDDED_DIR, else the user's data folder). "
        "A server started with 'db start' keeps running until 'db stop'; other commands use it and leave it "
        "running. 'db psql' opens psql on the database --dsn or the environment names, else on the embedded "
        "one (starting it if needed; it then keeps running).",
    ),
    "demo": Command(
        _db.demo,
        _db.demo_arguments,
        "a printing job's story, on the embedded database (on another one only when --dsn names it)",
        options=("dsn",),
        policy=Policy(env=False, migrate="always"),
    ),
}


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
    parser.add_argument(
        "--version", action=_Version, help="show the version and the schema revision it carries, and exit"
    )
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


class _Version(argparse.Action):
    """``--version``: the package's version and the schema revision it carries (its alembic head).

    The head is read from the packaged migrations only when asked, so building the parser reads no
    revision file.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(_migrate.version_line())  # on stdout, as argparse's own version action
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pytask-sync``: run one command, turn what it raises into a line and an exit code."""
    try:
        return _run(argv)
    except BrokenPipeError:
        # the reader of stdout stopped reading (| head): quiet, as a command killed by SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # --help, --version, a usage error: argparse's own exit, its text written out first
        sys.stdout.flush()
        raise
    if not hasattr(args, "json"):
        args.json = False
    command = COMMANDS[args.command]
    args.policy = command.policy
    err = stderr_console()
    try:
        status = command.handler(args, stdout_console())
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return status
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        said = describe(exc)
        if said is None:
            raise
        line, code = said
        err.print(Text.assemble(("error:", "red"), " ", line))
        return code
