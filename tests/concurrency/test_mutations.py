"""The concurrency suite bites: with the row lock, or the row lock and the unique key, removed from a
throwaway install, it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# slow (the concurrency suite run again per mutation): pytest -m "not slow" leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("mutation", "must_fail"),
    [
        # without the row locks, two syncs of one work order are still kept apart by the unique
        # key: the second waits on the first's insert, then fails on the key. A batch that meets a
        # work order another session is executing waits on it instead of passing it over. (Four
        # batch workers racing each other no longer show it: the attempt that failed on the key is
        # tried again and finds nothing to do, and at REPEATABLE READ recording its failure takes
        # the work order's row, a serialization failure that TaskSync retries. Slower, not wrong.)
        ("no_row_lock", ["test_batch_skips_a_work_order_being_executed"]),
        ("no_row_lock,no_unique_key", ["test_two_executes_of_one_work_order"]),
    ],
)
def test_concurrency_suite_catches(mutation: str, must_fail: list[str]) -> None:
    env = dict(os.environ, PYTASK_SYNC_TEST_MUTATION=mutation, PYTASK_SYNC_TEST_DBNAME="pytask_sync_mutant")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rf",
            "-p",
            "no:cacheprovider",
            "tests/concurrency/test_concurrency.py",
            "-k",
            " or ".join(must_fail),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout[-3000:]
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    for name in must_fail:
        assert any(name in line for line in failed), done.stdout[-3000:]
