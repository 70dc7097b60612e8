"""`pytask-sync status` says why each work order waits and what to do (issue 33, item 3)."""

from __future__ import annotations

import json
from typing import Any

import psycopg

from pytask_sync import TaskSync
from pytask_sync.cli import main
from tests.builders import Builder, bulk_jobs


def test_status_says_why_and_what_to_do(conn: psycopg.Connection[Any], dsn: str, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a wide terminal: each cell on one line
    conn.execute("CREATE TABLE public.app_ref (task_id bigint REFERENCES task_sync.task (id))")
    bad, fine = bulk_jobs(conn, 2)
    TaskSync(conn).sync_pending()
    (printing,) = [t["id"] for t in Builder(conn).tasks(bad) if t["task_type"] == "printing"]
    conn.execute("INSERT INTO public.app_ref VALUES (%s)", (printing,))
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (bad,))
    TaskSync(conn).sync_pending()
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 7 WHERE id = %s", (fine,))
    assert main(["--dsn", dsn, "status", "--json"]) == 0
    rows = {r["work_order_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[bad]["reason"] == "failed" and f"execute({bad}, true)" in rows[bad]["advice"]
    assert rows[fine]["reason"] == "waiting"
    assert main(["--dsn", dsn, "status"]) == 0
    out = capsys.readouterr().out
    assert "why, and what to do" in out
    assert "failed: Remove the cause" in out and "waiting: Nothing holds it back" in out
