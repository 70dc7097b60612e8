"""The Python wrapper's own cost per call, of this tree against another commit's.

    python bench/wrapper_cost.py ce0196a            # the commit before the connectors, against this tree
    python bench/wrapper_cost.py ce0196a --rounds 8

bench/compare.py installs each commit's SQL and times it through psycopg directly: it never runs
the wrapper (``TaskSync``, its connector and retry loop). This times the wrapper: one embedded
server, this tree's schema, one synced work order; then, alternating between the two package trees
(the other one a ``git worktree`` of the commit, deleted after), a subprocess of each times
``TaskSync(conn).check_sync_needed``, ``TaskSync(conn).preview`` and the bare
``SELECT task_sync.check_sync_needed(...)`` (medians of 5 loops). The wrapper's cost is the
wrapped call minus the bare one, measured in the same subprocess (the machine's mood falls on both);
the report gives its median over the rounds for each tree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import psycopg
import pytask_sync
from pytask_sync import TaskSync
assert pytask_sync.__file__.startswith(sys.argv[1]), pytask_sync.__file__
dsn, wo = sys.argv[2], int(sys.argv[3])
with psycopg.connect(dsn, autocommit=True) as c:
    ts = TaskSync(c)
    calls = {
        "check_sync_needed": (lambda: ts.check_sync_needed(wo), 3000),
        "preview": (lambda: ts.preview(wo), 1000),
        "bare": (lambda: c.execute("SELECT task_sync.check_sync_needed(%s)", (wo,)).fetchone(), 3000),
    }
    out = {}
    for name, (f, n) in calls.items():
        for _ in range(200):
            f()
        loops = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                f()
            loops.append((time.perf_counter() - t) / n * 1e6)
        out[name] = statistics.median(loops)
    print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("commit", help="the other commit (a git revision)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import psycopg

    from bench import load
    from pytask_sync._resources import canonical_sql
    from tests.builders import Builder

    other = Path(tempfile.mkdtemp(prefix="pytask-sync-wrapper-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(other), args.commit], check=True)
    per: dict[str, list[dict[str, float]]] = {args.commit: [], "this tree": []}
    try:
        with load.server(None, "wrapper-cost") as dsn:
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute(canonical_sql())
                b = Builder(c)
                wo = b.realistic()
                b.execute(wo)
            for _ in range(args.rounds):
                for name, tree in ((args.commit, other), ("this tree", ROOT)):
                    started = time.monotonic()
                    res = subprocess.run(
                        [sys.executable, "-c", CHILD, str(tree), dsn, str(wo)],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    per[name].append(json.loads(res.stdout))
                    load.log(f"{name}: {per[name][-1]} ({time.monotonic() - started:.0f} s)")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)
    report = {
        name: {
            "check_sync_needed_us": round(statistics.median(r["check_sync_needed"] for r in rows), 1),
            "preview_us": round(statistics.median(r["preview"] for r in rows), 1),
            "bare_us": round(statistics.median(r["bare"] for r in rows), 1),
            "wrapper_us": round(statistics.median(r["check_sync_needed"] - r["bare"] for r in rows), 1),
        }
        for name, rows in per.items()
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
