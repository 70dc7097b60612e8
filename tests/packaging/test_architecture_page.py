"""docs/architecture.md names real things: every helper, trigger function, table and path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
SQL = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "sql").rglob("*.sql")))


def _named() -> set[str]:
    return set(re.findall(r"`([^`\s]+)`", PAGE))


def test_every_function_it_names_is_defined_in_sql() -> None:
    functions = {n.rstrip("()") for n in _named() if re.fullmatch(r"(_[a-z]\w*|tg_\w+)(\(\))?", n)}
    functions -= {"_queries", "_resources", "_revision"}  # modules of the package
    assert functions
    missing = sorted(f for f in functions if not re.search(rf"FUNCTION task_sync(_internal)?\.{f}\(", SQL))
    assert missing == []


def test_every_table_it_names_exists() -> None:
    tables = {
        n
        for n in _named()
        if re.fullmatch(
            r"(work_order_mark\w*|task_dismissal|sync_(run|item|failure|history|changes)|generation_rule)", n
        )
    }
    assert tables
    missing = sorted(t for t in tables if not re.search(rf"CREATE (TABLE|VIEW) task_sync\.{t}\b", SQL))
    assert missing == []


def test_every_path_it_names_exists() -> None:
    paths = {n for n in _named() if "/" in n and "000N" not in n}
    assert paths
    missing = sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists() and not list(ROOT.glob(p)))
    assert missing == []
