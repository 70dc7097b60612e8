"""A batch against the contract's floor, for bench/run.py (a) and (b).

The contract floor of a batch is what any implementation of the contract must write: the same
task writes (the inserts, updates and deletes of the engine's plan, precomputed) plus the same
audit (the ``sync_run`` and ``sync_item`` rows the engine wrote for the batch), each inserted bare
into the engine's own tables (their indexes, checks and foreign keys included). The engine's side
is ``sync_pending()`` of the same work orders.

Measured as alternating pairs: each round clones the template twice (CREATE DATABASE ...
TEMPLATE), VACUUM ANALYZE and CHECKPOINT each clone, then runs the engine on one and the floor on
the other, the order swapped every round. The first round's engine run gives the audit rows the
floor inserts (copied out with COPY, untimed). Each side reports wall time and the server
backend's CPU time (``/proc/<pid>/stat``, user and system); the ratios are the medians of the
pairs' ratios. Both sides must leave the same task table and as many audit rows.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from pathlib import Path
from typing import Any, Protocol

import psycopg

FINGERPRINT_TABLE = "task_sync.task"


class Server(Protocol):
    def connect(self, db: str, **kw: Any) -> psycopg.Connection[Any]: ...
    def create(self, db: str, template: str | None = None) -> None: ...


def backend_cpu(pid: int) -> float:
    """CPU seconds (user and system) the server process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _copy_out(conn: psycopg.Connection[Any], query: str) -> bytes:
    buf = io.BytesIO()
    with conn.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
        for data in copy:
            buf.write(data)
    return buf.getvalue()


def _copy_in(conn: psycopg.Connection[Any], table: str, data: bytes) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
        copy.write(data)


def _engine(conn: psycopg.Connection[Any]) -> dict[str, float]:
    pid = conn.info.backend_pid
    cpu, t = backend_cpu(pid), time.perf_counter()
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()").fetchone()
    return {"wall": time.perf_counter() - t, "cpu": backend_cpu(pid) - cpu}


def _floor(conn: psycopg.Connection[Any], wos: list[int], audit: tuple[bytes, bytes]) -> dict[str, float]:
    from bench.run import floor_writes, stage_floor

    stage_floor(conn, wos)
    conn.execute("CREATE UNLOGGED TABLE floor_run AS SELECT * FROM task_sync.sync_run LIMIT 0")
    conn.execute("CREATE UNLOGGED TABLE floor_item AS SELECT * FROM task_sync.sync_item LIMIT 0")
    _copy_in(conn, "floor_run", audit[0])
    _copy_in(conn, "floor_item", audit[1])
    conn.execute("ANALYZE floor_run")
    conn.execute("ANALYZE floor_item")
    conn.execute("VACUUM ANALYZE")
    conn.execute("CHECKPOINT")
    pid = conn.info.backend_pid
    cpu, t = backend_cpu(pid), time.perf_counter()
    with conn.transaction():
        floor_writes(conn)
        t_tasks, cpu_tasks = time.perf_counter(), backend_cpu(pid)
        conn.execute("INSERT INTO task_sync.sync_run SELECT * FROM floor_run")
        conn.execute("INSERT INTO task_sync.sync_item SELECT * FROM floor_item")
    end, cpu_end = time.perf_counter(), backend_cpu(pid)
    return {
        "wall": end - t,
        "cpu": cpu_end - cpu,
        "tasks_wall": t_tasks - t,
        "audit_wall": end - t_tasks,
        "tasks_cpu": cpu_tasks - cpu,
        "audit_cpu": cpu_end - cpu_tasks,
    }


def measure(srv: Server, template: str, wos: list[int], rounds: int, prefix: str) -> dict[str, Any]:
    """``rounds`` alternating pairs (engine, contract floor) on clones of ``template``."""
    from bench.run import fingerprint, log

    audit: tuple[bytes, bytes] | None = None
    reference: tuple[Any, ...] | None = None
    runs: dict[str, list[dict[str, float]]] = {"engine": [], "floor": []}
    for r in range(rounds):
        for side in ("engine", "floor") if r % 2 == 0 else ("floor", "engine"):
            db = f"cf_{prefix}_{side}"
            srv.create(db, template)
            with srv.connect(db) as conn:
                if side == "engine":
                    before = conn.execute("SELECT coalesce(max(id), 0) FROM task_sync.sync_run").fetchone()[0]  # type: ignore[index]
                    conn.execute("VACUUM ANALYZE")
                    conn.execute("CHECKPOINT")
                    runs[side].append(_engine(conn))
                    if audit is None:
                        audit = (
                            _copy_out(conn, f"SELECT * FROM task_sync.sync_run WHERE id > {before}"),
                            _copy_out(
                                conn,
                                "SELECT i.* FROM task_sync.sync_item i JOIN task_sync.sync_run s"
                                f" ON s.work_order_id = i.work_order_id AND s.id = i.sync_run_id WHERE s.id > {before}",
                            ),
                        )
                else:
                    assert audit is not None
                    runs[side].append(_floor(conn, wos, audit))
                row = conn.execute(
                    "SELECT (SELECT count(*) FROM task_sync.sync_run), (SELECT count(*) FROM task_sync.sync_item)"
                ).fetchone()
                fp = (*fingerprint(conn), *(row or ()))
            if reference is None:
                reference = fp
            elif fp != reference:
                raise SystemExit(f"{prefix}: the contract floor's tasks or audit differ: {fp} vs {reference}")
            with srv.connect("postgres") as c:
                c.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    pairs = list(zip(runs["engine"], runs["floor"], strict=True))
    out: dict[str, Any] = {
        "vs_contract_floor": statistics.median(e["wall"] / f["wall"] for e, f in pairs),
        "vs_contract_floor_cpu": statistics.median(e["cpu"] / max(f["cpu"], 0.01) for e, f in pairs),
        "engine_s": statistics.median(e["wall"] for e in runs["engine"]),
        "engine_cpu_s": statistics.median(e["cpu"] for e in runs["engine"]),
        **{
            f"floor_{k}_s": statistics.median(f[k] for f in runs["floor"])
            for k in ("wall", "cpu", "tasks_wall", "audit_wall", "tasks_cpu", "audit_cpu")
        },
        "pairs": [
            {"engine": {k: round(v, 4) for k, v in e.items()}, "floor": {k: round(v, 4) for k, v in f.items()}}
            for e, f in pairs
        ],
    }
    log(
        f"  {prefix} engine {out['engine_s']:.3f} s (CPU {out['engine_cpu_s']:.2f}), contract floor "
        f"{out['floor_wall_s']:.3f} s (tasks {out['floor_tasks_wall_s']:.3f}, audit {out['floor_audit_wall_s']:.3f}; "
        f"CPU {out['floor_cpu_s']:.2f}): {out['vs_contract_floor']:.2f} (CPU {out['vs_contract_floor_cpu']:.2f})"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    """(a) and (b) of bench/run.py against the contract floor alone, at its full sizes by default."""
    import argparse
    import json

    from bench import workload
    from bench.run import PAIRS, SIZES, build
    from bench.run import Server as EmbeddedServer

    ap = argparse.ArgumentParser(description="The initial batch and a churn against the contract floor.")
    ap.add_argument("--quick", action="store_true", help="bench/run.py --quick's sizes")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "full"
    size = SIZES[mode]
    srv = EmbeddedServer()
    try:
        wos = build(srv, "base", int(size["initial"]), seed=1, synced=False)
        initial = measure(srv, "base", wos, PAIRS[mode], "a")
        srv.create("churned", "base")
        with srv.connect("churned") as c:
            c.execute("SELECT count(*) FROM task_sync.sync_pending()")
            changed = workload.churn(c, wos, size["churn"], seed=2)
        churn = measure(srv, "churned", changed, PAIRS[mode], "b")
    finally:
        srv.close()
    print(json.dumps({"initial": initial, "churn": churn, "work_orders": len(wos), "changed": len(changed)}, indent=1))
    return 0


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
