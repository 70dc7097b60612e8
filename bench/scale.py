"""The scale benchmark of bench/run.py (``--scale N``): a shop of N tasks against one of 100,000.

    python bench/run.py --scale 10000000 --json     # ten million tasks (about half an hour, 8 GB of disk)
    python bench/run.py --scale 1000000 --json      # a million (a few minutes)

Not part of ``--quick`` or of CI. Two databases on one embedded server, each the seeded print
shop of bench/workload.py with every table grown in proportion to its tasks (catalogs included:
the profile's catalogs for 100,000 tasks, times N / 100,000):

* the work orders are inserted in chunks of 20,000 (COPY into a staging table, then one INSERT
  per table, as a bulk import does: the engine's statement triggers mark each work order once);
* the initial sync is ``sync_pending(5000)`` until it returns nothing (the load's rate, tasks/s);
* then ``workload.history``: a seventh of the general drafts deleted (dismissals), 10 % of the
  work orders changed and synced (a second sync in the audit), and ``BACKLOG`` work orders of the
  second half changed and left pending (the backlog of marks, the same at every size);
* VACUUM ANALYZE (timed), bytes per task (the database) and per audit row (sync_run, sync_item).

The 100,000-task database is cloned (CREATE DATABASE ... TEMPLATE) and the same calls alternate
between the clone and the large one, call by call (the machine's mood falls on both alike):
``execute``, ``preview``, ``check_sync_needed`` of an edited work order of the first half,
``pending(100)``, ``plan_pending(100)`` (of the backlog); then, in rounds alternating between the
two, a 1 % churn synced by the worker's ``drain`` (``sync_pending`` in batches of 500), per
changed work order, with the worker's memory (its peak of Python allocations, tracemalloc, and the
server backend's private memory). Ratios are the large database's medians over the clone's.

Audit retention: when ``task_sync.prune_history(interval)`` exists it is timed at the large
database, pruning the initial sync's runs (most of the audit); otherwise this says it is not there.

The whole run is niced (``os.nice``), server included: the machine is shared.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any, Protocol

import psycopg

from bench import workload
from pytask_sync._resources import canonical_sql
from pytask_sync.client import TaskSync
from pytask_sync.worker import drain

BASE_TASKS = 100_000
TASKS_PER_WORK_ORDER = 13.4  # the workload's mean after the initial sync (70,404 tasks for 5,263 work orders)
CHUNK = 20_000
#: work orders changed and left pending: the same at every size (a shop's daily activity does not grow
#: with its history); bench/run.py --backlog N gives the large database another
BACKLOG = 370
EDIT = "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s"
CALLS = {
    "check_sync_needed": "SELECT task_sync.check_sync_needed(%s)",
    "preview": "SELECT task_sync.preview(%s)",
    "execute": "SELECT task_sync.execute(%s, true)",
    "pending(100)": "SELECT count(*) FROM task_sync.pending(100)",
    "plan_pending(100)": "SELECT count(*) FROM task_sync.plan_pending(100)",
}
TARGET = 1.3
PRUNE = "task_sync.prune_history(interval)"


class Server(Protocol):
    def connect(self, db: str, **kw: Any) -> psycopg.Connection[Any]: ...
    def create(self, db: str, template: str | None = None) -> None: ...


def log(msg: str) -> None:
    from bench.run import log as run_log

    run_log(msg)


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_anon_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0


def build(srv: Server, db: str, tasks: int, backlog: int = BACKLOG) -> dict[str, Any]:
    """A synced shop of about ``tasks`` tasks, every table in proportion but the backlog (``backlog``
    work orders changed and not synced); returns its figures."""
    n_wo = max(100, int(tasks / TASKS_PER_WORK_ORDER))
    factor = max(1.0, tasks / BASE_TASKS)
    srv.create(db)
    saved = dict(workload.PROFILE)
    figures: dict[str, Any] = {"work_orders": n_wo, "catalog_factor": round(factor, 2)}
    try:
        for kind, (n, links, quantities) in saved.items():
            workload.PROFILE[kind] = (int(n * factor), links, quantities)
        with srv.connect(db, autocommit=False) as c:
            c.execute(canonical_sql().encode())
            workload.install_catalog(c)
            c.commit()
            ids: list[int] = []
            t = time.perf_counter()
            for start in range(0, n_wo, CHUNK):
                ids += workload.work_orders(c, min(CHUNK, n_wo - start), seed=7 + start)
                c.commit()
            figures["insert_s"] = round(time.perf_counter() - t, 1)
    finally:
        workload.PROFILE.clear()
        workload.PROFILE.update(saved)
    with srv.connect(db) as c:
        c.execute("VACUUM ANALYZE")
        t = time.perf_counter()
        workload.sync_all(c)
        initial_s = time.perf_counter() - t
        generated = c.execute("SELECT count(*) FROM task_sync.task").fetchone()[0]  # type: ignore[index]
        figures["initial_sync_s"] = round(initial_s, 1)
        figures["initial_tasks_per_s"] = round(generated / initial_s)
        log(f"  {db}: {n_wo:,} work orders, {generated:,} tasks synced in {initial_s:.0f} s")
        figures["initial_synced_before"] = c.execute("SELECT now()").fetchone()[0].isoformat()  # type: ignore[index]
        workload.history(c, ids, min(1.0, backlog / (len(ids) - len(ids) // 2)))
        t = time.perf_counter()
        c.execute("VACUUM ANALYZE")
        figures["vacuum_analyze_s"] = round(time.perf_counter() - t, 1)
        c.execute("CHECKPOINT")
        row = c.execute(
            "SELECT (SELECT count(*) FROM task_sync.work_order), (SELECT count(*) FROM task_sync.task),"
            " (SELECT count(*) FROM task_sync.artwork), (SELECT count(*) FROM task_sync.work_order_mark),"
            " (SELECT count(*) FROM task_sync.task_dismissal), (SELECT count(*) FROM task_sync.sync_run),"
            " (SELECT count(*) FROM task_sync.sync_item), pg_database_size(current_database()),"
            " pg_total_relation_size('task_sync.sync_run') + pg_total_relation_size('task_sync.sync_item')"
        ).fetchone()
        assert row is not None
        keys = ("work_orders", "tasks", "artworks", "marks", "dismissals", "sync_runs", "sync_items")
        figures.update(dict(zip(keys, row[:7], strict=True)))
        figures["database_bytes"] = row[7]
        figures["bytes_per_task"] = round(row[7] / max(1, row[1]))
        figures["audit_bytes_per_item"] = round(row[8] / max(1, row[6]))
    return figures


def _median(v: list[float]) -> float:
    return round(statistics.median(v) * 1000, 3)


def measure_calls(srv: Server, dbs: dict[str, str], calls: int) -> dict[str, Any]:
    """The calls of CALLS on both databases, call by call alternating."""
    conns = {side: srv.connect(db) for side, db in dbs.items()}
    try:
        wos = {
            side: [r[0] for r in c.execute("SELECT id FROM task_sync.work_order ORDER BY id LIMIT %s", (calls + 20,))]
            for side, c in conns.items()
        }
        wall: dict[str, dict[str, list[float]]] = {side: {m: [] for m in CALLS} for side in dbs}
        cpu: dict[str, dict[str, float]] = {side: dict.fromkeys(CALLS, 0.0) for side in dbs}
        for i in range(calls + 20):  # the first 20: warm-up (caches, plans)
            for side, c in conns.items() if i % 2 else reversed(list(conns.items())):
                wo, pid = wos[side][i], c.info.backend_pid
                c.execute(EDIT, (wo,))
                for m, query in CALLS.items():
                    before, t = backend_cpu(pid), time.perf_counter()
                    c.execute(query, (wo,) if "%s" in query else None).fetchall()
                    if i >= 20:
                        wall[side][m].append(time.perf_counter() - t)
                        cpu[side][m] += backend_cpu(pid) - before
        return {
            side: {
                m: {"median_ms": _median(v), "cpu_ms": round(cpu[side][m] * 1000 / calls, 2)}
                for m, v in wall[side].items()
            }
            for side in dbs
        }
    finally:
        for c in conns.values():
            c.close()


def measure_churn(srv: Server, dbs: dict[str, str], rounds: int) -> dict[str, Any]:
    """A 1 % churn of each database, drained by the worker's drain, rounds alternating."""
    keys = ("changed", "ms_per_wo", "cpu_ms_per_wo", "py_peak_kb", "anon_kb")
    out: dict[str, dict[str, list[float]]] = {side: {k: [] for k in keys} for side in dbs}
    for r in range(rounds):
        for side, db in dbs.items() if r % 2 == 0 else reversed(list(dbs.items())):
            with srv.connect(db) as c:
                n = c.execute("SELECT count(*) FROM task_sync.work_order").fetchone()[0]  # type: ignore[index]
                # the first half: never the backlog, so only the churn is pending besides it
                first_half = [
                    x[0] for x in c.execute("SELECT id FROM task_sync.work_order ORDER BY id LIMIT %s", (n // 2,))
                ]
                # drain the backlog first (untimed), so that the drain times the churn alone
                drain(TaskSync(c), 500)
                with c.transaction():
                    changed = len(workload.churn(c, first_half, 0.02, seed=100 + r))  # 2 % of a half: 1 %
                pid = c.info.backend_pid
                tracemalloc.start()
                before, t = backend_cpu(pid), time.perf_counter()
                synced = drain(TaskSync(c), 500)
                elapsed = time.perf_counter() - t
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                if synced != changed:
                    log(f"  {side}: {changed} work orders changed, {synced} synced")
                got = (synced, elapsed * 1000 / synced, (backend_cpu(pid) - before) * 1000 / synced, peak / 1024)
                for k, v in zip(keys, (*got, backend_anon_kb(pid)), strict=True):
                    out[side][k].append(v)
    return {side: {k: round(statistics.median(v), 3) for k, v in m.items()} for side, m in out.items()}


def explain(srv: Server, db: str, query: str) -> list[str]:
    """The nested statements' plans of ``query`` with their actual times (auto_explain, text)."""
    plans: list[str] = []
    with srv.connect(db) as c:
        c.execute("LOAD 'auto_explain'")
        c.execute(
            "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;"
            " SET auto_explain.log_analyze = on; SET auto_explain.log_level = 'notice';"
            " SET auto_explain.log_timing = on"
        )
        c.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        c.execute(query).fetchall()
    return plans


def prune(srv: Server, db: str, before: str) -> dict[str, Any]:
    with srv.connect(db) as c:
        if c.execute("SELECT to_regprocedure(%s) IS NOT NULL", (PRUNE,)).fetchone() != (True,):
            log(f"  {PRUNE} is not there (revision 0011 not applied): retention not measured")
            return {"present": False}
        items = c.execute("SELECT count(*) FROM task_sync.sync_item").fetchone()[0]  # type: ignore[index]
        older = c.execute("SELECT now() - %s::timestamptz", (before,)).fetchone()[0]  # type: ignore[index]
        t = time.perf_counter()
        runs = c.execute("SELECT task_sync.prune_history(%s)", (older,)).fetchone()[0]  # type: ignore[index]
        prune_s = time.perf_counter() - t
        left = c.execute("SELECT count(*) FROM task_sync.sync_item").fetchone()[0]  # type: ignore[index]
        t = time.perf_counter()
        c.execute("VACUUM task_sync.sync_run, task_sync.sync_item")
        vacuum_s = time.perf_counter() - t
    r = {
        "present": True,
        "runs_deleted": runs,
        "items_deleted": items - left,
        "prune_s": round(prune_s, 2),
        "items_per_s": round((items - left) / prune_s),
        "vacuum_after_s": round(vacuum_s, 2),
    }
    log(f"  prune_history: {r}")
    return r


def run(
    srv: Server, tasks: int, calls: int = 100, rounds: int = 3, show_plans: bool = False, backlog: int = BACKLOG
) -> dict[str, Any]:
    log(f"scale: building {BASE_TASKS:,} tasks")
    small = build(srv, "scale_small", BASE_TASKS)
    log(f"scale: building {tasks:,} tasks")
    large = build(srv, "scale_large", tasks, backlog)
    srv.create("scale_small_clone", "scale_small")
    dbs = {"100k": "scale_small_clone", "large": "scale_large"}
    if show_plans:
        for side, db in dbs.items():
            for line in explain(srv, db, CALLS["plan_pending(100)"]):
                log(f"--- {side}\n{line}")
    log("scale: calls, alternating")
    calls_m = measure_calls(srv, dbs, calls)
    log("scale: 1 % churn drained by the worker, alternating")
    churn_m = measure_churn(srv, dbs, rounds)
    ratios = {f"{m}_scale": round(calls_m["large"][m]["median_ms"] / calls_m["100k"][m]["median_ms"], 3) for m in CALLS}
    ratios["sync_pending_per_wo_scale"] = round(churn_m["large"]["ms_per_wo"] / churn_m["100k"]["ms_per_wo"], 3)
    ratios["worker_memory_scale"] = round(
        max(1.0, churn_m["large"]["py_peak_kb"]) / max(1.0, churn_m["100k"]["py_peak_kb"]), 3
    )
    retention = prune(srv, "scale_large", large["initial_synced_before"])
    result = {
        "scale": tasks,
        **ratios,
        "target": TARGET,
        "calls_ms": calls_m,
        "churn": churn_m,
        "built": {"100k": small, "large": large},
        "prune_history": retention,
    }
    for k, v in ratios.items():
        log(f"  {k:32} {v:6.3f}")
    return result


if __name__ == "__main__":
    print(json.dumps({"see": "python bench/run.py --scale N --json"}))
