"""``pytask-sync db``: the embedded PostgreSQL's lifecycle and psql; ``pytask-sync demo``."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess

from rich.console import Console

from .. import render
from ..migrate import migrate
from ._base import CliError, UsageError
from ._target import connect, database, embedded_dsn, libpq_env, named_dsn


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["start", "stop", "status", "dsn", "psql"])
    p.add_argument("psql_args", nargs="*", metavar="-- PSQL_ARG", help="with psql: arguments for psql, after --")


def run(args: argparse.Namespace, console: Console) -> int:
    """The embedded server's lifecycle; ``psql`` on the database the command line names, else on it."""
    from .. import embedded

    if args.psql_args and args.action != "psql":
        raise UsageError(f"db {args.action} takes no more arguments")
    if args.action == "psql":
        return _psql(args)
    if getattr(args, "dsn", None):
        raise UsageError(f"db {args.action} is about the embedded PostgreSQL; --dsn names another server")
    data_dir = embedded.default_data_dir()
    if args.action == "start":
        dsn = embedded_dsn(args, keep_running=True)
        migrate(dsn)
        info = embedded.running()
    elif args.action == "stop":
        stopped = embedded.stop()
        if args.json:
            print(json.dumps({"stopped": stopped, "data_dir": str(data_dir)}))
        else:
            render.print_stopped(console, stopped)
        return 0
    else:
        info = embedded.running()
        if args.action == "dsn":
            if info is None:
                raise CliError("the embedded PostgreSQL is not running: start it with 'pytask-sync db start'")
            print(info.dsn)
            return 0
    if args.json:
        doc: dict[str, object] = {"running": info is not None, "data_dir": str(data_dir)}
        if info is not None:
            doc |= {"pid": info.pid, "dsn": info.dsn}
        print(json.dumps(doc))
    else:
        render.print_embedded(console, info, data_dir)
    return 0


def _psql(args: argparse.Namespace) -> int:
    """Run psql on the database of the one policy: --dsn, the environment, else the embedded server.

    The embedded server is started (it then keeps running) and brought to the newest revision; a
    named database is reached as it is.
    """
    from .. import embedded

    dsn = named_dsn(args, args.policy)
    if dsn is None:
        dsn = embedded_dsn(args, keep_running=True)
        migrate(dsn)
        psql = str(embedded.psql_path())
    else:
        psql = shutil.which("psql") or str(embedded.psql_path())
    env = libpq_env(dsn)
    # a child, not exec: this process must end normally, so that the server's list of the
    # processes using it forgets this one (psql keeps Ctrl-C for itself meanwhile)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call([psql, *args.psql_args], env=env)
    finally:
        signal.signal(signal.SIGINT, previous)


def demo_arguments(p: argparse.ArgumentParser) -> None:
    pass


def demo(args: argparse.Namespace, console: Console) -> int:
    """Tell the product's story on a realistic printing job."""
    from ..demo import run_demo

    dsn = database(args)
    with connect(dsn) as conn:
        if getattr(args, "dsn", None):
            psql = f"psql '{dsn}'"
            cli = f"pytask-sync --dsn '{dsn}'"
        else:
            # commands find the embedded database only when the environment names no other one
            cli = " ".join(
                [*(f"{v}=" for v in ("PYTASK_SYNC_DSN", "DATABASE_URL") if os.environ.get(v)), "pytask-sync"]
            )
            psql = f"{cli} db psql"
        run_demo(conn, console, psql=psql, cli=cli)
    return 0
