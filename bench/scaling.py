"""Scenario (c) of bench/run.py: does one work order's call cost follow the work order, or the
size of the database?

    python bench/scaling.py           # scenario (c) alone, full sizes (about three minutes)
    python bench/scaling.py --quick   # a tenth of the sizes

Three databases, each the seeded print-shop workload, synced:

* **small**: 4,000 work orders, catalogs of 750 to 10,000 rows;
* **10x**: every table ten times larger: 40,000 work orders and their routes, links, lines and
  tasks, catalogs of 7,500 to 100,000 rows, and ten times the marks waiting, dismissals and audit;
* **100x catalogs**: the small database's work orders, catalogs a hundred times larger (a million
  artworks).

Each gets the same history: synced, a seventh of the general drafts deleted (dismissals), 10 % of
the work orders changed and synced again (a second sync in the audit), then a tenth of the second
half changed and left pending (marks waiting). Then the first ``calls`` work orders of each are
edited (``production_quantity + 1``) and called one by one: ``execute``, ``preview``, ``plan``,
and the phases of a call (the desired set, ``_desired``; the whole plan, ``_plan_rows``; run in a
session with the settings the functions run with). The databases take turns call by call (A, B,
C, A, B, C, ...), so the machine's mood falls on all alike. Reported per call: the median wall
time with its quartiles, and the server backend's CPU time (``/proc/<pid>/stat``, counted by the
kernel in ticks of 10 ms, so the mean over all calls). For one ``execute`` per database it lists
any plan that read a catalog in full or started parallel workers (``auto_explain`` of the nested
statements).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import workload  # noqa: E402
from pytask_sync._resources import canonical_sql  # noqa: E402

SIZES = {
    "full": {"work_orders": 4000, "catalogs": 5, "calls": 200},
    "quick": {"work_orders": 400, "catalogs": 1, "calls": 50},
}
#: name: (work orders, catalogs), as multiples of the small database's
DATABASES = {"small": (1, 1), "10x": (10, 10), "100x catalogs": (1, 100)}
CATALOGS = tuple(workload.PROFILE)
EDIT = "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s"
CALLS = {
    "execute": "SELECT task_sync.execute(%s, true)",
    "preview": "SELECT task_sync.preview(%s)",
    "plan": "SELECT count(*) FROM task_sync.plan(%s)",
    # phases, in a session set as the functions are (see SESSION)
    "desired set": "SELECT count(*) FROM task_sync_internal._desired(ARRAY[%s]::bigint[])",
    "plan rows": "SELECT count(*) FROM task_sync_internal._plan_rows(ARRAY[%s]::bigint[])",
}
SESSION = (
    "SET enable_nestloop = off; SET jit = off; SET plan_cache_mode = force_generic_plan;"
    " SET max_parallel_workers_per_gather = 0"
)


class Server(Protocol):
    """What scenario (c) needs of bench/run.py's server."""

    def connect(self, db: str, **kw: Any) -> psycopg.Connection[Any]: ...
    def create(self, db: str, template: str | None = None) -> None: ...


def build(srv: Server, db: str, work_orders: int, catalogs: int) -> None:
    """A synced print shop of ``work_orders`` work orders, catalogs ``catalogs`` times the profile's."""
    srv.create(db)
    saved = dict(workload.PROFILE)
    try:
        for kind, (n, links, quantities) in saved.items():
            workload.PROFILE[kind] = (n * catalogs, links, quantities)
        with srv.connect(db, autocommit=False) as c:
            c.execute(canonical_sql().encode())
            workload.install_catalog(c)
            c.commit()
            ids: list[int] = []
            for start in range(0, work_orders, 5000):
                ids += workload.work_orders(c, min(5000, work_orders - start), seed=7 + start)
                c.commit()
    finally:
        workload.PROFILE.clear()
        workload.PROFILE.update(saved)
    with srv.connect(db) as c:
        workload.sync_all(c)
        workload.history(c, ids)
        c.execute("VACUUM ANALYZE")


def build_all(srv: Server, size: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """The three databases; returns each one's sizes (work orders, tasks, artworks, marks,
    dismissals, audit items)."""
    sizes = {}
    for db, (wo_x, cat_x) in DATABASES.items():
        build(srv, db, size["work_orders"] * wo_x, size["catalogs"] * cat_x)
        with srv.connect(db) as c:
            row = c.execute(
                "SELECT (SELECT count(*) FROM task_sync.work_order), (SELECT count(*) FROM task_sync.task),"
                " (SELECT count(*) FROM task_sync.artwork), (SELECT count(*) FROM task_sync.work_order_mark),"
                " (SELECT count(*) FROM task_sync.task_dismissal), (SELECT count(*) FROM task_sync.sync_item)"
            ).fetchone()
        sizes[db] = tuple(row or ())
    return sizes


def backend_cpu(pid: int) -> float:
    """CPU seconds (user and system) the server process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def full_reads(conn: psycopg.Connection[Any], wo: int) -> list[str]:
    """Whole-catalog scans and Gather nodes in the plans of one execute (auto_explain)."""
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in CATALOGS:
            found.add(f"Seq Scan on {node['Relation Name']} ({node.get('Plan Rows')} rows)")
        if node.get("Node Type") in ("Gather", "Gather Merge"):
            found.add(node["Node Type"])
        for child in node.get("Plans", []):
            walk(child)

    def notice(diag: psycopg.errors.Diagnostic) -> None:
        msg = diag.message_primary or ""
        if "plan:" in msg:
            walk(json.loads(msg.split("plan:", 1)[1])["Plan"])

    conn.execute("LOAD 'auto_explain'")
    conn.execute(
        "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;"
        " SET auto_explain.log_format = 'json'; SET auto_explain.log_level = 'notice'"
    )
    conn.add_notice_handler(notice)
    try:
        conn.execute(EDIT, (wo,))
        conn.execute(CALLS["execute"], (wo,))
    finally:
        conn.remove_notice_handler(notice)
        conn.execute("RESET auto_explain.log_min_duration")
    return sorted(found)


def measure(srv: Server, calls: int) -> dict[str, Any]:
    """The calls of one work order at each database, alternating (see the module's docstring)."""
    conns = {db: srv.connect(db) for db in DATABASES}
    try:
        for c in conns.values():
            c.execute(SESSION)
        wos = {
            db: [r[0] for r in c.execute("SELECT id FROM task_sync.work_order ORDER BY id LIMIT %s", (calls,))]
            for db, c in conns.items()
        }
        wall: dict[str, dict[str, list[float]]] = {db: {m: [] for m in CALLS} for db in DATABASES}
        cpu: dict[str, dict[str, float]] = {db: dict.fromkeys(CALLS, 0.0) for db in DATABASES}
        for i in range(min(20, calls)):  # warm-up, not measured: caches, plans
            for db, c in conns.items():
                c.execute(CALLS["preview"], (wos[db][i],))
        for i in range(calls):
            for db, c in conns.items():
                wo, pid = wos[db][i], c.info.backend_pid
                c.execute(EDIT, (wo,))
                for m in ("desired set", "plan rows", "plan", "preview", "execute"):
                    before, t = backend_cpu(pid), time.perf_counter()
                    c.execute(CALLS[m], (wo,))
                    wall[db][m].append(time.perf_counter() - t)
                    cpu[db][m] += backend_cpu(pid) - before
        out: dict[str, Any] = {}
        for db in DATABASES:
            out[db] = {
                m: {
                    "median_ms": round(statistics.median(v) * 1000, 3),
                    "quartiles_ms": [round(q * 1000, 3) for q in statistics.quantiles(v, n=4)[::2]],
                    "cpu_ms": round(cpu[db][m] * 1000 / calls, 2),
                }
                for m, v in wall[db].items()
            }
            out[db]["full reads in one execute"] = full_reads(conns[db], wos[db][-1])
        return out
    finally:
        for c in conns.values():
            c.close()


def ratios(measured: dict[str, Any]) -> dict[str, float]:
    """Median at the larger databases over the small one's, per call."""
    return {
        f"{m}_scaling{suffix}": round(measured[db][m]["median_ms"] / measured["small"][m]["median_ms"], 3)
        for db, suffix in (("10x", ""), ("100x catalogs", "_100x_catalogs"))
        for m in ("execute", "preview", "plan")
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    args = ap.parse_args(argv)
    from bench.run import Server as EmbeddedServer
    from bench.run import log

    size = SIZES["quick" if args.quick else "full"]
    srv = EmbeddedServer()
    try:
        started = time.perf_counter()
        sizes = build_all(srv, size)
        log(f"built in {time.perf_counter() - started:.0f} s: {sizes}")
        measured = measure(srv, size["calls"])
    finally:
        srv.close()
    print(json.dumps({"sizes": sizes, **measured, "ratios": ratios(measured)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
