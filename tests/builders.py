"""Builders of test data, all through plain SQL on a psycopg connection."""

from __future__ import annotations

import itertools
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

_numbers = itertools.count(1)


class Builder:
    """Creates catalogs, work orders and their inputs; reads tasks back."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def _one(self, query: Any, params: Any = None) -> Any:
        row = self.conn.execute(query, params).fetchone()
        assert row is not None
        return row[0]

    def catalog(self, table: str, code: str, name: str | None = None) -> int:
        """The id of catalog row ``code`` in ``table``, created when missing."""
        return int(
            self._one(
                sql.SQL(
                    "INSERT INTO task_sync.{} (code, name) VALUES (%s, %s)"
                    " ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id"
                ).format(sql.Identifier(table)),
                (code, name or f"{table} {code}"),
            )
        )

    def process_id(self, code: str) -> int:
        return int(self._one("SELECT id FROM task_sync.process WHERE code = %s", (code,)))

    def work_order(
        self,
        order_number: str | None = None,
        production_quantity: int | None = 100,
        *,
        status: str = "pending",
        approval_status: str = "pending",
    ) -> int:
        number = order_number or f"WO-{next(_numbers):05d}"
        return int(
            self._one(
                "INSERT INTO task_sync.work_order (order_number, production_quantity, status, approval_status)"
                " VALUES (%s, %s, %s, %s) RETURNING id",
                (number, production_quantity, status, approval_status),
            )
        )

    def add_process(self, wo: int, code: str, sequence: int | None = None) -> int:
        if sequence is None:
            sequence = int(
                self._one(
                    "SELECT coalesce(max(sequence), 0) + 10 FROM task_sync.work_order_process WHERE work_order_id = %s",
                    (wo,),
                )
            )
        return int(
            self._one(
                "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
                " VALUES (%s, %s, %s) RETURNING id",
                (wo, self.process_id(code), sequence),
            )
        )

    def link(self, wo: int, kind: str, code: str, name: str | None = None) -> int:
        """Links catalog row ``code`` of the link kind ``kind`` (created when missing) to ``wo``;
        returns the catalog id (the tasks' source_id). Tables follow the registry's convention:
        ``<kind>`` and ``work_order_<kind>.<kind>_id``."""
        source = self.catalog(kind, code, name)
        self.conn.execute(
            sql.SQL("INSERT INTO task_sync.{} (work_order_id, {}) VALUES (%s, %s)").format(
                sql.Identifier(f"work_order_{kind}"), sql.Identifier(f"{kind}_id")
            ),
            (wo, source),
        )
        return source

    def line(self, wo: int, kind: str, code: str, quantity: int, name: str | None = None, **extra: Any) -> int:
        """A line of the line kind ``kind`` on ``wo`` (its catalog row created when missing), with
        any ``extra`` columns of that lines table; returns the line id (the tasks' source_id)."""
        columns = ["work_order_id", f"{kind}_id", "quantity", *extra]
        return int(
            self._one(
                sql.SQL("INSERT INTO task_sync.{} ({}) VALUES ({}) RETURNING id").format(
                    sql.Identifier(f"work_order_{kind}"),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                ),
                (wo, self.catalog(kind, code, name), quantity, *extra.values()),
            )
        )

    def material_line(self, wo: int, code: str, quantity: int, need_cutting: bool = True) -> int:
        return self.line(wo, "material", code, quantity, need_cutting=need_cutting)

    def product_line(self, wo: int, code: str, quantity: int, name: str | None = None) -> int:
        return self.line(wo, "product", code, quantity, name)

    def realistic(self, order_number: str | None = None, quantity: int = 5000) -> int:
        """A folding-carton job touching every seeded rule."""
        wo = self.work_order(order_number, quantity)
        for code in ("CTP", "CUT", "PRT", "FOIL_G", "EMB", "DIE", "GLUE", "PACK"):
            self.add_process(wo, code)
        self.link(wo, "artwork", "ART-F", "Front")
        self.link(wo, "artwork", "ART-B", "Back")
        self.link(wo, "die", "DIE-1", "Tuck end die")
        self.link(wo, "foiling_plate", "FOIL-1", "Gold logo")
        self.link(wo, "embossing_plate", "EMB-1", "Crest")
        self.material_line(wo, "BOARD", 1300, need_cutting=True)
        self.material_line(wo, "CASE", 120, need_cutting=False)
        self.product_line(wo, "SKU-20", 3000, "Tea 20")
        self.product_line(wo, "SKU-40", 2000, "Tea 40")
        return wo

    def tangled(self) -> int:
        """A synced realistic job with a conflict, plain updates and a dismissal pending: a planner
        edited the quantity of one printing draft before the work order's quantity moved, and
        deleted the die-cutting draft, whose key stays desired."""
        wo = self.realistic()
        self.execute(wo)
        self.conn.execute(
            "UPDATE task_sync.task SET production_quantity = 1 WHERE id = ("
            " SELECT min(id) FROM task_sync.task WHERE work_order_id = %s AND task_type = 'printing')",
            (wo,),
        )
        self.conn.execute("UPDATE task_sync.work_order SET production_quantity = 4000 WHERE id = %s", (wo,))
        self.conn.execute("DELETE FROM task_sync.task WHERE work_order_id = %s AND task_type = 'die_cutting'", (wo,))
        return wo

    # -- reading back ------------------------------------------------------------------------

    def tasks(self, wo: int | None = None) -> list[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM task_sync.task WHERE %(wo)s::bigint IS NULL OR work_order_id = %(wo)s ORDER BY id",
                {"wo": wo},
            )
            return cur.fetchall()

    def versions(self, wo: int) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT w.synced_version + (SELECT count(*) FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id),"
            " w.synced_version FROM task_sync.work_order w WHERE w.id = %s",
            (wo,),
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of the schema, for 'nothing changed' assertions."""
        tables = [
            r[0]
            for r in self.conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'task_sync' AND tablename <> 'alembic_version'"
                # task_sync.applying is the owner's alone (and empty outside a running sync)
                " AND has_table_privilege(format('%I.%I', schemaname, tablename), 'SELECT') ORDER BY 1"
            )
        ]
        # ORDER BY the whole row: every table has a key, so the order is total
        return {t: self.conn.execute(f"SELECT * FROM task_sync.{t} AS r ORDER BY r").fetchall() for t in tables}

    def preview(self, wo: int) -> dict[str, Any]:
        return dict(self._one("SELECT task_sync.preview(%s)", (wo,)))

    def execute(self, wo: int, **kwargs: Any) -> dict[str, Any]:
        args = ", ".join(f"{k} => %({k})s" for k in kwargs)
        sql = f"SELECT task_sync.execute(%(wo)s, true{', ' + args if args else ''})"
        return dict(self._one(sql, {"wo": wo, **kwargs}))

    def generated_keys(self, wo: int, status: str = "draft") -> set[tuple[Any, ...]]:
        return {
            (t["work_order_process_id"], t["task_type"], t["source_kind"], t["source_id"])
            for t in self.tasks(wo)
            if t["origin"] == "generated" and t["status"] == status
        }


def bulk_jobs(conn: psycopg.Connection[Any], n: int) -> list[int]:
    """n small work orders (GLUE and PRT with one artwork), made set-based."""
    art = Builder(conn).catalog("artwork", "ART-BULK")
    ids = [
        r[0]
        for r in conn.execute(
            "INSERT INTO task_sync.work_order (order_number, production_quantity)"
            " SELECT 'BULK-' || g, g FROM generate_series(1, %s) g RETURNING id",
            (n,),
        )
    ]
    conn.execute(
        "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
        " SELECT w, p.id, s FROM unnest(%s::bigint[]) w,"
        " (VALUES ('GLUE', 10), ('PRT', 20)) v(code, s) JOIN task_sync.process p ON p.code = v.code",
        (ids,),
    )
    conn.execute("INSERT INTO task_sync.work_order_artwork SELECT w, %s FROM unnest(%s::bigint[]) w", (art, ids))
    return ids
