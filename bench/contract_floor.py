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

Beside the pairs, each round measures the contract's own steps beyond the floor on a third clone
(``_essential``): what an implementation of the contract also does for these work orders, each
step one bare statement, warm (its inputs staged untimed, as the floor's are), none of the
engine's plumbing, with sorts and hashes in memory, in a transaction rolled back (a sync commits
once: the floor's commit). The steps: the claim (the work order rows, then their drafts, locked
as a batch must), the plan (the desired set and the generated tasks, full-joined on the key with
the fields compared), the plan hashes (sha256 of each work order's visible items, as
``_plan_hashes`` defines them), and the books (the marks taken in, the versions raised).
``vs_contract_floor_essential`` is the floor plus those steps over the floor, paired by round:
what an implementation that takes these steps, with this engine's desired set and plan hashes,
does not go below on this machine, the mark against which the engine's own figure is read.
``vs_essential`` is the engine over the floor plus those steps, paired by round: what the
engine's own plumbing (its functions, arrays, subtransactions, planning and first call in a
session) adds.
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


# The plan hashes of the staged plan (essential_plan) as _plan_hashes computes them, its canonical
# order (_items') written out; _essential checks that they agree. The outer queries read the hashes:
# an output of a subquery that nothing reads is not computed.
HASHES = (
    "SELECT x.work_order_id, encode(sha256(convert_to(string_agg(x::text, E'\\n'"
    " ORDER BY x.work_order_process_id NULLS FIRST, x.task_type, x.source_kind, x.source_id,"
    " x.task_id NULLS FIRST, x.action), 'UTF8')), 'hex') AS plan_hash"
    " FROM essential_plan x WHERE x.action <> 'keep' GROUP BY x.work_order_id"
)
# The contract's steps beyond the floor, each one bare statement (see the module's docstring);
# %(ids)s: the work orders.
ESSENTIAL = {
    "claim": [
        "SELECT count(*) FROM (SELECT w.id FROM task_sync.work_order w WHERE w.id = ANY (%(ids)s::bigint[])"
        " AND EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)"
        " ORDER BY w.id FOR NO KEY UPDATE SKIP LOCKED) x",
        "SELECT count(*) FROM (SELECT t.id FROM task_sync.task t WHERE t.work_order_id = ANY (%(ids)s::bigint[])"
        " AND t.origin = 'generated' AND t.status = 'draft' FOR UPDATE SKIP LOCKED) x",
    ],
    "plan": [
        # the desired set (a function scan: stored once) and the generated tasks, joined once
        "SELECT count(*) FILTER (WHERE g.id IS NULL), count(*) FILTER (WHERE d.work_order_id IS NULL),"
        " count(*) FILTER (WHERE d.work_content IS DISTINCT FROM g.generated_work_content"
        " OR d.production_quantity IS DISTINCT FROM g.generated_production_quantity"
        " OR g.work_content IS DISTINCT FROM g.generated_work_content"
        " OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity)"
        " FROM task_sync_internal._desired(%(ids)s::bigint[]) d"
        " FULL JOIN (SELECT t.id, t.work_order_id, coalesce(t.work_order_process_id, 0) AS wpk, t.task_type,"
        " t.source_kind, t.source_id, t.status, t.work_content, t.generated_work_content, t.production_quantity,"
        " t.generated_production_quantity FROM task_sync.task t"
        " WHERE t.work_order_id = ANY (%(ids)s::bigint[]) AND t.origin = 'generated') g"
        " ON g.work_order_id = d.work_order_id AND g.wpk = d.work_order_process_id"
        " AND g.task_type = d.task_type AND g.source_kind = d.source_kind AND g.source_id = d.source_id",
    ],
    "hash": [f"SELECT count(*), max(h.plan_hash) FROM ({HASHES}) h"],
    "books": [
        "WITH taken AS (DELETE FROM task_sync.work_order_mark m WHERE m.work_order_id = ANY (%(ids)s::bigint[])"
        " RETURNING m.work_order_id, m.weight),"
        " raised AS (UPDATE task_sync.work_order w SET synced_version = w.synced_version + n.n"
        " FROM (SELECT taken.work_order_id, sum(taken.weight) AS n FROM taken GROUP BY 1) n"
        " WHERE w.id = ANY (%(ids)s::bigint[]) AND w.id = n.work_order_id RETURNING 1)"
        " SELECT count(*) FROM raised",
    ],
}


def _essential(conn: psycopg.Connection[Any], wos: list[int]) -> dict[str, float]:
    """The contract's steps beyond the floor (ESSENTIAL), bare and warm: wall seconds per step and in all."""
    conn.execute("CREATE UNLOGGED TABLE essential_plan OF task_sync.plan_row")
    conn.execute("INSERT INTO essential_plan SELECT * FROM task_sync_internal._plan_rows(%s::bigint[])", (wos,))
    marked = conn.execute(
        "SELECT count(DISTINCT m.work_order_id) FROM task_sync.work_order_mark m WHERE m.work_order_id = ANY (%s)",
        (wos,),
    ).fetchone()
    conn.execute("VACUUM ANALYZE")
    conn.execute("CHECKPOINT")
    out: dict[str, float] = {}
    first: dict[str, Any] = {}  # each step's first row: a step that did nothing would understate the bound
    # rolled back: a sync commits once, and the floor's commit is that one
    with conn.transaction(force_rollback=True):
        # the planner's choice of join, no JIT, and sorts and hashes in memory: each step runs the
        # whole batch as one statement, where an implementation may take it in chunks that fit
        conn.execute("SET LOCAL jit = off")
        conn.execute("SET LOCAL work_mem = '256MB'")
        start = time.perf_counter()
        for step, statements in ESSENTIAL.items():
            t = time.perf_counter()
            for q in statements:
                first.setdefault(step, conn.execute(q, {"ids": wos}).fetchone())
            out[step] = time.perf_counter() - t
        out["wall"] = time.perf_counter() - start
    differ = conn.execute(
        f"SELECT count(*) FROM ({HASHES}) h FULL JOIN task_sync_internal._plan_hashes("
        " ARRAY(SELECT ROW(x.*)::task_sync.plan_row FROM essential_plan x)) e"
        " ON e.work_order_id = h.work_order_id AND e.plan_hash = h.plan_hash"
        " WHERE h.work_order_id IS NULL OR e.work_order_id IS NULL"
    ).fetchone()
    if marked is None or marked[0] == 0 or first["claim"] != marked or first["books"] != marked:
        raise SystemExit(f"the contract's steps claimed {first['claim']} and took in {first['books']}, of {marked}")
    if differ != (0,):
        raise SystemExit(f"the bare plan hashes differ from _plan_hashes' for {differ} work orders")
    return out


def measure(srv: Server, template: str, wos: list[int], rounds: int, prefix: str) -> dict[str, Any]:
    """``rounds`` alternating pairs (engine, contract floor) on clones of ``template``."""
    from bench.run import fingerprint, log

    audit: tuple[bytes, bytes] | None = None
    reference: tuple[Any, ...] | None = None
    runs: dict[str, list[dict[str, float]]] = {"engine": [], "floor": [], "essential": []}
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
        db = f"cf_{prefix}_essential"
        srv.create(db, template)
        with srv.connect(db) as conn:
            runs["essential"].append(_essential(conn, wos))
        with srv.connect("postgres") as c:
            c.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    pairs = list(zip(runs["engine"], runs["floor"], strict=True))
    out: dict[str, Any] = {
        "vs_contract_floor": statistics.median(e["wall"] / f["wall"] for e, f in pairs),
        "vs_contract_floor_cpu": statistics.median(e["cpu"] / max(f["cpu"], 0.01) for e, f in pairs),
        "vs_contract_floor_essential": statistics.median(
            (f["wall"] + x["wall"]) / f["wall"] for f, x in zip(runs["floor"], runs["essential"], strict=True)
        ),
        "vs_essential": statistics.median(
            e["wall"] / (f["wall"] + x["wall"])
            for e, f, x in zip(runs["engine"], runs["floor"], runs["essential"], strict=True)
        ),
        "essential_s": {k: statistics.median(x[k] for x in runs["essential"]) for k in (*ESSENTIAL, "wall")},
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
        f"CPU {out['floor_cpu_s']:.2f}): {out['vs_contract_floor']:.2f} (CPU {out['vs_contract_floor_cpu']:.2f}); "
        f"the floor and the contract's own steps: {out['vs_contract_floor_essential']:.2f} ("
        + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in out["essential_s"].items())
        + f"), the engine over them: {out['vs_essential']:.2f}"
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
