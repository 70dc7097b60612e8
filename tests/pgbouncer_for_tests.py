"""PgBouncer in transaction pooling in front of the test server, for tests/packaging/test_pooler.py.

Debian's ``pgbouncer`` (``/usr/sbin/pgbouncer``, else the one on ``PATH``), started in a temporary
folder on a free port of 127.0.0.1, as the OS user the server runs as (PgBouncer refuses to run
as root), with ``pool_mode = transaction``, ``auth_type = trust`` and a wildcard database entry, so
every database of the server is reachable through it under its own name. Server connections are
kept between clients (as in production), so what one client leaves on a server connection meets
the next one.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from .pgserver_for_tests import TestServer

#: server connections per (database, user): small, so that the checks reach every one of them
POOL_SIZE = 3


def pgbouncer_path() -> str | None:
    """The pgbouncer program: Debian's, else one on ``PATH``; None when there is none."""
    if Path("/usr/sbin/pgbouncer").exists():
        return "/usr/sbin/pgbouncer"
    return shutil.which("pgbouncer")


@dataclass
class PgBouncer:
    host: str
    port: int
    user: str
    server: TestServer

    def dsn(self, dbname: str) -> str:
        """A DSN of ``dbname`` through the pooler."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def server_pids(self, dbname: str) -> set[int]:
        """The server processes PgBouncer holds for ``dbname`` (its admin console's SHOW SERVERS)."""
        with psycopg.connect(self.dsn("pgbouncer"), autocommit=True) as admin:
            cur = admin.cursor()
            cur.execute("SHOW SERVERS")
            names = [c.name for c in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return {int(r["remote_pid"]) for r in rows if r["database"] == dbname and int(r["remote_pid"] or 0) > 0}

    def close_server_connections(self, dbname: str) -> None:
        """Close every server connection PgBouncer holds for ``dbname`` (KILL, then RESUME)."""
        with psycopg.connect(self.dsn("pgbouncer"), autocommit=True) as admin:
            admin.execute(f"KILL {dbname}")
            admin.execute(f"RESUME {dbname}")


def _owner_of_the_server(server: TestServer) -> str:
    """The OS user the server runs as (the owner of its data folder), to run PgBouncer as."""
    with psycopg.connect(server.dsn()) as c:
        row = c.execute("SHOW data_directory").fetchone()
    assert row is not None
    data = Path(str(row[0]))
    if data.exists():
        return pwd.getpwuid(data.stat().st_uid).pw_name
    return pwd.getpwuid(os.geteuid()).pw_name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def pgbouncer(server: TestServer) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling in front of ``server``; stopped and its folder deleted after."""
    program = pgbouncer_path()
    assert program is not None
    owner = _owner_of_the_server(server)
    as_other = os.geteuid() == 0  # as root: as the server's user; a normal user runs it as themself
    if as_other and owner == "root":
        raise RuntimeError("the server runs as root: nobody to run PgBouncer as")
    folder = Path(tempfile.mkdtemp(prefix="pts-pgbouncer-"))
    port = _free_port()
    server_host = server.host
    (folder / "users.txt").write_text(f'"{server.user}" ""\n', encoding="utf-8")
    password = f" password={server.password}" if server.password else ""
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server_host} port={server.port}{password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
admin_users = {server.user}
pool_mode = transaction
default_pool_size = {POOL_SIZE}
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
""",
        encoding="utf-8",
    )
    run_as: dict[str, Any] = {}
    if as_other:
        entry = pwd.getpwnam(owner)
        for path in (folder, folder / "users.txt", folder / "pgbouncer.ini"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    proc = subprocess.Popen(
        [program, str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=folder,
        **run_as,
    )
    try:
        bouncer = PgBouncer(host="127.0.0.1", port=port, user=server.user, server=server)
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(bouncer.dsn("pgbouncer"), autocommit=True, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (folder / "pgbouncer.log").read_text(errors="replace")
                        if (folder / "pgbouncer.log").exists()
                        else ""
                    )
                    raise RuntimeError(f"pgbouncer did not start: {log[-2000:]}") from None
                time.sleep(0.1)
        yield bouncer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
