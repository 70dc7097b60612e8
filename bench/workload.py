"""A seeded, realistic workload: catalogs and work orders of a print shop, inserted set-based."""

from __future__ import annotations

import random
from typing import Any

import psycopg
from psycopg import sql

COMMON = ["CTP", "PRT", "CUT", "PACK"]
OTHER = [
    "VAN",
    "LAM_G",
    "LAM_M",
    "UV",
    "FOIL_G",
    "FOIL_S",
    "EMB",
    "TEX",
    "SCORE",
    "DIE",
    "TRIM",
    "LAM_B",
    "MOUNT",
    "GLUE",
    "BOX",
    "WINDOW",
    "STAPLE",
]
#: How a work order of the workload uses each source kind: the catalog's size, how many links or
#: lines a work order has (at least, at most), and for line kinds the quantities a line takes.
#: The kinds themselves, and whether each is a link or a line kind, come from the registry
#: (task_sync.source_kind); a kind not named here gets DEFAULT_PROFILE.
PROFILE: dict[str, tuple[int, tuple[int, int], list[int]]] = {
    "artwork": (2000, (1, 4), []),
    "die": (300, (0, 3), []),
    "foiling_plate": (200, (0, 2), []),
    "embossing_plate": (150, (0, 2), []),
    "material": (120, (1, 5), [100, 250, 500, 1200, 3000]),
    "product": (1500, (1, 3), [500, 1000, 2000, 5000]),
}
DEFAULT_PROFILE: tuple[int, tuple[int, int], list[int]] = (100, (0, 2), [10, 100])


def kinds(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str | None]]:
    """(kind, shape, line_filter) of every kind with a catalog, from the registry: the profiled
    kinds in PROFILE's order (so that the same seed gives the same work orders), then the rest."""
    rows = conn.execute(
        "SELECT kind, shape, line_filter FROM task_sync.source_kind WHERE shape <> 'work_order' ORDER BY kind"
    ).fetchall()
    order = {k: i for i, k in enumerate(PROFILE)}
    return sorted(((str(k), str(s), f) for k, s, f in rows), key=lambda r: (order.get(r[0], len(order)), r[0]))


def install_catalog(conn: psycopg.Connection[Any], seed: int = 1) -> None:
    """Catalog rows with realistic names."""
    rng = random.Random(seed)
    with conn.cursor() as cur:
        for table, _, _ in kinds(conn):
            n = PROFILE.get(table, DEFAULT_PROFILE)[0]
            with cur.copy(sql.SQL("COPY task_sync.{} (code, name) FROM STDIN").format(sql.Identifier(table))) as copy:
                for i in range(n):
                    copy.write_row(
                        (f"{table[:3].upper()}-{i:05d}", f"{table.replace('_', ' ')} {i} {rng.choice('ABCDEFG')}")
                    )


def work_orders(conn: psycopg.Connection[Any], n: int, seed: int, prefix: str = "WO") -> list[int]:
    """Insert n work orders with routes, links and lines; returns their ids."""
    rng = random.Random(seed)
    procs = dict(conn.execute("SELECT code, id FROM task_sync.process").fetchall())
    registry = kinds(conn)
    ids = {
        k: [r[0] for r in conn.execute(sql.SQL("SELECT id FROM task_sync.{} ORDER BY id").format(sql.Identifier(k)))]
        for k, _, _ in registry
    }
    with conn.cursor() as cur:
        wo_ids = [
            r[0]
            for r in cur.execute(
                "INSERT INTO task_sync.work_order (order_number, production_quantity)"
                " SELECT %s || '-' || g, (array[500, 1000, 2000, 2500, 5000, 10000, 20000])[1 + g %% 7]"
                " FROM generate_series(1, %s) g RETURNING id",
                (f"{prefix}{seed}", n),
            ).fetchall()
        ]
        route: list[tuple[Any, ...]] = []
        rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k, _, _ in registry}
        for wo in wo_ids:
            k = rng.randint(4, 10)
            codes = [c for c in COMMON if rng.random() < 0.85] + rng.sample(OTHER, max(0, k - 4))
            rng.shuffle(codes)
            route += [(wo, procs[c], 10 * (i + 1)) for i, c in enumerate(codes[:k])]
            for kind, shape, line_filter in registry:
                _, (lo, hi), quantities = PROFILE.get(kind, DEFAULT_PROFILE)
                if shape == "link":
                    rows[kind] += [(wo, src) for src in rng.sample(ids[kind], rng.randint(lo, hi))]
                    continue
                for _ in range(rng.randint(lo, hi)):
                    line = (wo, rng.choice(ids[kind]), rng.choice(quantities))
                    # a line kind with a filter (material: need_cutting): half the lines pass it
                    rows[kind].append((*line, rng.random() < 0.5) if line_filter else line)
        # one statement per table, like a bulk import (each marks its work orders once)
        _copy_insert(cur, "work_order_process", "(work_order_id, process_id, sequence)", route)
        for kind, shape, line_filter in registry:
            columns = ["work_order_id", f"{kind}_id"]
            if shape == "line":
                columns += ["quantity", *([line_filter] if line_filter else [])]
            _copy_insert(cur, f"work_order_{kind}", f"({', '.join(columns)})", rows[kind])
    return wo_ids


def _copy_insert(cur: psycopg.Cursor[Any], table: str, cols: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY into a temporary table, then one INSERT ... SELECT (so statement triggers fire once)."""
    if not rows:
        return
    cur.execute(f"CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT {cols[1:-1]} FROM task_sync.{table} LIMIT 0")
    with cur.copy(f"COPY stage {cols} FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)
    cur.execute(f"INSERT INTO task_sync.{table} {cols} SELECT * FROM stage")
    cur.execute("DROP TABLE stage")


def churn(conn: psycopg.Connection[Any], wo_ids: list[int], fraction: float, seed: int) -> list[int]:
    """Change a fraction of the work orders the way customers do; returns the changed ids."""
    rng = random.Random(seed)
    changed = sorted(rng.sample(wo_ids, max(1, int(len(wo_ids) * fraction))))
    procs = dict(conn.execute("SELECT code, id FROM task_sync.process").fetchall())
    arts = [r[0] for r in conn.execute("SELECT id FROM task_sync.artwork")]
    adds, drops, swaps, qty = [], [], [], []
    for wo in changed:
        what = rng.random()
        if what < 0.3:
            adds.append((wo, procs[rng.choice(["LAM_M", "UV", "VAN", "TRIM"])], 1000 + rng.randint(0, 900)))
        elif what < 0.5:
            drops.append(wo)
        elif what < 0.75:
            swaps.append((wo, rng.choice(arts)))
        qty.append((wo, rng.choice([750, 1500, 3000, 6000, 12000])))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES (%s, %s, %s)",
            adds,
        )
        if drops:
            cur.execute(
                "DELETE FROM task_sync.work_order_process WHERE id IN (SELECT DISTINCT ON (work_order_id) id"
                " FROM task_sync.work_order_process WHERE work_order_id = ANY(%s)"
                " ORDER BY work_order_id, sequence DESC)",
                (drops,),
            )
        for wo, art in swaps:
            cur.execute(
                "UPDATE task_sync.work_order_artwork SET artwork_id = %s WHERE (work_order_id, artwork_id) ="
                " (SELECT work_order_id, artwork_id FROM task_sync.work_order_artwork WHERE work_order_id = %s"
                "  AND NOT EXISTS (SELECT FROM task_sync.work_order_artwork x WHERE x.work_order_id = %s"
                "  AND x.artwork_id = %s) LIMIT 1)",
                (art, wo, wo, art),
            )
        cur.executemany(
            "UPDATE task_sync.work_order SET production_quantity = %s WHERE id = %s", [(q, wo) for wo, q in qty]
        )
    return changed


def sync_all(conn: psycopg.Connection[Any]) -> None:
    """Sync every pending work order, in batches of 5,000 (autocommit: a transaction each)."""
    while conn.execute("SELECT count(*) FROM task_sync.sync_pending(5000)").fetchone() != (0,):
        pass


def history(conn: psycopg.Connection[Any], wo_ids: list[int], backlog: float = 0.1) -> None:
    """A synced shop's history (autocommit): a seventh of the general drafts deleted (dismissals),
    10 % of the work orders changed and synced (a second sync in the audit), then a ``backlog``
    share of the second half changed and left pending (the marks; never the first half, whose work
    orders the benchmarks measure)."""
    conn.execute(
        "DELETE FROM task_sync.task WHERE id IN (SELECT id FROM task_sync.task"
        " WHERE task_type = 'general' AND work_order_id % 7 = 0)"
    )
    with conn.transaction():
        churn(conn, wo_ids, 0.1, seed=8)
    sync_all(conn)
    with conn.transaction():
        churn(conn, wo_ids[len(wo_ids) // 2 :], backlog, seed=9)
