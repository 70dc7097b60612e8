"""Two sessions syncing one work order at once: one waits for the other, no duplicate ever."""

from __future__ import annotations

from typing import Any

import psycopg

from pytask_sync import TaskSync
from tests.builders import Builder
from tests.concurrency import Background, wait_until_blocked


def test_two_executes_of_one_work_order(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    first, second = connect(autocommit=False), connect()
    r1 = TaskSync(first).execute(wo, confirm=True)  # holds the work order row, not committed
    bg = Background(lambda: TaskSync(second).execute(wo, confirm=True))
    wait_until_blocked(conn, second.info.backend_pid, by=first.info.backend_pid)
    first.commit()
    r2 = bg.result()
    assert (r1.added, r2.added) == (14, 0)
    assert r2.sync_run_id is None
    assert len(b.tasks(wo)) == 14
    keys = [(t["work_order_process_id"], t["task_type"], t["source_kind"], t["source_id"]) for t in b.tasks(wo)]
    assert len(keys) == len(set(keys))


def test_route_edit_during_a_sync_leaves_the_work_order_pending(conn: psycopg.Connection[Any], connect: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    syncer, editor = connect(autocommit=False), connect()
    TaskSync(syncer).execute(wo, confirm=True)
    lam = b.process_id("LAM_M")
    bg = Background(
        lambda: editor.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES (%s, %s, 99)",
            (wo, lam),
        )
    )
    wait_until_blocked(conn, editor.info.backend_pid, by=syncer.info.backend_pid)
    syncer.commit()
    bg.result()
    assert TaskSync(conn).check_sync_needed(wo) is True
    assert [i.action for i in TaskSync(conn).preview(wo).items] == ["add"]
