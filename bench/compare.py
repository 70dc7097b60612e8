"""Latency of execute and preview on a small work order: this checkout's sql/ against another
commit's, side by side on one embedded server, calls interleaved (so that a shared machine's
drift falls on both alike).

    python bench/compare.py b663981        # the commit before source kinds became data
    python bench/compare.py 81cce29 --plan # the plan of a batch chunk (helpers in task_sync_internal)

Each side is built by its own commit's workload (750 work orders, seed 1), synced, analysed;
then 300 rounds alternate: change a random work order's quantity, time ``execute``; finally 100
``preview`` calls each. Prints the medians.

With ``--plan``: each side gets 2,000 work orders, synced, 500 of them changed (``churn``), and
500 new ones never synced; then 40 rounds alternate between the sides, timing the desired set
and the plan of the 500 changed work orders (a chunk of ``sync_pending``) and the plan of the 500
new ones (the initial generation). Prints the medians. The commit must have the helpers in
``task_sync_internal`` (revision 0004 on).

With ``--batch``: the same sides (2,000 work orders, 500 changed, 500 new); then 10 rounds
alternate between them, each on a fresh clone: ``sync_pending()`` of those 1,000 work orders,
timed whole. Prints the medians.

With ``--initial N``: each side gets N work orders never synced (the initial generation of
``bench/run.py`` (a) at N = 10,000); then 5 rounds alternate, each on a fresh clone:
``sync_pending()`` of all of them. Prints the medians of the wall time and of the backend's CPU
time (``/proc/<pid>/stat``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import workload  # noqa: E402
from bench.run import Server  # noqa: E402
from pytask_sync._resources import canonical_sql  # noqa: E402


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def _old(commit: str, tmp: Path) -> tuple[str, ModuleType]:
    """That commit's canonical SQL and its workload module."""
    files = sorted(f for f in _git("ls-tree", "-r", "--name-only", commit, "sql/").split() if f.endswith(".sql"))
    sql = "\n".join(_git("show", f"{commit}:{f}") for f in files)
    path = tmp / f"workload_{commit}.py"
    path.write_text(_git("show", f"{commit}:bench/workload.py"))
    spec = importlib.util.spec_from_file_location(f"workload_{commit}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return sql, module


def _side(srv: Server, name: str, sql: str, module: ModuleType, n: int, synced: bool = True) -> list[int]:
    """A database ``name`` with ``sql`` installed and ``n`` work orders of ``module``'s workload, synced
    unless told otherwise (inserted 5,000 at a time, as ``bench/run.py`` builds its databases)."""
    srv.create(name)
    wos: list[int] = []
    with srv.connect(name) as c:
        with c.transaction():
            c.execute(sql.encode())
        with c.transaction():
            module.install_catalog(c)
        for start in range(0, n, 5000):
            with c.transaction():
                wos += module.work_orders(c, min(5000, n - start), 1 + start, prefix="WO")
        if synced:
            c.execute("SELECT count(*) FROM task_sync.sync_pending()")
    return wos


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("commit", help="the commit to compare this checkout with")
    ap.add_argument("--plan", action="store_true", help="time the plan of a batch chunk instead of execute")
    ap.add_argument("--batch", action="store_true", help="time sync_pending of a churn instead of execute")
    ap.add_argument("--initial", type=int, metavar="N", help="time sync_pending of N new work orders instead")
    args = ap.parse_args()
    if args.initial:
        compare_initial(args.commit, args.initial)
        return
    if args.plan:
        compare_plans(args.commit)
        return
    if args.batch:
        compare_batch(args.commit)
        return
    srv = Server()
    try:
        old_sql, old_workload = _old(args.commit, srv.tmp)
        sides = {"then": (old_sql, old_workload), "now": (canonical_sql(), workload)}
        wos = {}
        for name, (sql, module) in sides.items():
            wos[name] = _side(srv, name, sql, module, 750)
            with srv.connect(name) as c:
                c.execute("VACUUM ANALYZE")
        conns = {name: srv.connect(name) for name in sides}
        execute: dict[str, list[float]] = {name: [] for name in sides}
        rng = random.Random(7)
        for i in range(300):
            for name in ("then", "now") if i % 2 else ("now", "then"):
                wo, c = rng.choice(wos[name]), conns[name]
                c.execute(
                    "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
                )
                t = time.perf_counter()
                c.execute("SELECT task_sync.execute(%s, true)", (wo,))
                execute[name].append(time.perf_counter() - t)
        for name in sides:
            preview = []
            for _ in range(100):
                t = time.perf_counter()
                conns[name].execute("SELECT task_sync.preview(%s)", (wos[name][0],))
                preview.append(time.perf_counter() - t)
            label = args.commit if name == "then" else "this checkout"
            ms_execute = statistics.median(execute[name]) * 1000
            ms_preview = statistics.median(preview) * 1000
            print(f"{name} ({label}): execute median {ms_execute:.2f} ms, preview median {ms_preview:.2f} ms")
        for c in conns.values():
            c.close()
    finally:
        srv.close()


PLAN_QUERIES = {
    "desired set, 500 changed": "SELECT count(*) FROM task_sync_internal._desired(%s::bigint[])",
    "plan, 500 changed": "SELECT count(*) FROM task_sync_internal._plan_rows(%s::bigint[])",
    "plan, 500 new": "SELECT count(*) FROM task_sync_internal._plan_rows(%s::bigint[])",
}


def _churned_sides(srv: Server, commit: str) -> dict[str, dict[str, list[int]]]:
    """Both sides with 2,000 work orders synced, then 500 of them changed and 500 new ones added."""
    old_sql, old_workload = _old(commit, srv.tmp)
    sides = {"then": (old_sql, old_workload), "now": (canonical_sql(), workload)}
    chunks: dict[str, dict[str, list[int]]] = {}
    for name, (sql, module) in sides.items():
        wos = _side(srv, name, sql, module, 2000)
        with srv.connect(name) as c:
            changed = module.churn(c, wos, 0.25, seed=2)
            with c.transaction():
                new = module.work_orders(c, 500, 3, prefix="NEW")
            c.execute("VACUUM ANALYZE")
        chunks[name] = {"desired set, 500 changed": changed, "plan, 500 changed": changed, "plan, 500 new": new}
    return chunks


def compare_batch(commit: str) -> None:
    """``--batch``: sync_pending of 500 changed and 500 new work orders, both sides alternating on fresh clones."""
    srv = Server()
    try:
        _churned_sides(srv, commit)
        times: dict[str, list[float]] = {"then": [], "now": []}
        for i in range(10):
            for name in ("then", "now") if i % 2 else ("now", "then"):
                srv.create(f"{name}_run", name)
                with srv.connect(f"{name}_run") as c:
                    t = time.perf_counter()
                    n = c.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone()
                    times[name].append(time.perf_counter() - t)
                    assert n is not None and n[0] == 1000, n
                with srv.connect("postgres") as c:
                    c.execute(f'DROP DATABASE "{name}_run" WITH (FORCE)')
        for name, ts in times.items():
            label = commit if name == "then" else "this checkout"
            shown = " ".join(f"{t:.3f}" for t in ts)
            print(f"{name} ({label}): sync_pending of 1,000 median {statistics.median(ts):.3f} s ({shown})")
    finally:
        srv.close()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (a server backend: the statements it ran)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare_initial(commit: str, n: int) -> None:
    """``--initial N``: sync_pending of N work orders never synced, both sides alternating on fresh clones."""
    srv = Server()
    try:
        old_sql, old_workload = _old(commit, srv.tmp)
        for name, (sql, module) in {"then": (old_sql, old_workload), "now": (canonical_sql(), workload)}.items():
            _side(srv, name, sql, module, n, synced=False)
        wall: dict[str, list[float]] = {"then": [], "now": []}
        cpu: dict[str, list[float]] = {"then": [], "now": []}
        for i in range(5):
            for name in ("then", "now") if i % 2 else ("now", "then"):
                srv.create(f"{name}_run", name)
                with srv.connect(f"{name}_run") as c:
                    c.execute("VACUUM ANALYZE")
                    pid = c.info.backend_pid
                    used, t = _cpu_seconds(pid), time.perf_counter()
                    synced = c.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone()
                    wall[name].append(time.perf_counter() - t)
                    cpu[name].append(_cpu_seconds(pid) - used)
                    assert synced is not None and synced[0] == n, synced
                with srv.connect("postgres") as c:
                    c.execute(f'DROP DATABASE "{name}_run" WITH (FORCE)')
        for name in wall:
            label = commit if name == "then" else "this checkout"
            shown = " ".join(f"{t:.3f}" for t in wall[name])
            print(
                f"{name} ({label}): sync_pending of {n:,} new, median {statistics.median(wall[name]):.3f} s"
                f" ({shown}), CPU {statistics.median(cpu[name]):.3f} s"
            )
    finally:
        srv.close()


def compare_plans(commit: str) -> None:
    """``--plan``: the desired set and plans of a chunk of 500 work orders, both sides alternating."""
    srv = Server()
    try:
        chunks = _churned_sides(srv, commit)
        conns = {name: srv.connect(name) for name in chunks}
        for c in conns.values():
            c.execute("SET enable_nestloop = off")  # as sync_pending runs them
        times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in PLAN_QUERIES} for name in chunks}
        for i in range(40):
            for name in ("then", "now") if i % 2 else ("now", "then"):
                for q, sql in PLAN_QUERIES.items():
                    t = time.perf_counter()
                    conns[name].execute(sql, (chunks[name][q],)).fetchall()
                    times[name][q].append(time.perf_counter() - t)
        for name in chunks:
            label = commit if name == "then" else "this checkout"
            shown = ", ".join(f"{q} {statistics.median(ts[5:]) * 1000:.1f} ms" for q, ts in times[name].items())
            print(f"{name} ({label}): {shown}")
        for c in conns.values():
            c.close()
    finally:
        srv.close()


if __name__ == "__main__":
    main()
