"""The version follows the schema: a release names the schema revision it carries.

``pytask-sync --version`` prints the package's version and its alembic head; ``migrate current``
says the database's revision beside the one this release carries; CHANGELOG.md's newest release
section is this version and names that revision. The head is found here from the revision files
themselves (the one no other revision names as its ``down_revision``), not from the code under test.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import pytask_sync
from pytask_sync.cli import main
from pytask_sync.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]


def _head_of_the_revision_files() -> str:
    revisions: dict[str, str | None] = {}
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision(?:: str)? = ['\"](\w+)['\"]", text, re.M)
        down = re.search(r"^down_revision(?:: [^=]+)? = (?:['\"](\w+)['\"]|None)", text, re.M)
        assert rev and down, path.name
        revisions[rev[1]] = down[1]
    heads = set(revisions) - {d for d in revisions.values() if d}
    assert len(heads) == 1, heads
    return heads.pop()


def _version() -> str:
    return metadata.version("pytask-sync")


def test_the_version_is_pyprojects_and_the_packages() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert declared == "0.2.0"
    # an install made before the bump keeps the old metadata: reinstall (pip install -e .)
    assert _version() == declared and pytask_sync.__version__ == declared


def test_version_prints_the_version_and_the_schema_revision_it_carries(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    out, err = capsys.readouterr()
    assert exit_.value.code in (0, None) and err == ""
    assert out == f"pytask-sync {_version()} (schema revision {_head_of_the_revision_files()})\n"


def test_migrate_current_says_the_databases_revision_and_the_releases(empty_dsn: str, capsys: Any) -> None:
    head = _head_of_the_revision_files()
    migrate(empty_dsn, "0002_marks")
    assert main(["--dsn", empty_dsn, "migrate", "current"]) == 0
    out, _ = capsys.readouterr()
    said = " ".join(out.split())  # as one line, however the terminal's width wraps it
    assert (
        said
        == f"database at revision 0002_marks; pytask-sync {_version()} carries {head}: behind: run pytask-sync migrate"
    )
    migrate(empty_dsn)
    assert main(["--dsn", empty_dsn, "migrate", "current", "--json"]) == 0
    out, _ = capsys.readouterr()
    assert json.loads(out) == {"current": head, "head": head, "version": _version(), "state": "up to date"}


def test_the_newest_release_of_the_changelog_is_this_version_and_names_its_revision() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## (\d+\.\d+\.\d+)\b.*\n\n(.*)$", text, re.M)
    assert releases, "CHANGELOG.md has no release sections (## X.Y.Z ...)"
    version, first_line = releases[0]
    assert version == _version()
    assert f"Carries schema revision `{_head_of_the_revision_files()}`" in first_line
    # every release section says which revision it carries, and no two carry the same one
    carried = [re.search(r"Carries schema revision `(\w+)`", line) for _, line in releases]
    assert all(carried)
    assert len({m[1] for m in carried if m}) == len(releases)
