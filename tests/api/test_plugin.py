"""The pytest plugin applications use: ``task_sync_db`` from a throwaway test file, run by pytest
in a folder of its own (the plugin comes from the installed package's ``pytest11`` entry point)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import psycopg
import pytest

from pytask_sync.migrate import head_revision
from tests.pgserver_for_tests import TestServer

# slow (pytest run again in a process of its own, once on a server of its own): pytest -m "not slow"
# leaves it out
pytestmark = pytest.mark.slow

APP_TESTS = """
from pytask_sync import TaskSync

def test_a_fresh_migrated_database(task_sync_db):
    (rev,) = task_sync_db.execute("SELECT version_num FROM task_sync.alembic_version").fetchone()
    assert rev == "{head}"
    (wo,) = task_sync_db.execute(
        "INSERT INTO task_sync.work_order (order_number) VALUES ('APP-1') RETURNING id").fetchone()
    task_sync_db.execute(
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
        " SELECT %s, id, 10 FROM task_sync.process WHERE code = 'GLUE'", (wo,))
    assert TaskSync(task_sync_db).preview(wo).summary.add == 1
    task_sync_db.commit()

def test_every_test_gets_its_own(task_sync_db, task_sync_dsn):
    assert task_sync_db.execute("SELECT count(*) FROM task_sync.work_order").fetchone() == (0,)
    assert task_sync_db.info.dbname in task_sync_dsn
    assert task_sync_db.prepare_threshold is None  # nothing prepared on the server: safe behind a pooler

def test_the_writer_meets_productions_rules(task_sync_db, task_sync_writer_db, task_sync_writer_dsn):
    import psycopg
    import pytest
    assert task_sync_writer_db.info.dbname == task_sync_db.info.dbname
    (user, member) = task_sync_writer_db.execute(
        "SELECT current_user, pg_has_role(current_user, 'task_sync_writer', 'MEMBER')").fetchone()
    assert member and user in task_sync_writer_dsn
    (wo,) = task_sync_writer_db.execute(
        "INSERT INTO task_sync.work_order (order_number, synced_version) VALUES ('APP-W', DEFAULT) RETURNING id"
    ).fetchone()
    task_sync_writer_db.commit()
    with pytest.raises(psycopg.DatabaseError) as refusal:
        task_sync_writer_db.execute("UPDATE task_sync.work_order SET synced_version = 5 WHERE id = %s", (wo,))
    assert refusal.value.sqlstate == "TSP01"
    task_sync_writer_db.rollback()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        task_sync_writer_db.execute("DELETE FROM task_sync.sync_run")
"""


def _run_app_tests(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_app.py").write_text(textwrap.dedent(APP_TESTS.format(head=head_revision())))
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTASK_SYNC_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _databases(server: TestServer) -> set[str]:
    with psycopg.connect(server.dsn(), autocommit=True) as c:
        return {r[0] for r in c.execute("SELECT datname FROM pg_database WHERE datname LIKE 'task_sync_%'")}


def test_the_fixture_on_a_server_of_ones_own(tmp_path: Path, server: TestServer) -> None:
    before = _databases(server)
    done = _run_app_tests(tmp_path, {"PYTASK_SYNC_TEST_DSN": server.dsn()})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 passed" in done.stdout
    assert _databases(server) == before  # the template and the test databases are gone


def test_the_fixture_on_an_embedded_server(tmp_path: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pts-"))  # short: the server's socket lives below it
    try:
        done = _run_app_tests(tmp_path, {"TMPDIR": str(tmp)})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "3 passed" in done.stdout
        assert list(tmp.glob("pytask-sync-plugin-*")) == [], "the session left its server's folder behind"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
