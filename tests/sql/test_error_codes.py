"""The engine's SQLSTATE is where people read errors: every engine error's message starts with it.

psql at its default verbosity prints the message but not the SQLSTATE, and so do server logs at
the default ``log_error_verbosity``, Django's and SQLAlchemy's exception text: the message naming
its code (``TSC02: stale plan ...``) is what makes TSC02 tell from the text. These tests read the
installed functions and run psql; they do not depend on which revision made the change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync.errors import BY_SQLSTATE, TaskSyncError
from tests.builders import Builder

RAISE = re.compile(r"RAISE\s+EXCEPTION\s+USING\b.*?;", re.S)
ERRCODE = re.compile(r"ERRCODE\s*=\s*'(TS\w\d\d)'")
MESSAGE = re.compile(r"MESSAGE\s*=\s*(?:format\(\s*)?'([^']*)")


def test_every_engine_error_message_starts_with_its_code(conn: psycopg.Connection[Any]) -> None:
    rows = conn.execute(
        "SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p"
        " WHERE p.pronamespace IN ('task_sync'::regnamespace, 'task_sync_internal'::regnamespace)"
    ).fetchall()
    seen: set[str] = set()
    wrong = []
    for name, src in rows:
        for statement in RAISE.findall(src):
            code = ERRCODE.search(statement)
            if code is None:
                continue
            message = MESSAGE.search(statement)
            seen.add(code[1])
            if message is None or not message[1].startswith(f"{code[1]}: "):
                wrong.append((name, statement))
    assert not wrong, wrong
    # every code the wrapper maps is raised somewhere, and read here
    assert set(BY_SQLSTATE) <= seen, set(BY_SQLSTATE) - seen


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    from pytask_sync import embedded

    return str(embedded.psql_path())


def test_psql_at_its_default_verbosity_shows_the_code(conn: psycopg.Connection[Any], dsn: str) -> None:
    wo = Builder(conn).realistic()
    before = Builder(conn).snapshot()
    done = subprocess.run(
        [_psql(), "-X", "-d", dsn, "-c", f"select task_sync.execute({wo}, true, repeat('a', 64))"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"ERROR:  TSC02: stale plan for work order {wo}"), done.stderr
    assert Builder(conn).snapshot() == before


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("SELECT task_sync.preview(999)", "TSN01"),
        ("SELECT task_sync.preview(0)", "TSV01"),
        ("SELECT task_sync.execute({wo})", "TSC01"),
        ("SELECT task_sync.execute({wo}, true, repeat('b', 64))", "TSC02"),
        ("SELECT * FROM task_sync.pending(-1)", "TSV01"),
        ("DELETE FROM task_sync.work_order_process WHERE work_order_id = {wo}", "TSC04"),
    ],
)
def test_the_message_names_the_sqlstate_it_carries(conn: psycopg.Connection[Any], call: str, code: str) -> None:
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    conn.execute("UPDATE task_sync.task SET status = 'pending' WHERE work_order_id = %s", (wo,))
    with pytest.raises(psycopg.Error) as info:
        conn.execute(call.format(wo=wo))
    assert info.value.sqlstate == code
    assert info.value.diag.message_primary is not None and info.value.diag.message_primary.startswith(f"{code}: ")
    assert str(info.value).startswith(f"{code}: ")


def test_the_wrappers_exception_text_names_the_code(conn: psycopg.Connection[Any]) -> None:
    wo = Builder(conn).realistic()
    with pytest.raises(TaskSyncError) as info:
        TaskSync(conn).execute(wo, confirm=True, expected_plan_hash="c" * 64)
    assert str(info.value).startswith("TSC02: stale plan")
