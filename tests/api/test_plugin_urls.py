"""SQLAlchemy URLs beside the plugin's DSNs: ``task_sync_url`` / ``task_sync_writer_url``
(``pytask_sync.dsn.to_sqlalchemy_url``), which ``create_engine`` takes as they are."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from pytask_sync.dsn import to_libpq, to_sqlalchemy_url
from tests.pgserver_for_tests import TestServer


@pytest.mark.parametrize(
    "dsn",
    [
        "host=/run/postgresql port=5433 user=app dbname=shop",
        "host=db.example.com user=app password='p w@:/' dbname=shop sslmode=require application_name=shop",
        "postgresql://app:secret@db.example.com:6432/shop?connect_timeout=5",
        "postgresql+psycopg://app:secret@db.example.com/shop",
        "host=a,b port=5432,5433 dbname=shop target_session_attrs=read-write",
    ],
)
def test_the_url_names_what_the_dsn_names(dsn: str) -> None:
    url = make_url(to_sqlalchemy_url(dsn))  # as create_engine reads it
    assert url.drivername == "postgresql+psycopg"
    named = {
        "user": url.username,
        "password": url.password,
        "host": url.host,
        "port": str(url.port) if url.port else None,
        "dbname": url.database,
        **url.query,
    }
    assert {k: v for k, v in named.items() if v is not None} == conninfo_to_dict(to_libpq(dsn))


def test_create_engine_takes_the_url(conn: psycopg.Connection[Any], dsn: str) -> None:
    engine = create_engine(to_sqlalchemy_url(dsn), poolclass=NullPool)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT current_database()")).scalar() == conn.info.dbname
    finally:
        engine.dispose()


APP_TESTS = """
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from pytask_sync import TaskSync

def test_sqlalchemy_as_the_writer(task_sync_db, task_sync_writer_url, task_sync_url):
    (wo,) = task_sync_db.execute(
        "INSERT INTO task_sync.work_order (order_number) VALUES ('SA-1') RETURNING id").fetchone()
    task_sync_db.execute(
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
        " SELECT %s, id, 10 FROM task_sync.process WHERE code = 'GLUE'", (wo,))
    task_sync_db.commit()
    engine = create_engine(task_sync_writer_url)
    with Session(engine) as session:
        assert session.execute(text("SELECT pg_has_role(current_user, 'task_sync_writer', 'MEMBER')")).scalar()
        assert TaskSync(session).execute(wo, confirm=True).added == 1
        session.commit()
    engine.dispose()
    owner = create_engine(task_sync_url)
    with owner.connect() as c:
        assert c.execute(text("SELECT count(*) FROM task_sync.task")).scalar() == 1
    owner.dispose()
"""


@pytest.mark.slow  # pytest again, in a process of its own
def test_the_plugins_url_fixtures(tmp_path: Path, server: TestServer) -> None:
    (tmp_path / "test_app.py").write_text(textwrap.dedent(APP_TESTS))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTASK_SYNC_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"],
        cwd=tmp_path,
        env={**base, "PYTASK_SYNC_TEST_DSN": server.dsn()},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
