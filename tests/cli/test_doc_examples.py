"""Every example of output in the README and docs/ is what the code prints (scripts/doc_examples.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

from pytask_sync.migrate import migrate

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "doc_examples.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("doc_examples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["doc_examples"] = module
    spec.loader.exec_module(module)
    return module


#: the major version the examples are written on: the embedded server's, the default
WRITTEN_ON = 18


def _task_ids_aside(text: str) -> str:
    """The text with task ids (``#12``, ``task 12``) and plan hashes (which cover them) said alike:
    which id a sync draws for which draft follows the order of a set-based INSERT, which is the
    planner's and may differ between major versions; everything else must agree."""
    text = re.sub(r"[0-9a-f]{64}", "H", re.sub(r"(#|task |task_id\W+)\d+", r"\1N", text))
    return re.sub(r" +", " ", text)  # a shorter id pads its cell


def test_the_examples_in_the_docs_are_what_the_code_prints(empty_dsn: str) -> None:
    script = _script()
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        major = conn.info.server_version // 10000
    same = (lambda t: t) if major == WRITTEN_ON else _task_ids_aside
    diff = script.differences(empty_dsn, same=same)
    assert not diff, "run: python scripts/doc_examples.py\n" + "".join(diff)


def test_every_marked_block_has_an_example_and_is_in_a_file() -> None:
    script = _script()
    names = [m[1] for path in script.FILES for m in script.MARK.finditer(path.read_text(encoding="utf-8"))]
    # each example once (the story's names: a block left without one fails the check above)
    assert len(set(names)) == len(names), names
    assert {"preview", "review-then-apply", "stale-plan", "cli-errors", "tsp01", "psql-stale-plan"} <= set(names)
    with pytest.raises(KeyError, match="no example named"):
        script.rewrite("<!-- example: nothing-such -->\n```\n```\n", {})
