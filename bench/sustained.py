"""Sustained run: writers, the owner, two batch loops and execute calls, with work orders whose syncs fail.

    python bench/sustained.py                          # 180 s at READ COMMITTED, then at REPEATABLE READ
    python bench/sustained.py --seconds 600            # the 10 minutes of issue 33
    python bench/sustained.py --isolation "read committed" --dsn "host=/tmp/pg user=postgres dbname=postgres"

What runs at once, for ``--seconds`` (pgbench, the machinery of ``bench/load.py``):

* 8 writer clients (a role in ``task_sync_writer``) editing inputs and tasks: routes, links,
  lines, planners' edits and deletes of drafts, approvals and reopenings, multi-statement
  transactions, ``execute`` and preview-then-execute;
* the owner changing rules and catalog names, 20 transactions a second;
* two ``sync_pending`` loops, each a client of its own (a chunk of 50 per transaction);
* an application's table with a foreign key to ``task.id``, whose rows point at the drafts of 10
  work orders: each sync of those that must remove such a draft fails (23503), so batches record
  failures, pass over them, fold their marks and retry them as their inputs change.

Clients go on through the errors an application expects (a refused delete of a draft the
application points at, an ``execute`` of an approved or failing work order: the scripts in
``bench/sustained/`` catch exactly those); pgbench retries serialization failures and deadlocks,
and any other error aborts the client, which the report counts. Before and after, the size of
every table and index of the schema; after, the invariants of ``bench/load.py``, deadlocks
(``pg_stat_database.deadlocks``, must not move), failed transactions and aborted clients (0), and
the marks: how many, of how many work orders, and the most any one work order holds; and how
many work orders each path synced (``sync_run.via``: the batch loops against ``execute``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

SUSTAINED = ROOT / "bench" / "sustained"
LOAD = ROOT / "bench" / "load"

#: the writers' mix: bench/load's scripts, and those of bench/sustained/ (which catch the errors the
#: application's rows cause) in their place
WRITERS = {
    "route_edit": 2,
    "link_edit": 2,
    "line_edit": 2,
    "planner_edit": 3,
    "approval_edit": 1,
    "multi": 2,
    "execute": 2,
    "preview_execute": 1,
}
FAILING = 10

SIZES = """
    SELECT c.relname, c.relkind, pg_relation_size(c.oid) AS bytes,
           CASE WHEN c.relkind = 'r' THEN (SELECT n_live_tup FROM pg_stat_user_tables s WHERE s.relid = c.oid) END
    FROM pg_class c
    WHERE c.relnamespace = 'task_sync'::regnamespace AND c.relkind IN ('r', 'i')
    ORDER BY c.relkind DESC, c.relname"""

#: work orders synced, by path (the batch loops' progress: a call that ends in an error syncs none)
SYNCED = "SELECT via, count(*) FROM task_sync.sync_run GROUP BY via"

MARKS = """
    SELECT count(*), count(DISTINCT work_order_id),
           coalesce(max(n), 0), pg_total_relation_size('task_sync.work_order_mark')
    FROM (SELECT work_order_id, count(*) OVER (PARTITION BY work_order_id) AS n FROM task_sync.work_order_mark) m"""


def sizes(c: psycopg.Connection[Any]) -> dict[str, Any]:
    c.execute("ANALYZE")
    return {name: {"bytes": b, "rows": rows} for name, _, b, rows in c.execute(SIZES)}


def application_rows(c: psycopg.Connection[Any]) -> None:
    """An application's rows on the drafts of FAILING work orders: their syncs fail when they must remove one."""
    c.execute("CREATE TABLE IF NOT EXISTS public.app_ref (task_id bigint NOT NULL REFERENCES task_sync.task (id))")
    c.execute(f"GRANT SELECT, INSERT ON public.app_ref TO {load.WRITER_ROLE}")
    c.execute(
        "INSERT INTO public.app_ref SELECT t.id FROM task_sync.task t"
        " WHERE t.work_order_id <= %s AND t.origin = 'generated'",
        (FAILING,),
    )


def scripts_dir(into: Path) -> Path:
    """bench/load's scripts, overlaid by bench/sustained's, in one folder for pgbench."""
    for folder in (LOAD, SUSTAINED):
        for script in folder.glob("*.sql"):
            shutil.copy(script, into / script.name)
    return into


def run_once(admin_dsn: str, isolation: str, seconds: int, n: int, owner_rate: int) -> dict[str, Any]:
    db = "pytask_sync_sustained_" + isolation.replace(" ", "_")
    load.log(f"setting up {db}: {n} work orders, {FAILING} of them with an application's rows on their drafts")
    load.setup(admin_dsn, db, n)
    owner_dsn = make_conninfo(admin_dsn, dbname=db)
    writer_dsn = make_conninfo(owner_dsn, user=load.WRITER_ROLE, password="")
    with psycopg.connect(owner_dsn, autocommit=True) as c:
        application_rows(c)
        before = sizes(c)
        synced_before = dict(c.execute(SYNCED).fetchall())
        deadlocks_before = c.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]  # type: ignore[index]
    load.log(f"{seconds} s at {isolation.upper()}: 8 writers, the owner at {owner_rate}/s, 2 sync_pending loops")
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        writers = pool.submit(load.pgbench, writer_dsn, WRITERS, 8, seconds, isolation, n)
        loops = pool.submit(load.pgbench, writer_dsn, {"sync_pending_loop": 1}, 2, seconds, isolation, n)
        owner = pool.submit(load.pgbench, owner_dsn, {"owner": 1}, 1, seconds, isolation, n, owner_rate)
        w, s, o = writers.result(), loops.result(), owner.result()
    elapsed = time.monotonic() - started
    checks: dict[str, int] = {}
    with psycopg.connect(owner_dsn) as c:
        for name, sql in load.CHECKS.items():
            checks[name] = int(c.execute(sql).fetchone()[0])  # type: ignore[index]
            c.rollback()
        c.autocommit = True
        time.sleep(1)  # statistics are flushed at most once a second
        c.execute("SELECT pg_stat_clear_snapshot()")
        deadlocks = c.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]  # type: ignore[index]
        marks = dict(
            zip(("rows", "work_orders", "most_of_one_work_order", "bytes"), c.execute(MARKS).fetchone(), strict=True)
        )  # type: ignore[arg-type]
        failures = c.execute("SELECT reason, count(*) FROM task_sync.sync_failure GROUP BY 1").fetchall()
        synced = {via: n - synced_before.get(via, 0) for via, n in c.execute(SYNCED).fetchall()}
        after = sizes(c)
    checks["deadlocks"] = int(deadlocks) - int(deadlocks_before)
    checks["failed_transactions"] = w["failed"] + s["failed"] + o["failed"]
    checks["aborted_clients"] = w["aborted_clients"] + s["aborted_clients"] + o["aborted_clients"]
    runs = {"writers": w, "sync_pending_loops": s, "owner": o}
    return {
        "isolation": isolation,
        "seconds": round(elapsed, 1),
        "transactions": {k: v["transactions"] for k, v in runs.items()},
        "retried": {k: v["retried_transactions"] for k, v in runs.items()},
        "serialization_failures": {k: v["serialization_failures"] for k, v in runs.items()},
        "work_orders_synced": synced,
        "deadlock_failures": {k: v["deadlock_failures"] for k, v in runs.items()},
        "abort_messages": sorted({m for v in runs.values() for m in v["abort_messages"]}),
        "checks": checks,
        "sync_failures": dict(failures),
        "marks": marks,
        "sizes": {k: {"before": before.get(k), "after": v} for k, v in after.items()},
        "ok": all(v == 0 for v in checks.values()),
        "pgbench_output": "".join(v["output"] for v in runs.values())[-4000:],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", help="a server whose user may create databases and roles (default: embedded)")
    ap.add_argument("--seconds", type=int, default=180)
    ap.add_argument("--work-orders", type=int, default=200)
    ap.add_argument("--owner-rate", type=int, default=20)
    ap.add_argument(
        "--isolation", action="append", choices=["read committed", "repeatable read"], help="repeatable; default both"
    )
    ap.add_argument("--out", help="write the JSON report here too")
    args = ap.parse_args(argv)
    with load.server(args.dsn, "sustained") as admin:
        load.SCRIPTS = scripts_dir(Path(tempfile.mkdtemp(prefix="pytask-sync-scripts-")))
        results = [
            run_once(admin, level, args.seconds, args.work_orders, args.owner_rate)
            for level in (args.isolation or ["read committed", "repeatable read"])
        ]
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
