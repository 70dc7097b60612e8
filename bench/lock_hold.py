"""How long sync_pending keeps a work order locked, with a large backlog pending.

    python bench/lock_hold.py              # 50,000 pending work orders
    python bench/lock_hold.py --n 5000     # smaller

A work order that sync_pending synced stays locked (its row FOR NO KEY UPDATE, its drafts as
written) until the caller's transaction ends, so the longest time a planner's edit of it can wait
is the length of that transaction. Measured two ways on clones of one database: the whole backlog
in one call (one transaction), and the way the CLI and the worker call it, ``sync_pending(limit)``
in a transaction of its own, again while it returns rows (the longest of those transactions).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import Server, build, log  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50_000, help="pending work orders")
    ap.add_argument("--limits", type=int, nargs="*", default=[100, 500], help="batch sizes to measure")
    args = ap.parse_args(argv)
    srv = Server()
    try:
        log(f"building {args.n:,} pending work orders")
        build(srv, "backlog", args.n, seed=11, synced=False)
        rows = []
        for limit in args.limits:
            srv.create("run", "backlog")
            with srv.connect("run") as conn:
                spans = []
                while True:
                    t = time.perf_counter()
                    with conn.transaction():
                        n = len(conn.execute("SELECT 1 FROM task_sync.sync_pending(%s)", (limit,)).fetchall())
                    if n == 0:
                        break
                    spans.append(time.perf_counter() - t)
            rows.append((f"sync_pending({limit}) per transaction", max(spans), statistics.median(spans), sum(spans)))
            log(f"  limit {limit}: longest {max(spans):.3f} s over {len(spans)} transactions")
        srv.create("run", "backlog")
        with srv.connect("run") as conn:
            t = time.perf_counter()
            conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
            whole = time.perf_counter() - t
        rows.append(("sync_pending() in one call", whole, whole, whole))
    finally:
        srv.close()
    print(f"{args.n:,} pending work orders\n")
    print("| how | longest lock (s) | median transaction (s) | all (s) |\n|---|---|---|---|")
    for how, longest, median, total in rows:
        print(f"| {how} | {longest:.3f} | {median:.3f} | {total:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
