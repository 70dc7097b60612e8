"""The test suite itself: what people run while they edit must be quick."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# slow (pytest run again in a process of its own): pytest -m "not slow" leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_collecting_the_suite_starts_no_server() -> None:
    """``pytest --collect-only`` (what editors run) must not start PostgreSQL: with a server kind
    that cannot start, collecting still succeeds."""
    env = dict(os.environ, PYTASK_SYNC_TEST_SERVER="no-such-server")
    env.pop("PYTASK_SYNC_TEST_DSN", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", str(ROOT / "tests")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "tests collected" in done.stdout
