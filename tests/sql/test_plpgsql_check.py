"""plpgsql_check over every PL/pgSQL function of the schema: no error, no unexplained warning.

Runs where the server has the extension (CI installs postgresql-15-plpgsql-check for the
PostgreSQL 15 run, with PYTASK_SYNC_REQUIRE_PLPGSQL_CHECK=1 so that it cannot skip there);
elsewhere it is skipped.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest

# (function, message start): findings that are understood, with the reason; none so far
EXPLAINED: set[tuple[str, str]] = set()


def test_plpgsql_check_finds_nothing(conn: psycopg.Connection[Any]) -> None:
    if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check'").fetchone() is None:
        if os.environ.get("PYTASK_SYNC_REQUIRE_PLPGSQL_CHECK"):
            pytest.fail("plpgsql_check is required (PYTASK_SYNC_REQUIRE_PLPGSQL_CHECK) but not installed")
        pytest.skip("plpgsql_check is not installed on this server")
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    rows = conn.execute(
        """
        SELECT p.proname, r.level, r.message, r.lineno
        FROM pg_proc p
        JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
        CROSS JOIN LATERAL plpgsql_check_function_tb(
            p.oid,
            relid => CASE WHEN p.prorettype = 'trigger'::regtype THEN
                (SELECT t.tgrelid FROM pg_trigger t WHERE t.tgfoid = p.oid LIMIT 1) ELSE 0 END,
            fatal_errors => false, extra_warnings => true, performance_warnings => false,
            -- the transition tables the trigger functions are declared with (40_triggers.sql)
            oldtable => CASE WHEN p.prorettype = 'trigger'::regtype THEN 'old_rows' END,
            newtable => CASE WHEN p.prorettype = 'trigger'::regtype THEN 'new_rows' END) AS r
        WHERE p.pronamespace IN ('task_sync'::regnamespace, 'task_sync_internal'::regnamespace)
        """
    ).fetchall()
    checked = conn.execute(
        "SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
        " WHERE l.lanname = 'plpgsql'"
        " AND p.pronamespace IN ('task_sync'::regnamespace, 'task_sync_internal'::regnamespace)"
    ).fetchone()
    assert checked is not None and checked[0] >= 15
    unexplained = [r for r in rows if not any(r[0] == f and (r[2] or "").startswith(m) for f, m in EXPLAINED)]
    assert unexplained == []
