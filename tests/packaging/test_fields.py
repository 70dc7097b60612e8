"""The synced fields are named once (``pytask_sync.fields``): every block that spells them one by
one is what ``scripts/generate_fields.py`` writes from that list.

A block edited by hand, or a field added to the list without running the script, fails
``test_the_committed_files_are_generated``. ``test_a_field_added_to_the_list_changes_every_block``
adds one (of a type no field had) and checks that every file holding a block changes;
``test_a_field_added_to_the_list_syncs`` installs everything the script then writes and syncs
the field.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from pytask_sync.fields import SYNCED_FIELDS, SyncedField
from tests.builders import Builder

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
    """The files that hold blocks: the schema, the functions that compute, compare and write the
    fields (and the signatures their comments and grants name), the audit's sentences, and the
    Python descriptions."""
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
        "sql/30_functions/_desired.sql",
        "sql/30_functions/_field_outcome.sql",
        "sql/50_grants.sql",
        "sql/65_views.sql",
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


def test_a_block_for_each_type_is_written_once_per_type(script: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two text fields and an integer one: the overloads of a type are written once."""
    colour = SyncedField(
        name="colour", sql="text", py="str", django="TextField", sa="Text", what="", label="", says="", desired=""
    )
    monkeypatch.setattr(script, "SYNCED_FIELDS", (*SYNCED_FIELDS, colour))
    text = "\n".join(["-- for each synced type:", "--   f({sql})", "--", "stale", "-- end"])
    assert script.generate(text).split("\n")[3:] == ["f(text)", "", "f(integer)", "", "-- end"]
    with pytest.raises(script.BlockError, match=r"\{name\} in a block for each synced type"):
        script.generate("-- for each synced type:\n--   {name}\n-- end")


def test_a_value_of_several_lines_keeps_the_indent_of_its_line(script: ModuleType) -> None:
    text = "\n".join(["    -- for each synced field:", "    --     {desired},", "    -- end"])
    lines = script.generate(text).split("\n")
    case = lines.index("      CASE rt.quantity_source")
    assert lines[case + 1 : case + 5] == [
        "          WHEN 'one' THEN 1",
        "          WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)",
        "          ELSE s.quantity",
        "      END,",
    ]


def test_a_block_without_its_end_is_refused(script: ModuleType) -> None:
    with pytest.raises(script.BlockError, match="has no '-- end'"):
        script.generate("-- for each synced field:\n--   {name}\nx\n")


#: a field no release has: a new SQL type (so new _field_outcome / _field_write overloads), its
#: desired value from a rule column and the process
RUSH = SyncedField(
    name="rush",
    sql="boolean",
    py="bool",
    django="BooleanField",
    sa="Boolean",
    what="Whether to hurry",
    label="rush",
    says="rush %s",
    desired="rt.process_code IS NULL\n    OR rt.code = 'PRT'",
)


def test_a_field_added_to_the_list_changes_every_block(script: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file that holds a block is written anew for a field added to the list: no place that
    spells the fields is left to the author. (The next test installs what the script writes.)"""
    monkeypatch.setattr(script, "SYNCED_FIELDS", (*SYNCED_FIELDS, RUSH))
    unchanged = []
    for path in script.files():
        text = path.read_text()
        new = script.generate(text, str(path))
        added = [line for line in new.split("\n") if line not in text.split("\n")]
        if not any("rush" in line or "boolean" in line for line in added):
            unchanged.append(str(path.relative_to(ROOT)))
    assert unchanged == []


def test_a_field_added_to_the_list_syncs(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, _test_server: Any
) -> None:
    """One entry in the list and the script: the canonical install it writes has the field's columns
    everywhere a synced field has them, the functions and grants of its type, and a sync writes its
    desired value, keeps a planner's edit of it, and says it in the audit."""
    monkeypatch.setattr(script, "SYNCED_FIELDS", (*SYNCED_FIELDS, RUSH))
    files = sorted((ROOT / "sql").rglob("*.sql"), key=lambda p: p.relative_to(ROOT / "sql").as_posix())
    install = "\n".join(script.generate(p.read_text(), str(p)) for p in files)
    name = f"pytask_sync_fields_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_test_server.dsn(name), autocommit=True) as conn:
            with conn.transaction():
                conn.execute(install.encode())

            def columns(relation: str) -> list[str]:
                return [
                    r[0]
                    for r in conn.execute(
                        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
                        (relation,),
                    )
                ]

            assert {"rush", "generated_rush"} <= set(columns("task_sync.task"))
            assert {"current_rush", "baseline_rush", "desired_rush"} <= set(columns("task_sync.plan_row"))
            item, change = columns("task_sync.sync_item"), columns("task_sync_internal.change")
            assert {"rush", "previous_rush"} <= set(change)
            assert item[1:] == change
            reader = conn.execute(
                "SELECT has_function_privilege('task_sync_reader',"
                " 'task_sync_internal._field_outcome(boolean, boolean, boolean)', 'EXECUTE')"
            ).fetchone()
            assert reader == (True,)

            b = Builder(conn)
            wo = b.realistic()
            b.execute(wo)
            rush = {(t["task_type"], t["rush"], t["generated_rush"]) for t in b.tasks(wo)}
            assert ("printing", True, True) in rush and ("cutting", False, False) in rush
            said = conn.execute(
                "SELECT change FROM task_sync.sync_changes WHERE work_order_id = %s AND action = 'add'", (wo,)
            ).fetchall()
            assert said and all(r[0].endswith(("rush t", "rush f")) for r in said)

            # a planner's edit of it stands (three-way, by the new overloads); the audit says an update
            conn.execute(
                "UPDATE task_sync.task SET rush = true WHERE work_order_id = %s AND task_type = 'cutting'", (wo,)
            )
            conn.execute("UPDATE task_sync.work_order SET production_quantity = 4000 WHERE id = %s", (wo,))
            result = b.execute(wo)
            assert result["conflicts"] == 0, result
            assert {t["rush"] for t in b.tasks(wo) if t["task_type"] == "cutting"} == {True}
    finally:
        with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_field_that_reads_the_source_name_says_when() -> None:
    """A kind's catalog is read for its names only when one of its rules meets a field's names
    condition (_desired, _sources); a field whose desired value reads s.name with the default
    condition (false) would get NULL there."""
    for f in SYNCED_FIELDS:
        if re.search(r"\bs\.name\b", f.desired):
            assert f.names.strip().lower() != "false", f.name
