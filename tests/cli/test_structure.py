"""The command line's rooms: small modules, drawing only in render, one policy for the database."""

from __future__ import annotations

from pathlib import Path

import pytask_sync.cli
from pytask_sync.cli import COMMANDS

CLI = Path(pytask_sync.cli.__file__).parent


def test_every_module_of_the_cli_is_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in CLI.glob("*.py")}
    assert len(sizes) >= 6 and max(sizes.values()) <= 450, sizes


def test_only_render_draws() -> None:
    for path in CLI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for drawing in ("rich.table", "Table(", "rich.panel", "add_column"):
            assert drawing not in text, (path.name, drawing)


def test_one_policy_decides_which_database_and_whether_to_migrate() -> None:
    deciders = []
    for path in CLI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if 'PYTASK_SYNC_DSN")' in text or 'environ.get("DATABASE_URL")' in text:
            deciders.append(path.name)
    assert deciders == ["_target.py"], deciders
    assert COMMANDS["migrate"].policy.migrate == "never" and COMMANDS["demo"].policy.env is False
