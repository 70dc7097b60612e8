"""The generated values of every seeded rule, for a realistic work order."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.builders import Builder


def test_every_seeded_rule_generates_its_tasks(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic("JOB-7", quantity=5000)
    b.execute(wo)
    wop = {
        code: wop_id
        for code, wop_id in conn.execute(
            "SELECT p.code, wop.id FROM task_sync.work_order_process wop"
            " JOIN task_sync.process p ON p.id = wop.process_id WHERE wop.work_order_id = %s",
            (wo,),
        )
    }
    art = {c: i for c, i in conn.execute("SELECT code, id FROM task_sync.artwork")}
    die = b.catalog("die", "DIE-1")
    foil = b.catalog("foiling_plate", "FOIL-1")
    emb = b.catalog("embossing_plate", "EMB-1")
    board_line = conn.execute(
        "SELECT l.id FROM task_sync.work_order_material l JOIN task_sync.material m ON m.id = l.material_id"
        " WHERE m.code = 'BOARD'"
    ).fetchone()[0]  # type: ignore[index]
    products = dict(
        conn.execute(
            "SELECT p.code, l.id FROM task_sync.work_order_product l JOIN task_sync.product p ON p.id = l.product_id"
        ).fetchall()
    )
    expected = {
        (wop["CTP"], "plate_making", "artwork", art["ART-F"], "JOB-7 plate making", 1),
        (wop["CTP"], "plate_making", "artwork", art["ART-B"], "JOB-7 plate making", 1),
        (wop["CTP"], "plate_making", "die", die, "JOB-7 plate making", 1),
        (wop["CTP"], "plate_making", "foiling_plate", foil, "JOB-7 plate making", 1),
        (wop["CTP"], "plate_making", "embossing_plate", emb, "JOB-7 plate making", 1),
        # only the material line that needs cutting, with its own quantity
        (wop["CUT"], "cutting", "material", board_line, "JOB-7 cutting", 1300),
        (wop["PRT"], "printing", "artwork", art["ART-F"], "JOB-7 printing", 5000),
        (wop["PRT"], "printing", "artwork", art["ART-B"], "JOB-7 printing", 5000),
        (wop["FOIL_G"], "foiling", "foiling_plate", foil, "JOB-7 foiling", 5000),
        (wop["EMB"], "embossing", "embossing_plate", emb, "JOB-7 embossing", 5000),
        (wop["DIE"], "die_cutting", "die", die, "JOB-7 die cutting", 5000),
        # GLUE has no rule of its own: the default rule, one task for the work order
        (wop["GLUE"], "general", "work_order", wo, "Gluing: JOB-7", 5000),
        (wop["PACK"], "packaging", "product", products["SKU-20"], "Tea 20 packaging", 3000),
        (wop["PACK"], "packaging", "product", products["SKU-40"], "Tea 40 packaging", 2000),
    }
    got = {
        (
            t["work_order_process_id"],
            t["task_type"],
            t["source_kind"],
            t["source_id"],
            t["work_content"],
            t["production_quantity"],
        )
        for t in b.tasks(wo)
    }
    assert got == expected
    for t in b.tasks(wo):
        assert (t["status"], t["origin"]) == ("draft", "generated")
        assert t["generated_work_content"] == t["work_content"]
        assert t["generated_production_quantity"] == t["production_quantity"]


def test_null_production_quantity_generates_zero(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.work_order("JOB-0", None)
    b.add_process(wo, "GLUE")
    b.execute(wo)
    assert [t["production_quantity"] for t in b.tasks(wo)] == [0]


def test_template_substitution_is_one_pass_and_literal(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    # a name holding a placeholder stays as written; quotes, percent signs, SQL and stray braces too
    wo = b.work_order("{process_name}'; DROP TABLE x; -- 100%")
    b.add_process(wo, "PACK")
    b.product_line(wo, "P-ODD", 5, name="{order_number} {source_name} }{")
    conn.execute(
        "UPDATE task_sync.generation_rule SET content_template = %s WHERE process_code = 'PACK'",
        ("{source_name} | {order_number} | {nope} | {{process_code}} | %s %% :x",),
    )
    b.execute(wo)
    (task,) = b.tasks(wo)
    assert task["work_content"] == (
        "{order_number} {source_name} }{ | {process_name}'; DROP TABLE x; -- 100% | {nope} | {PACK} | %s %% :x"
    )


def test_content_fast_and_token_paths_agree(conn: psycopg.Connection[Any]) -> None:
    cases = [
        ("{order_number} printing", "WO-1", "PRT", "Printing", "Front"),
        ("{process_name}: {order_number}", "A{B", "GLUE", "Gluing", "x"),
        ("{process_{order_number}}", "code", "P", "N", "S"),
        ("{process_{order_number}code}", "", "P", "N", "S"),
        ("no placeholders at all", "a", "b", "c", "d"),
        ("{source_name}{source_name}", "a", "b", "c", "{order_number}"),
        ("{", "a", "b", "c", "d"),
        ("", "a", "b", "c", "d"),
    ]
    for args in cases:
        fast, slow = conn.execute(FAST_AND_TOKENS, args).fetchone()  # type: ignore[misc]
        assert fast == slow, args
    fast, _ = conn.execute(FAST_AND_TOKENS, ("{process_{order_number}}", "code", "P", "N", "S")).fetchone()  # type: ignore[misc]
    assert fast == "{process_code}"


# the fast path as _desired runs it (a rule's check, then per route row, then per task), beside
# the general one
FAST_AND_TOKENS = """
SELECT task_sync_internal._content_from_pre(
           task_sync_internal._template_pre(t, task_sync_internal._template_ok(t), o, c, n), t, o, c, n, s),
       task_sync_internal._content_tokens(t, o, c, n, s)
FROM (VALUES (%s, %s, %s, %s, %s)) AS v(t, o, c, n, s)
"""
