"""Where a batch sync spends its time, phase by phase.

    python bench/profile.py            # 10,000 work orders, 10% changed (the sizes of bench/run.py)
    python bench/profile.py --quick    # the quick sizes of bench/run.py

Builds the churned database of ``bench/run.py`` (b), then times, each on a fresh clone and each
the best of three: the desired set of the changed work orders (``_desired``), the whole plan
(``_plan_rows``: desired set, ``EXCEPT`` differences and the three-way comparison), the plan and
its hash, the raw-write floor (the plan's writes alone), and ``sync_pending``. The differences
give the phases; what ``sync_pending`` spends beyond plan, hash and writes is the audit
(``sync_run``, ``sync_item``), the marks and versions, and the locks. (Before revision 0004 the
helpers lived in ``task_sync``: to profile an older checkout, run that checkout's copy.)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import workload  # noqa: E402
from bench.run import SIZES, Server, build, floor, log, stage_floor  # noqa: E402

WARM_UP = "SELECT task_sync_internal._plan_hash(ARRAY(SELECT r FROM task_sync_internal._plan_rows(%s::bigint[]) r))"


def best(
    srv: Server, template: str, ids: list[int], fn: Callable[[psycopg.Connection[Any]], None], prepare: Any = None
) -> float:
    """The best of three runs of ``fn``, each on a fresh clone after an untimed read-only warm-up of
    the same work orders' plan (so that no phase pays for loading caches and compiling functions)."""
    times = []
    for i in range(3):
        db = f"prof_{i}"
        srv.create(db, template)
        with srv.connect(db) as conn:
            if prepare is not None:
                prepare(conn)
            conn.execute("VACUUM ANALYZE")
            conn.execute(WARM_UP, (ids,)).fetchall()
            t = time.perf_counter()
            fn(conn)
            times.append(time.perf_counter() - t)
        with srv.connect("postgres") as c:
            c.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the quick sizes of bench/run.py")
    args = ap.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    srv = Server()
    try:
        wos = build(srv, "base", size["initial"], seed=1, synced=False)
        srv.create("churned", "base")
        with srv.connect("churned") as c:
            c.execute("SELECT count(*) FROM task_sync.sync_pending()")
            ids = workload.churn(c, wos, size["churn"], seed=2)
        q = {
            "desired": "SELECT count(*) FROM task_sync_internal._desired(%(ids)s::bigint[])",
            "plan": "SELECT count(*) FROM task_sync_internal._plan_rows(%(ids)s::bigint[])",
            # as _apply hashes a chunk: each work order's hash, _plan_hashes inlined (its argument a
            # column, not a sub-select, which would keep it from being inlined)
            "plan + hash": (
                "SELECT count(*) FROM (SELECT array_agg(r) AS a"
                " FROM task_sync_internal._plan_rows(%(ids)s::bigint[]) r) p,"
                " LATERAL task_sync_internal._plan_hashes(p.a) h"
            ),
        }
        t = {}
        for name, sql in q.items():
            t[name] = best(srv, "churned", ids, lambda c, s=sql: c.execute(s, {"ids": ids}).fetchall())
        t["writes (floor)"] = best(srv, "churned", ids, lambda c: floor(c, ids), lambda c: stage_floor(c, ids))
        batch = "SELECT count(*) FROM task_sync.sync_pending()"
        t["sync_pending"] = best(srv, "churned", ids, lambda c: c.execute(batch).fetchall())
    finally:
        srv.close()
    phases = {
        "desired set": t["desired"],
        "differences and three-way": t["plan"] - t["desired"],
        "plan hash": t["plan + hash"] - t["plan"],
        "writes": t["writes (floor)"],
        "audit, marks, versions, locks": t["sync_pending"] - t["plan + hash"] - t["writes (floor)"],
        "sync_pending in all": t["sync_pending"],
    }
    log(f"{len(ids):,} changed work orders of {size['initial']:,}")
    print("| phase | seconds | share |\n|---|---|---|")
    for name, secs in phases.items():
        print(f"| {name} | {secs:.3f} | {secs / t['sync_pending']:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
