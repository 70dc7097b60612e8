"""How big the engine's books grow, per work order and per change (docs/reference.md quotes it).

    python bench/book_sizes.py                  # 1,000 work orders, embedded PostgreSQL
    python bench/book_sizes.py --work-orders 5000 --dsn "host=/tmp/pg user=postgres dbname=postgres"

Builds bench/load's work orders (5 processes, 2 artworks, a product and a material line: 9 drafts
each), syncs them, then measures, as table plus indexes (pg_total_relation_size, after VACUUM so
that dead rows do not count):

* per work order, right after its first sync: its drafts (task), the audit (sync_run, sync_item);
* per change of a pending work order (one editing transaction: a mark), before a sync takes it in;
* per sync of a change that updates one draft: the audit rows it adds;
* per failing work order: its sync_failure row, and its marks (folded into one by each failure).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

BOOKS = ("task", "work_order_mark", "work_order_mark_parked", "sync_failure", "task_dismissal", "sync_run", "sync_item")


def total(c: psycopg.Connection[Any]) -> dict[str, int]:
    c.execute("VACUUM " + ", ".join(f"task_sync.{b}" for b in BOOKS))
    return {
        b: int(c.execute("SELECT pg_total_relation_size(%s::regclass)", (f"task_sync.{b}",)).fetchone()[0])  # type: ignore[index]
        for b in BOOKS
    }


def delta(after: dict[str, int], before: dict[str, int], per: int) -> dict[str, int]:
    return {k: round((after[k] - before[k]) / per) for k in after if after[k] != before[k]}


def measure(admin_dsn: str, n: int) -> dict[str, Any]:
    db = "pytask_sync_book_sizes"
    dsn = make_conninfo(admin_dsn, dbname=db)
    out: dict[str, Any] = {"work_orders": n}
    load.setup(admin_dsn, db, 0)  # an empty install: what the books weigh before any work order
    with psycopg.connect(dsn, autocommit=True) as c:
        empty = total(c)
    load.setup(admin_dsn, db, n)  # anew: n work orders, synced
    with psycopg.connect(dsn, autocommit=True) as c:
        synced = total(c)
        out["per_work_order_after_its_first_sync"] = delta(synced, empty, n)
        out["drafts_per_work_order"] = round(
            c.execute("SELECT count(*) FROM task_sync.task WHERE origin = 'generated'").fetchone()[0] / n  # type: ignore[index]
        )
        # one change per work order, one transaction each: a mark each
        before = total(c)
        for wo in range(1, n + 1):
            c.execute("UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = %s", (wo,))
        marked = total(c)
        out["per_change_while_pending"] = delta(marked, before, n)
        # ten more changes of each: the marks grow by one row a change until a sync
        for _ in range(10):
            for wo in range(1, n + 1):
                c.execute(
                    "UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = %s", (wo,)
                )
        out["marks_rows_after_11_changes_each"] = c.execute(
            "SELECT count(*) FROM task_sync.work_order_mark"
        ).fetchone()[0]  # type: ignore[index]
        before = total(c)
        while c.execute("SELECT count(*) FROM task_sync.sync_pending(500)").fetchone() != (0,):
            pass
        after = total(c)
        out["per_sync_of_a_change_updating_one_draft"] = delta(after, before, n)
        out["sync_item_rows_per_such_sync"] = round(
            c.execute("SELECT count(*) FROM task_sync.sync_item").fetchone()[0] / n  # type: ignore[index]
            - out["drafts_per_work_order"]
        )
        # a planner deletes one draft of each: a dismissal each
        before = total(c)
        c.execute(
            "DELETE FROM task_sync.task t USING (SELECT min(id) AS id FROM task_sync.task"
            " WHERE origin = 'generated' AND task_type = 'cutting' GROUP BY work_order_id) d WHERE t.id = d.id"
        )
        out["per_dismissal"] = delta(total(c), before, n)
        while c.execute("SELECT count(*) FROM task_sync.sync_pending(500)").fetchone() != (0,):
            pass
        # failing work orders: an application's row on every draft, then their products go
        c.execute("CREATE TABLE public.app_ref (task_id bigint REFERENCES task_sync.task (id))")
        c.execute("INSERT INTO public.app_ref SELECT id FROM task_sync.task WHERE origin = 'generated'")
        c.execute("DELETE FROM task_sync.work_order_product")
        before = total(c)
        c.execute("SELECT count(*) FROM task_sync.sync_pending()")
        for _ in range(10):
            for wo in range(1, n + 1):
                c.execute(
                    "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
                )
            c.execute("SELECT count(*) FROM task_sync.sync_pending()")
        after = total(c)
        out["per_failing_work_order_after_10_rounds_of_changes_and_batches"] = delta(after, before, n)
        out["sync_failure_live_row_bytes"] = round(
            c.execute("SELECT avg(pg_column_size(f.*)) FROM task_sync.sync_failure f").fetchone()[0]  # type: ignore[index]
        )
        out["marks_rows_of_failing_work_orders"] = c.execute(
            "SELECT count(*) FROM task_sync.work_order_mark"
        ).fetchone()[0]  # type: ignore[index]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", help="a server whose user may create databases and roles (default: embedded)")
    ap.add_argument("--work-orders", type=int, default=1000)
    args = ap.parse_args(argv)
    with load.server(args.dsn, "sizes") as admin:
        print(json.dumps(measure(admin, args.work_orders), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
