"""Every example of output in the README and docs/ is what the code prints (scripts/doc_examples.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


def test_the_examples_in_the_docs_are_what_the_code_prints(empty_dsn: str) -> None:
    script = _script()
    migrate(empty_dsn)
    diff = script.differences(empty_dsn)
    assert not diff, "run: python scripts/doc_examples.py\n" + "".join(diff)


def test_every_marked_block_has_an_example_and_is_in_a_file() -> None:
    script = _script()
    names = [m[1] for path in script.FILES for m in script.MARK.finditer(path.read_text(encoding="utf-8"))]
    # each example once (the story's names: a block left without one fails the check above)
    assert len(set(names)) == len(names), names
    assert {"preview", "review-then-apply", "stale-plan", "cli-errors", "tsp01", "psql-stale-plan"} <= set(names)
    with pytest.raises(KeyError, match="no example named"):
        script.rewrite("<!-- example: nothing-such -->\n```\n```\n", {})
