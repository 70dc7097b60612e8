"""A seeded, time-bounded race: four sessions edit, execute and batch-sync the same work orders.

Beside them the schema owner changes rules, catalog names and process names in open
transactions, and a planner holds draft rows open. At least 1,000 rounds in all; afterwards there
is no duplicate generation key, no deadlock ever reached a caller, and every work order ends
synced with its drafts equal to the desired set.

The sessions draw from this run's seed (printed in the header; ``PYTASK_SYNC_SEED=N`` replays the
same choices, though thread timing differs from run to run).

What "no duplicate generation key" means exactly: no two generated tasks of a work order share
(work_order_process_id, task_type, source_kind, source_id) while their process exists. A task whose
route row was deleted keeps NULL as its process; as a draft a sync removes it, but a planner may make
it formal first, and formal tasks are never touched. Two such processless formal tasks (say the
printing tasks of one artwork on two deleted PRT rows) rightly both stay: they are orphans, each
reported as ``orphaned``, and the unique index, whose NULLs are distinct, lets them be.
tests/sql/test_three_way.py replays that case step by step.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from typing import Any

import psycopg
import pytest

from pytask_sync import StalePlan, TaskSync
from tests.builders import Builder

# slow (concurrent sessions for a while): pytest -m "not slow" leaves it out
pytestmark = pytest.mark.slow

ROUNDS = 4000
SESSIONS = 4
DEADLINE_S = 90
CODES = ["CTP", "PRT", "GLUE", "DIE", "PACK", "LAM_M"]


def test_raced_rounds(conn: psycopg.Connection[Any], dsn: str, run_seed: int) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(12)]
    arts = [b.catalog("artwork", f"STRESS-{i}") for i in range(3)]
    procs = {c: b.process_id(c) for c in CODES}
    sequence = itertools.count(1000)
    seq_lock = threading.Lock()
    outcomes: Counter[str] = Counter()
    out_lock = threading.Lock()
    failures: list[BaseException] = []
    deadline = time.monotonic() + DEADLINE_S

    def session(n: int) -> None:
        rng = random.Random(run_seed + n)
        with psycopg.connect(dsn, autocommit=True) as c:
            ts = TaskSync(c, max_attempts=100)

            def edit(sql: str, params: Any) -> None:
                c.execute(sql, params)

            for _ in range(ROUNDS // SESSIONS):
                if time.monotonic() > deadline:
                    return
                wo = rng.choice(wos)
                action = rng.choice(
                    [
                        "route_add",
                        "route_delete",
                        "link",
                        "unlink",
                        "quantity",
                        "edit",
                        "delete",
                        "formal",
                        "execute",
                        "execute",
                        "batch",
                    ]
                )
                try:
                    if action == "route_add":
                        with seq_lock:
                            s = next(sequence)
                        edit(
                            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
                            " VALUES (%s, %s, %s)",
                            (wo, procs[rng.choice(CODES)], s),
                        )
                    elif action == "route_delete":
                        edit(
                            "DELETE FROM task_sync.work_order_process WHERE id = (SELECT id FROM"
                            " task_sync.work_order_process WHERE work_order_id = %s ORDER BY random() LIMIT 1)",
                            (wo,),
                        )
                    elif action == "link":
                        edit(
                            "INSERT INTO task_sync.work_order_artwork VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (wo, rng.choice(arts)),
                        )
                    elif action == "unlink":
                        edit(
                            "DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s AND artwork_id = %s",
                            (wo, rng.choice(arts)),
                        )
                    elif action == "quantity":
                        edit(
                            "UPDATE task_sync.work_order SET production_quantity = %s WHERE id = %s",
                            (rng.randint(1, 9000), wo),
                        )
                    elif action in ("edit", "delete", "formal"):
                        verb = {
                            "edit": "UPDATE task_sync.task SET production_quantity = 1 WHERE id = ",
                            "delete": "DELETE FROM task_sync.task WHERE id = ",
                            "formal": "UPDATE task_sync.task SET status = 'pending' WHERE id = ",
                        }[action]
                        edit(
                            verb + "(SELECT id FROM task_sync.task WHERE work_order_id = %s AND status = 'draft'"
                            " ORDER BY random() LIMIT 1)",
                            (wo,),
                        )
                    elif action == "execute":
                        plan = ts.preview(wo)
                        ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
                    else:
                        ts.sync_pending(limit=5)
                    result = "ok"
                except StalePlan:
                    result = "stale plan"  # expected: another session changed the plan in between
                except BaseException as exc:
                    if isinstance(exc, psycopg.Error) and exc.sqlstate == "TSC04":
                        result = "refused: formal tasks"  # expected: the process still has formal tasks
                    else:
                        failures.append(exc)
                        result = f"failed: {type(exc).__name__}"
                with out_lock:
                    outcomes[f"{action}: {result}"] += 1

    racing = threading.Event()

    def owner() -> None:
        """The schema owner changes rules, catalog names and process names in open transactions."""
        rng = random.Random(run_seed - 1)
        with psycopg.connect(dsn, autocommit=False) as c:
            while racing.is_set():
                v = rng.randint(1, 4)
                try:
                    c.execute(
                        "UPDATE task_sync.generation_rule SET content_template = %s WHERE process_code = 'PRT'",
                        ("{source_name} printing" if v % 2 else f"{{order_number}} printing v{v}",),
                    )
                    c.execute("UPDATE task_sync.artwork SET name = %s WHERE id = %s", (f"art v{v}", rng.choice(arts)))
                    c.execute("UPDATE task_sync.process SET name = %s WHERE code = 'GLUE'", (f"Glueing v{v}",))
                    time.sleep(rng.random() / 50)  # held open while the others go on
                    c.commit()
                    result = "ok"
                except psycopg.Error as exc:
                    c.rollback()
                    failures.append(exc)
                    result = f"failed: {type(exc).__name__}"
                with out_lock:
                    outcomes[f"owner: {result}"] += 1

    def planner() -> None:
        """A planner holds a draft row open for a while, then commits or rolls back."""
        rng = random.Random(run_seed - 2)
        with psycopg.connect(dsn, autocommit=False) as c:
            while racing.is_set():
                c.execute(
                    "UPDATE task_sync.task SET work_content = 'held' WHERE id = (SELECT id FROM task_sync.task"
                    " WHERE work_order_id = %s AND status = 'draft' ORDER BY random() LIMIT 1)",
                    (rng.choice(wos),),
                )
                time.sleep(rng.random() / 20)
                c.commit() if rng.random() < 0.5 else c.rollback()
                with out_lock:
                    outcomes["planner hold: ok"] += 1

    racing.set()
    extras = [threading.Thread(target=owner), threading.Thread(target=planner)]
    threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
    for t in extras + threads:
        t.start()
    for t in threads:
        t.join(DEADLINE_S + 60)
    racing.clear()
    for t in extras:
        t.join(30)
    assert not failures, (f"seed {run_seed}", failures[:3], outcomes)
    assert sum(outcomes.values()) >= 1000, (f"seed {run_seed}", outcomes)
    print("\nstress outcomes:", dict(sorted(outcomes.items())))

    ts = TaskSync(conn)
    while ts.sync_pending():
        pass
    dupes = conn.execute(
        "SELECT t.* FROM task_sync.task t WHERE t.origin = 'generated' AND t.work_order_process_id IS NOT NULL"
        " AND (t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id) IN ("
        "   SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id"
        "   FROM task_sync.task WHERE origin = 'generated' AND work_order_process_id IS NOT NULL"
        "   GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1)"
        " ORDER BY t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id, t.id"
    ).fetchall()
    assert not dupes, f"duplicate generation keys (seed {run_seed}):\n" + "\n".join(map(repr, dupes))
    # processless generated tasks left after the final sync are formal orphans, never drafts
    processless_drafts = conn.execute(
        "SELECT t.* FROM task_sync.task t WHERE t.origin = 'generated' AND t.work_order_process_id IS NULL"
        " AND t.status = 'draft'"
    ).fetchall()
    assert not processless_drafts, f"seed {run_seed}: " + "\n".join(map(repr, processless_drafts))
    shared = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM task_sync.task WHERE origin = 'generated'"
        " AND work_order_process_id IS NULL GROUP BY work_order_id, task_type, source_kind, source_id"
        " HAVING count(*) > 1) d"
    ).fetchone()
    print("processless formal orphans sharing the rest of a key:", shared)
    for wo in wos:
        plan = ts.preview(wo)
        assert not plan.sync_needed, f"seed {run_seed}: work order {wo}"
        assert {i.action for i in plan.items} <= {"dismissed", "orphaned"}, (f"seed {run_seed}", plan.items)
