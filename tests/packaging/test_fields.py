"""The synced fields are named once (``pytask_sync.fields``): every block that spells them one by
one is what ``scripts/generate_fields.py`` writes from that list.

A block edited by hand, or a field added to the list without running the script, fails
``test_the_committed_files_are_generated``; ``test_a_field_added_to_the_list_reaches_the_schema``
adds one and installs the types and tables the script writes for it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from pytask_sync.fields import SYNCED_FIELDS, SyncedField

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_fields.py"


@pytest.fixture
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_fields", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_files_are_generated() -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_the_blocks_are_where_the_fields_are_spelled(script: ModuleType) -> None:
    """The files that hold blocks: the schema, the functions that compare and write the fields,
    and the Python descriptions."""
    held = {str(p.relative_to(ROOT)) for p in script.files()}
    assert held >= {
        "sql/10_types.sql",
        "sql/20_tables.sql",
        "sql/40_triggers.sql",
        "sql/30_functions/_plan_line.sql",
        "sql/30_functions/_plan_rows.sql",
        "sql/30_functions/_change_row.sql",
        "sql/30_functions/_write_tasks.sql",
        "sql/30_functions/_write_books.sql",
        "sql/30_functions/tg_task__mark.sql",
        "sql/30_functions/_task_update_ok.sql",
        "pytask_sync/models.py",
        "pytask_sync/tables.py",
        "pytask_sync/django/models.py",
    }


def test_a_block_edited_by_hand_is_found(script: ModuleType, tmp_path: Path) -> None:
    text = (ROOT / "sql" / "10_types.sql").read_text()
    assert script.generate(text) == text
    edited = text.replace("    previous_production_quantity   integer,\n", "")
    assert edited != text and script.generate(edited) == text


@pytest.mark.parametrize(
    ("join", "expected"),
    [
        (None, ["  a_work_content,", "  a_production_quantity,"]),
        (",", ["  a_work_content,", "  a_production_quantity"]),
        ("OR", ["  a_work_content", "  OR a_production_quantity"]),
    ],
)
def test_the_joiners(script: ModuleType, join: str | None, expected: list[str]) -> None:
    marker = "  -- for each synced field" + (f', joined by "{join}"' if join else "") + ":"
    template = "  --   a_{name}" + ("," if join is None else "")
    text = "\n".join([marker, template, "stale", "  -- end"])
    assert script.generate(text).split("\n") == [marker, template, *expected, "  -- end"]


def test_a_block_without_its_end_is_refused(script: ModuleType) -> None:
    with pytest.raises(script.BlockError, match="has no '-- end'"):
        script.generate("-- for each synced field:\n--   {name}\nx\n")


def test_a_field_added_to_the_list_reaches_the_schema(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, _test_server: Any
) -> None:
    """One line in the list: the types and tables the script writes then have the field's columns
    everywhere a synced field has them (the functions also need its desired value, from _desired)."""
    colour = SyncedField(
        name="colour", sql="text", py="str", django="TextField", sa="Text", what="Which colour", label="colour"
    )
    monkeypatch.setattr(script, "SYNCED_FIELDS", (*SYNCED_FIELDS, colour))
    schema = "\n".join(script.generate((ROOT / "sql" / f).read_text()) for f in ("00_schema.sql", "10_types.sql"))
    tables = script.generate((ROOT / "sql" / "20_tables.sql").read_text())
    name = f"pytask_sync_fields_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_test_server.dsn(name), autocommit=True) as conn:
            conn.execute(schema)
            conn.execute(tables)

            def columns(relation: str) -> list[str]:
                return [
                    r[0]
                    for r in conn.execute(
                        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
                        (relation,),
                    )
                ]

            assert {"colour", "generated_colour"} <= set(columns("task_sync.task"))
            assert {"current_colour", "baseline_colour", "desired_colour"} <= set(columns("task_sync.plan_row"))
            item, change = columns("task_sync.sync_item"), columns("task_sync_internal.change")
            assert {"colour", "previous_colour"} <= set(change)
            assert item[1:] == change
    finally:
        with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
