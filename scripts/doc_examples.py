"""The examples of output in the README and docs/, written by the code itself: ``python scripts/doc_examples.py``.

A block of output in a Markdown file is marked by the line ``<!-- example: NAME -->`` right above
its fence; this script runs the story below on a fresh database (a scratch database on the
server ``--dsn`` names, else on the embedded PostgreSQL; installed by the migrations, dropped at
the end), and writes each block from what the commands print. ``--check`` writes nothing and
exits 1 with a diff when a block differs; ``tests/cli/test_doc_examples.py`` runs that check, so
an example cannot drift from the code.

The story: job JOB-1001 is synced, edited by a planner and changed by the customer (the demo's
job); its plan is reviewed as JSON and applied later by its hash; job JOB-1002's reviewed plan goes
stale when the customer changes it, and is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARK = re.compile(r"^<!-- example: ([a-z0-9-]+) -->\n```[a-z]*\n(.*?)^```$", re.M | re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDTH = "80"


class Story:
    """The commands of the examples, run in order on one database; each example's text by name."""

    def __init__(self, dsn: str, workdir: Path) -> None:
        self.dsn = dsn
        self.workdir = workdir
        self.examples: dict[str, str] = {}

    # -- how a command is run and shown ---------------------------------------------------------

    def cli(self, *argv: str, into: str | None = None, show: str | None = None, status: bool = False) -> str:
        """``$ pytask-sync argv`` and what it prints (stdout, then stderr), run in this process."""
        from pytask_sync.cli import main

        out, err = io.StringIO(), io.StringIO()
        with _environment(COLUMNS=WIDTH), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--dsn", self.dsn, *argv])
        shown = f"$ {show or ' '.join(['pytask-sync', *argv])}"
        if into is not None:
            (self.workdir / into).write_text(out.getvalue(), encoding="utf-8")
            shown += f" > {into}"
            printed = err.getvalue()
        else:
            printed = out.getvalue() + err.getvalue()
        if status:
            shown += '; echo "exit $?"'
            printed += f"exit {code}\n"
        return shown + "\n" + _plain(printed)

    def psql(self, *commands: str, show: str) -> str:
        """``$ psql ...`` at psql's default verbosity, as a DBA's terminal shows it (stderr too)."""
        from pytask_sync.cli._target import libpq_env

        argv = [_psql(), "-X", "-q"]
        for command in commands:
            argv += ["-c", command]
        done = subprocess.run(
            argv, env=libpq_env(self.dsn), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
        )
        return f"$ {show}\n{_plain(done.stdout)}"

    # -- the story --------------------------------------------------------------------------------

    def run(self) -> dict[str, str]:
        from pytask_sync import TaskSync
        from pytask_sync.demo import change_job, create_job, planner_edits

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            ts = TaskSync(conn)
            first = create_job(conn, "JOB-1001")
            ts.execute(first, confirm=True, expected_plan_hash=ts.preview(first).plan_hash)
            planner_edits(conn, first)
            change_job(conn, first)

            self.examples["preview"] = self.cli("preview", str(first))
            self.examples["review-then-apply"] = "\n".join(
                [
                    "# review: the plan as JSON, for a person, a ticket, a change board",
                    self.cli("preview", str(first), "--json", into="plan-1001.json").rstrip(),
                    "",
                    "# later, in another call: apply exactly that plan, or refuse it as stale",
                    self.cli("execute", str(first), "--plan-hash", "@plan-1001.json", status=True),
                ]
            )

            second = create_job(conn, "JOB-1002")
            stale_file = self.cli("preview", str(second), "--json", into="plan-1002.json").rstrip()
            plan_hash = json.loads((self.workdir / "plan-1002.json").read_text())["plan_hash"]
            change_job(conn, second)  # the customer, between the review and the apply
            self.examples["stale-plan"] = "\n".join(
                [
                    stale_file,
                    "# ... meanwhile the customer raises the quantity ...",
                    self.cli("execute", str(second), "--plan-hash", "@plan-1002.json", status=True),
                ]
            )
            self.examples["psql-stale-plan"] = self.psql(
                f"SELECT task_sync.execute({second}, true, '{plan_hash}')",
                show=f"psql -c \"SELECT task_sync.execute({second}, true, '{plan_hash[:8]}...')\"",
            ).replace(plan_hash, plan_hash[:8] + "...")

            synced = conn.execute("SELECT synced_version FROM task_sync.work_order WHERE id = %s", (first,)).fetchone()
            assert synced is not None
            self.examples["tsp01"] = self.psql(
                "SET ROLE task_sync_writer",
                f"UPDATE task_sync.work_order SET synced_version = {synced[0] + 1} WHERE id = {first}",
                show=f"psql -c 'SET ROLE task_sync_writer' \\\n       -c 'UPDATE task_sync.work_order "
                f"SET synced_version = {synced[0] + 1} WHERE id = {first}'",
            )

            self.examples["cli-errors"] = "\n".join(
                [
                    self.cli("preview", "999", status=True, show="pytask-sync preview 999").rstrip(),
                    self.cli_dsn("garbage=1", "preview", "1").rstrip(),
                    self.cli_dsn("host=127.0.0.1 port=1", "preview", "1").rstrip(),
                    self.cli("execute", str(second), status=True).rstrip(),
                ]
            )
        return self.examples

    def cli_dsn(self, dsn: str, *argv: str) -> str:
        """A command given another DSN (its error is the example)."""
        saved, self.dsn = self.dsn, dsn
        try:
            return self.cli(*argv, show=" ".join(["pytask-sync", "--dsn", f"'{dsn}'", *argv]), status=True)
        finally:
            self.dsn = saved


def _plain(text: str) -> str:
    """Without colours, without the trailing spaces of table rows; paths of this run's folders hidden."""
    text = ANSI.sub("", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + ("\n" if text else "")


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in [*values, "PYTASK_SYNC_DSN", "DATABASE_URL"]}
    os.environ.update(values)
    os.environ.pop("PYTASK_SYNC_DSN", None)
    os.environ.pop("DATABASE_URL", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    from pytask_sync import embedded

    return str(embedded.psql_path())


def examples(dsn: str) -> dict[str, str]:
    """Every example's text, from the story run on ``dsn`` (a migrated database with nothing in it)."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the story's files (plan-1001.json) are where its commands say
        try:
            return Story(dsn, Path(tmp)).run()
        finally:
            os.chdir(old)


def rewrite(text: str, found: dict[str, str]) -> str:
    """``text`` with each marked block replaced by its example; an unknown name is an error."""

    def block(match: re.Match[str]) -> str:
        name = match[1]
        if name not in found:
            raise KeyError(f"no example named {name!r} (known: {', '.join(sorted(found))})")
        fence = match[0].split("\n", 2)[1]
        return f"<!-- example: {name} -->\n{fence}\n{found[name].rstrip()}\n```"

    return MARK.sub(block, text)


def differences(dsn: str, same: Callable[[str], str] = lambda text: text) -> list[str]:
    """The diff of every file whose examples are not what the code prints; empty when all agree.

    ``same`` maps both texts before they are compared (what may differ and still agree).
    """
    found = examples(dsn)
    out = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, found)
        if same(new) != same(text):
            rel = str(path.relative_to(ROOT))
            old_lines, new_lines = same(text).splitlines(True), same(new).splitlines(True)
            out += difflib.unified_diff(old_lines, new_lines, rel, f"{rel} (the code's)")
    return out


@contextlib.contextmanager
def scratch_database(server_dsn: str | None) -> Iterator[str]:
    """A new database on ``server_dsn``'s server (else the embedded one), migrated; dropped afterwards."""
    from psycopg.conninfo import make_conninfo

    from pytask_sync.migrate import migrate

    if server_dsn is None:
        from pytask_sync import embedded

        server_dsn = embedded.start().dsn
    name = f"pytask_sync_examples_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = make_conninfo(server_dsn, dbname=name)
        migrate(dsn)
        yield dsn
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 with a diff when a block differs")
    parser.add_argument("--dsn", help="a server where this role may create databases (default: the embedded one)")
    args = parser.parse_args(argv)
    with scratch_database(args.dsn) as dsn:
        if args.check:
            diff = differences(dsn)
            sys.stdout.writelines(diff)
            return 1 if diff else 0
        found = examples(dsn)
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, found)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
