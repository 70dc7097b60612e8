"""``pytask-sync demo``: a printing job's story in under a minute.

A folding-carton job gets its draft tasks; a planner edits one draft and deletes another; then the
job changes (matte lamination added, an artwork swapped, the quantity raised) and the preview
shows exactly what a sync will do; execute applies that very plan; the preview is empty again.
"""

from __future__ import annotations

from typing import Any

import psycopg
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from .client import TaskSync
from .render import print_plan

CATALOG = {
    "artwork": [
        ("ART-FRONT", "Carton front, CMYK"),
        ("ART-BACK", "Carton back, 2 spot"),
        ("ART-BACK-V2", "Carton back v2, new barcode"),
    ],
    "die": [("DIE-TUCK-120", "Reverse tuck end 120x60x200")],
    "foiling_plate": [("FOIL-LOGO", "Gold logo plate")],
    "material": [
        ("BRD-350", "SBS board 350 g/m²"),
        ("FILM-MATTE", "Matte film 25 µm"),
        ("CASE-CORR", "Shipping case, corrugated"),
    ],
    "product": [("SKU-TEA-20", "Tea carton 20 bags"), ("SKU-TEA-40", "Tea carton 40 bags")],
}
ROUTE = ["CTP", "CUT", "PRT", "FOIL_G", "DIE", "GLUE", "PACK"]


def _ids(conn: psycopg.Connection[Any], table: str) -> dict[str, int]:
    rows = conn.execute(f"SELECT code, id FROM task_sync.{table}").fetchall()
    return {code: id_ for code, id_ in rows}


def _say(console: Console, title: str, text: str) -> None:
    console.print()
    console.print(Panel(text, title=title, title_align="left", border_style="cyan"))


def create_job(conn: psycopg.Connection[Any], order_number: str) -> int:
    """A realistic folding-carton job: route, artworks, die, foil, materials, products."""
    with conn.transaction():
        for table, rows in CATALOG.items():
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO task_sync.{table} (code, name) VALUES (%s, %s) ON CONFLICT (code) DO NOTHING",
                    rows,
                )
        ids = {t: _ids(conn, t) for t in [*CATALOG, "process"]}
        row = conn.execute(
            "INSERT INTO task_sync.work_order (order_number, production_quantity) VALUES (%s, 5000) RETURNING id",
            (order_number,),
        ).fetchone()
        assert row is not None
        wo = int(row[0])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES (%s, %s, %s)",
                [(wo, ids["process"][code], 10 * (i + 1)) for i, code in enumerate(ROUTE)],
            )
            cur.executemany(
                "INSERT INTO task_sync.work_order_artwork (work_order_id, artwork_id) VALUES (%s, %s)",
                [(wo, ids["artwork"]["ART-FRONT"]), (wo, ids["artwork"]["ART-BACK"])],
            )
            cur.execute(
                "INSERT INTO task_sync.work_order_die (work_order_id, die_id) VALUES (%s, %s)",
                (wo, ids["die"]["DIE-TUCK-120"]),
            )
            cur.execute(
                "INSERT INTO task_sync.work_order_foiling_plate (work_order_id, foiling_plate_id) VALUES (%s, %s)",
                (wo, ids["foiling_plate"]["FOIL-LOGO"]),
            )
            cur.executemany(
                "INSERT INTO task_sync.work_order_material (work_order_id, material_id, quantity, need_cutting)"
                " VALUES (%s, %s, %s, %s)",
                [
                    (wo, ids["material"]["BRD-350"], 1300, True),
                    (wo, ids["material"]["CASE-CORR"], 120, False),
                ],
            )
            cur.executemany(
                "INSERT INTO task_sync.work_order_product (work_order_id, product_id, quantity) VALUES (%s, %s, %s)",
                [(wo, ids["product"]["SKU-TEA-20"], 3000), (wo, ids["product"]["SKU-TEA-40"], 2000)],
            )
    return wo


def change_job(conn: psycopg.Connection[Any], wo: int) -> None:
    """The customer's changes: matte lamination, a new back artwork, 6,000 instead of 5,000."""
    with conn.transaction():
        ids = {t: _ids(conn, t) for t in ("artwork", "process", "material")}
        conn.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence) VALUES (%s, %s, 25)",
            (wo, ids["process"]["LAM_M"]),
        )
        conn.execute(
            "UPDATE task_sync.work_order_artwork SET artwork_id = %s WHERE work_order_id = %s AND artwork_id = %s",
            (ids["artwork"]["ART-BACK-V2"], wo, ids["artwork"]["ART-BACK"]),
        )
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 6000 WHERE id = %s", (wo,))
        conn.execute(
            "UPDATE task_sync.work_order_material SET quantity = 1550 WHERE work_order_id = %s AND material_id = %s",
            (wo, ids["material"]["BRD-350"]),
        )


def planner_edits(conn: psycopg.Connection[Any], wo: int) -> None:
    """A planner adds a note to the front printing task, trims the die-cutting run, drops a task."""
    with conn.transaction():
        conn.execute(
            "UPDATE task_sync.task SET work_content = work_content || ' (match proof #2, Pantone 186 C)'"
            " WHERE work_order_id = %s AND task_type = 'printing'"
            " AND source_id = (SELECT id FROM task_sync.artwork WHERE code = 'ART-FRONT')",
            (wo,),
        )
        conn.execute(
            "UPDATE task_sync.task SET production_quantity = 4800"
            " WHERE work_order_id = %s AND task_type = 'die_cutting'",
            (wo,),
        )
        conn.execute(
            "DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'general'"
            " AND work_order_process_id = (SELECT wop.id FROM task_sync.work_order_process wop"
            " JOIN task_sync.process p ON p.id = wop.process_id WHERE wop.work_order_id = %s AND p.code = 'GLUE')",
            (wo, wo),
        )


def run_demo(conn: psycopg.Connection[Any], console: Console, psql: str = "psql", cli: str = "pytask-sync") -> None:
    """Run the story on ``conn`` (autocommit); each step is its own transaction.

    ``psql`` opens psql on that database and ``cli`` is pytask-sync pointed at it, for the closing tip.
    """
    ts = TaskSync(conn)
    row = conn.execute("SELECT count(*) FROM task_sync.work_order WHERE order_number LIKE 'JOB-%'").fetchone()
    order_number = f"JOB-{1001 + (row[0] if row else 0)}"
    wo = create_job(conn, order_number)
    _say(
        console,
        "1. A new job",
        f"Work order {order_number}: 5,000 folding cartons. Route {' → '.join(ROUTE)}; two artworks, a die, "
        "a gold foil plate, board to cut, two products to pack. Its inputs were just inserted, and "
        f"triggers marked it: check_sync_needed = {ts.check_sync_needed(wo)}. The preview:",
    )
    plan = ts.preview(wo)
    print_plan(console, plan)
    result = ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
    console.print(f"[green]execute[/green] with that plan_hash: added {result.added} draft tasks.")

    planner_edits(conn, wo)
    _say(
        console,
        "2. A planner works on the drafts",
        "Adds a colour note to the front printing task, trims die cutting to 4,800 sheets, "
        "and deletes the gluing task (done by a partner). Nothing marks the work order: edits are "
        f"the planner's to keep. check_sync_needed = {ts.check_sync_needed(wo)}.",
    )

    change_job(conn, wo)
    _say(
        console,
        "3. The customer changes the job",
        "Matte lamination added, the back artwork swapped for v2, 6,000 cartons instead of 5,000, "
        "more board to cut. The preview shows exactly what a sync will do, and what it keeps:",
    )
    plan = ts.preview(wo)
    print_plan(console, plan)

    result = ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
    _say(
        console,
        "4. Execute that plan",
        f"added {result.added}, removed {result.removed}, updated {result.updated}, "
        f"conflicts kept {result.conflicts}; sync_run {result.sync_run_id} records who did what. "
        "The planner's note survived the new quantity; the die-cutting edit was kept and reported; "
        "the deleted gluing task was not brought back.",
    )
    note = conn.execute(
        "SELECT work_content, production_quantity FROM task_sync.task WHERE work_order_id = %s"
        " AND task_type = 'printing' AND work_content LIKE %s",
        (wo, "%Pantone%"),
    ).fetchone()
    if note:
        console.print(Text.assemble("front printing task now: ", (note[0], "bold"), f", quantity {note[1]}"))

    _say(console, "5. And now", "A second preview has nothing left to do:")
    print_plan(console, ts.preview(wo))
    console.print(
        Text.assemble(
            "\nTry it yourself: ",
            (f"{cli} preview {wo}", "bold"),
            ", or open psql with ",
            (psql, "bold"),
            " and run ",
            (f"SELECT * FROM task_sync.plan({wo});", "bold"),
        )
    )
