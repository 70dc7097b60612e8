"""The one policy for "which database, migrate or not", and the one way a command connects.

The database comes from ``--dsn``, else ``PYTASK_SYNC_DSN``, else ``DATABASE_URL`` (unless the
command's :class:`~._base.Policy` reads the command line only), else the embedded PostgreSQL in the
user's data folder, started when needed. Whether it is brought to the newest revision is the
policy's ``migrate``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from rich.text import Text

from .._connection import connect as open_connection
from ..dsn import to_libpq
from ..migrate import migrate
from ._base import CliError, Policy, stderr_console
from ._errors import first_line


def named_dsn(args: argparse.Namespace, policy: Policy) -> str | None:
    """The DSN the command line (or, when the policy allows, the environment) names, in libpq form.

    None: no database is named, the embedded server is the one.
    """
    flag = getattr(args, "dsn", None)
    env = (os.environ.get("PYTASK_SYNC_DSN") or os.environ.get("DATABASE_URL")) if policy.env else None
    dsn = flag or env or None
    return None if dsn is None else libpq_dsn(dsn)


def libpq_dsn(dsn: str) -> str:
    """``dsn`` (libpq, ``postgresql://`` or a SQLAlchemy URL) in libpq form; a bad one is one line."""
    try:
        return to_libpq(dsn)
    except ValueError as exc:
        raise CliError(f"cannot use this connection string: {exc}") from exc


def database(args: argparse.Namespace) -> str:
    """The DSN of the database this command works on, resolved once per command by its policy."""
    policy: Policy = args.policy
    dsn = named_dsn(args, policy)
    if dsn is None:
        dsn = embedded_dsn(args)
        if policy.migrate == "embedded":
            migrate(dsn)
    if policy.migrate == "always":
        migrate(dsn)
    return dsn


def embedded_dsn(args: argparse.Namespace, *, keep_running: bool = False) -> str:
    """Start (or find) the embedded server; a note on stderr says where it is, unless --json."""
    from .. import embedded

    embedded.require()  # without the extra: one line naming it, before any note
    if not getattr(args, "json", False):  # a note for people, never in the data
        stderr_console().print(Text(f"Using the embedded PostgreSQL in {embedded.default_data_dir()}", style="dim"))
    try:
        return (embedded.start(keep_running=True) if keep_running else embedded.start()).dsn
    except Exception as exc:  # start-up problems of the embedded server are one line too
        raise CliError(f"cannot start the embedded PostgreSQL: {first_line(exc)}") from exc


@contextmanager
def connect(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to ``dsn`` (safe behind a transaction pooler); a failure to connect is one line."""
    try:
        conn = open_connection(dsn, autocommit=True, application_name="pytask-sync")
    except psycopg.Error as exc:  # OperationalError (server down), ProgrammingError (bad option), ...
        raise CliError(f"cannot connect to the database: {first_line(exc)}") from exc
    with conn:
        yield conn


#: libpq's environment variable for each connection parameter (psql reads them)
_LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "client_encoding": "PGCLIENTENCODING",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "require_auth": "PGREQUIREAUTH",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
}


def libpq_env(dsn: str) -> dict[str, str]:
    """The environment of this process, with libpq's PG* variables set from ``dsn`` (and only from it).

    psql then reaches that server whatever its own arguments say (``-d scratch`` names a database
    on it, not on libpq's default socket).
    """
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise CliError(f"cannot use this connection string: {first_line(exc)}") from exc
    unknown = sorted(set(params) - set(_LIBPQ_ENV))
    if unknown:
        raise CliError(f"psql cannot be given the connection parameter(s) {', '.join(unknown)} of this DSN")
    env = {k: v for k, v in os.environ.items() if k not in _LIBPQ_ENV.values()}
    for key, value in params.items():
        if value is not None:
            env[_LIBPQ_ENV[key]] = str(value)
    return env
