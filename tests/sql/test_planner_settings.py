"""The planner settings of the engine's calls, pinned alike.

Six functions carry the same planner ``SET`` block (``execute``, ``preview``, ``plan`` for one
work order; ``pending``, ``plan_pending``, ``sync_pending`` set-based), written in their files; the
readers of the marks turn sequential scans off (``pending``, ``_oldest_marks``). What each sets is
read from the catalog (``pg_proc.proconfig``: every setting but ``search_path``, which
``test_security.py`` pins) and must be what is decided here, and what docs/scaling.md explains, so that a
setting changed in one file and not the others, or not explained, fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg

#: for every function that runs a sync's statements: nested loops and JIT off
EVERY_CALL = {"enable_nestloop": "off", "jit": "off"}
#: for one work order's calls also: generic plans, no parallel workers
ONE_WORK_ORDER = {**EVERY_CALL, "plan_cache_mode": "force_generic_plan", "max_parallel_workers_per_gather": "0"}

DECIDED = {
    "task_sync.execute": ONE_WORK_ORDER,
    "task_sync.preview": ONE_WORK_ORDER,
    "task_sync.plan": ONE_WORK_ORDER,
    "task_sync.plan_pending": EVERY_CALL,
    "task_sync.sync_pending": EVERY_CALL,
    # a DBA's repair after a bulk load: plans are never reused (it runs once), only JIT is off
    "task_sync.repair_marks": {"jit": "off"},
    # the queue: hash joins (a backlog of 20,000 joined row by row took 7.6 s), and the marks by
    # their indexes, however large the largest backlog left the table and them
    "task_sync.pending": {**EVERY_CALL, "enable_seqscan": "off"},
    "task_sync_internal._oldest_marks": {"enable_seqscan": "off"},
}

PLANNER_SETTINGS = """
SELECT p.pronamespace::regnamespace::text || '.' || p.proname, p.oid::regprocedure::text,
       split_part(c, '=', 1), substr(c, length(split_part(c, '=', 1)) + 2)
FROM pg_proc p, unnest(p.proconfig) c
WHERE p.pronamespace IN ('task_sync'::regnamespace, 'task_sync_internal'::regnamespace)
  AND split_part(c, '=', 1) <> 'search_path'
ORDER BY 1, 2, 3
"""


def test_the_planner_settings_are_set_alike_where_decided(conn: psycopg.Connection[Any]) -> None:
    found: dict[tuple[str, str], dict[str, str]] = {}
    for name, signature, setting, value in conn.execute(PLANNER_SETTINGS).fetchall():
        found.setdefault((name, signature), {})[setting] = value
    assert {name for name, _ in found} == set(DECIDED)
    for (name, signature), settings in found.items():  # every overload of a name alike
        assert settings == DECIDED[name], signature


def _documented() -> dict[str, dict[str, str]]:
    """The table of docs/scaling.md: setting = value, on which functions ("the same five": the row above)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "scaling.md").read_text(encoding="utf-8")
    section = text.split("## The planner settings of the engine's calls", 1)[1].split("\n## ", 1)[0]
    out: dict[str, dict[str, str]] = {}
    names: list[str] = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`(\w+) = (\w+)`", cells[0]) if len(cells) > 2 else None
        if m is None:
            continue
        if not cells[1].startswith("the same"):
            names = re.findall(r"`(\w+)`", cells[1])
        for fn in names:
            schema = "task_sync_internal" if fn.startswith("_") else "task_sync"
            out.setdefault(f"{schema}.{fn}", {})[m.group(1)] = m.group(2)
    return out


def test_docs_explain_each_setting_where_it_is_set() -> None:
    documented = _documented()
    assert documented == {name: s for name, s in DECIDED.items() if name != "task_sync.repair_marks"}
