"""scripts/freeze_revision.py: what it writes, what it leaves to the author and where, how it fails.

The script reads files only (the parity test in ``test_migrations.py`` proves the revisions it
starts against a real database); these tests run it on copies of sql/ and of the history.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "freeze_revision.py"


@pytest.fixture
def freeze(monkeypatch: Any, tmp_path: Path) -> ModuleType:
    """The script, on a copy of sql/30_functions, sql/50_grants.sql and migrations/versions."""
    spec = importlib.util.spec_from_file_location("freeze_revision", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "freeze_revision", module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    shutil.copytree(module.FUNCTIONS, tmp_path / "30_functions")
    shutil.copytree(module.VERSIONS, tmp_path / "versions")
    shutil.copy(module.GRANTS, tmp_path / "50_grants.sql")
    monkeypatch.setattr(module, "FUNCTIONS", tmp_path / "30_functions")
    monkeypatch.setattr(module, "VERSIONS", tmp_path / "versions")
    monkeypatch.setattr(module, "GRANTS", tmp_path / "50_grants.sql")
    return module


def test_a_function_without_its_comment_is_named_not_a_bare_value_error(
    freeze: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    (freeze.FUNCTIONS / "_zz.sql").write_text(
        "-- a helper\nCREATE FUNCTION task_sync_internal._zz(p integer)\nRETURNS integer LANGUAGE sql RETURN p;\n"
    )
    with pytest.raises(freeze.FreezeError, match=r"_zz.sql, line 2: task_sync_internal._zz has no COMMENT ON"):
        freeze.diff()
    assert freeze.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("freeze_revision: ") and "COMMENT ON FUNCTION task_sync_internal._zz(...)" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_comment_of_the_next_function_does_not_stand_in_for_a_missing_one(freeze: ModuleType) -> None:
    (freeze.FUNCTIONS / "_zz.sql").write_text(
        "CREATE FUNCTION task_sync_internal._zz(p integer)\nRETURNS integer LANGUAGE sql RETURN p;\n\n"
        "CREATE FUNCTION task_sync_internal._zz(p text)\nRETURNS text LANGUAGE sql RETURN p;\n\n"
        "COMMENT ON FUNCTION task_sync_internal._zz(text) IS 'x';\n"
    )
    with pytest.raises(freeze.FreezeError, match=r"line 1: task_sync_internal._zz has no COMMENT"):
        freeze.diff()


def test_what_is_left_to_the_author_is_said_where_it_goes(freeze: ModuleType, monkeypatch: Any) -> None:
    """A type change goes before the functions (they are created against it), the rest after them;
    the grant of a new function is written; a changed declaration is named."""
    (freeze.FUNCTIONS / "zz.sql").write_text(
        "CREATE FUNCTION task_sync.zz(p integer)\nRETURNS integer LANGUAGE sql RETURN p;\n\n"
        "COMMENT ON FUNCTION task_sync.zz(integer) IS 'x';\n"
    )
    grants = freeze.GRANTS.read_text()
    freeze.GRANTS.write_text(
        grants.replace("TO task_sync_writer;", "    , task_sync.zz(integer)\nTO task_sync_writer;")
    )
    may_sync = freeze.FUNCTIONS / "_may_sync.sql"
    may_sync.write_text(may_sync.read_text().replace("RETURNS boolean", "RETURNS integer", 1))
    changes = {
        "sql/10_types.sql": ["-    overwritten boolean", "+    overwritten boolean,", "+    extra integer"],
        "sql/60_seed.sql": ["+INSERT INTO task_sync.process (code, name) VALUES ('X', 'x');"],
    }
    monkeypatch.setattr(freeze, "sql_changes", lambda previous: changes)
    up, down = freeze.compose("0099_try", "Try.", "0010_batch_cost")
    first_function = up.index("CREATE OR REPLACE FUNCTION")
    types_note = up.index("-- BY HAND, HERE, BEFORE THE FUNCTIONS")
    assert types_note < first_function
    assert up.index("--   +    extra integer") < first_function
    after = up.index("-- BY HAND, HERE, AFTER THE FUNCTIONS")
    assert after > up.index("REVOKE EXECUTE ON ALL FUNCTIONS")
    assert up.index("sql/60_seed.sql changed since 0010_batch_cost") > after
    assert "task_sync_internal._may_sync(text, text): its declaration changed" in up[after:]
    assert "GRANT EXECUTE ON FUNCTION task_sync.zz(integer) TO task_sync_writer;\n" in up
    assert down.index("-- BY HAND, HERE, BEFORE THE FUNCTIONS") < down.index("CREATE OR REPLACE FUNCTION")


def test_without_git_the_note_says_what_to_compare(freeze: ModuleType, monkeypatch: Any) -> None:
    monkeypatch.setattr(freeze, "sql_changes", lambda previous: None)
    up, _ = freeze.compose("0099_try", "Try.", "0010_batch_cost")
    assert "git could not tell what changed outside sql/30_functions since 0010_batch_cost" in up
    assert up.index("git could not tell") < up.index("REVOKE EXECUTE")


def test_the_changes_outside_the_functions_come_from_git(monkeypatch: Any, tmp_path: Path, freeze: ModuleType) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path / "repo", check=True, capture_output=True)

    repo = tmp_path / "repo"
    (repo / "sql" / "30_functions").mkdir(parents=True)
    (repo / "migrations" / "versions").mkdir(parents=True)
    (repo / "sql" / "10_types.sql").write_text("-- the type\nCREATE TYPE t AS (a int);\n")
    (repo / "sql" / "30_functions" / "f.sql").write_text("-- f\n")
    (repo / "sql" / "20_tables.sql").write_text("CREATE TABLE x (a int);\n")
    (repo / "migrations" / "versions" / "0001_a.up.sql").write_text("-- 0001\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "0001")
    (repo / "sql" / "10_types.sql").write_text("CREATE TYPE t AS (a int, b int);\n")
    (repo / "sql" / "20_tables.sql").unlink()
    (repo / "sql" / "30_functions" / "f.sql").write_text("-- f changed\n")
    (repo / "sql" / "70_new.sql").write_text("CREATE VIEW v AS SELECT 1;\n")
    monkeypatch.setattr(freeze, "ROOT", repo)
    assert freeze.sql_changes("0001_a") == {
        "sql/10_types.sql": ["--- the type", "-CREATE TYPE t AS (a int);", "+CREATE TYPE t AS (a int, b int);"],
        "sql/20_tables.sql": ["-CREATE TABLE x (a int);"],
        "sql/70_new.sql": ["+CREATE VIEW v AS SELECT 1;"],
    }
    assert freeze.sql_changes("0002_never_committed") is None


def test_the_revision_file_is_the_one_template_rendered(freeze: ModuleType) -> None:
    path = freeze.write_revision_file("0099_try", "Try it.", "0010_batch_cost")
    text = path.read_text()
    assert text.startswith('"""Try it.\n\nRevision ID: 0099_try\nRevises: 0010_batch_cost\n')
    assert 'revision = "0099_try"\ndown_revision = "0010_batch_cost"\n' in text
    assert "frozen_steps(__file__)" not in SCRIPT.read_text()  # no second copy of the template


def test_a_signature_laid_out_over_lines_with_a_block_is_the_same_function(freeze: ModuleType) -> None:
    """_plan_line's and _change_row's comments name their signatures over lines, with a generated
    block of the synced fields in them: the key is the signature, and a layout alone is no change."""
    path = freeze.FUNCTIONS / "_plan_line.sql"
    text = path.read_text()
    start = text.index("COMMENT ON FUNCTION task_sync_internal._plan_line(")
    end = text.index(") IS", start)
    signature = freeze._normal(text[start + len("COMMENT ON FUNCTION ") : end + 1])
    assert "--" not in signature and "synced" not in signature
    assert signature.startswith("task_sync_internal._plan_line(bigint, text, bigint, bigint, text, text, text, ")
    assert signature in freeze.frozen()
    assert freeze.diff() == ([], [], [])
    path.write_text(text[:start] + f"COMMENT ON FUNCTION {signature[:-1]}" + text[end:])  # on one line
    assert freeze.diff() == ([], [], [])
