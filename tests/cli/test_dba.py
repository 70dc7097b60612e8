"""The command line a DBA trusts on production: a reviewed plan applied later or refused as stale,
a question before anything destroys data, exact exit codes on every command and output form,
tables that fit narrow terminals, DSNs never wrapped, errors in the project's words."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pytask_sync import cli as cli_module
from pytask_sync.cli import main
from pytask_sync.migrate import current_revision, migrate
from tests.builders import Builder

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
#: what a Python class name looks like in an error line (ProgrammingError, OperationalError, ...)
CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Warning)\b")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and not CLASS_NAME.search(lines[0]), lines[0]
    return lines[0]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """stdin is a terminal; each question is answered with the next of the returned list (default no)."""
    answers: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("rich.console.Console.input", lambda self, prompt="", **kw: answers.pop(0) if answers else "n")
    return answers


# -- review now, apply later ------------------------------------------------------------------


def test_a_reviewed_plan_is_applied_later_by_its_hash(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    b = Builder(conn)
    wo = b.tangled()
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), "--json")
    reviewed = json.loads(out)
    assert code == 0 and reviewed["summary"]["update"] > 0
    # later, another call, no terminal, no --yes: the hash is the confirmation
    code, out, err = run(capsys, "--dsn", dsn, "execute", str(wo), "--plan-hash", reviewed["plan_hash"], "--json")
    assert code == 0, err
    done = json.loads(out)
    assert done["plan_hash"] == reviewed["plan_hash"] and done["updated"] == reviewed["summary"]["update"]
    assert not conn.execute("SELECT task_sync.check_sync_needed(%s)", (wo,)).fetchone()[0]


def test_a_reviewed_plan_file_is_applied_with_its_flags(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any, tmp_path: Path
) -> None:
    b = Builder(conn)
    wo = b.tangled()
    plan_file = tmp_path / "plan.json"
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), "--overwrite-edits", "--json")
    plan_file.write_text(out)
    before = b.snapshot()
    # the file was previewed with --overwrite-edits: applying it without is refused, nothing read wrong
    code, out, err = run(capsys, "--dsn", dsn, "execute", str(wo), "--plan-hash", f"@{plan_file}")
    assert code == 2 and out == "" and "--overwrite-edits" in one_line(err)
    code, out, err = run(capsys, "--dsn", dsn, "execute", "999", "--plan-hash", f"@{plan_file}")
    assert code == 2 and out == "" and f"work order {wo}" in one_line(err)
    assert b.snapshot() == before
    code, out, err = run(capsys, "--dsn", dsn, "execute", str(wo), "--overwrite-edits", "--plan-hash", f"@{plan_file}")
    assert code == 0 and f"Synced work order {wo}" in out and "conflicts kept 0" in out, err


def test_a_stale_reviewed_plan_is_refused_with_exit_3_and_nothing_changed(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any
) -> None:
    b = Builder(conn)
    wo = b.tangled()
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), "--json")
    reviewed = json.loads(out)["plan_hash"]
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 4500 WHERE id = %s", (wo,))
    before = b.snapshot()
    for form in ([], ["--json"]):
        code, out, err = run(capsys, "--dsn", dsn, "execute", str(wo), "--plan-hash", reviewed, *form)
        line = one_line(err)
        assert code == 3 and out == "", err
        assert "TSC02: stale plan" in line and f"pytask-sync preview {wo}" in line
        assert b.snapshot() == before
    # a plan reviewed without a flag is not the plan with it (the hash covers the flags' effect)
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), "--json")
    current = json.loads(out)["plan_hash"]
    code, _, err = run(capsys, "--dsn", dsn, "execute", str(wo), "--overwrite-edits", "--plan-hash", current)
    assert code == 3 and "--overwrite-edits" in one_line(err)
    assert b.snapshot() == before


@pytest.mark.parametrize("given", ["abc", "A" * 64, "@/nonexistent/plan.json"])
def test_a_malformed_plan_hash_is_a_usage_error(dsn: str, capsys: Any, given: str) -> None:
    code, out, err = run(capsys, "--dsn", dsn, "execute", "1", "--plan-hash", given)
    assert code == 2 and out == ""
    one_line(err)


def test_execute_without_a_terminal_is_a_usage_error_before_any_output(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    before = b.snapshot()
    for form in ([], ["--json"]):
        code, out, err = run(capsys, "--dsn", dsn, "execute", str(wo), *form)
        assert code == 2 and out == "" and "--yes" in one_line(err)
    assert b.snapshot() == before


# -- what destroys data asks first -----------------------------------------------------------


def _holdings(dsn: str) -> tuple[int, int, int]:
    with psycopg.connect(dsn) as c:
        row = c.execute(
            "SELECT (SELECT count(*) FROM task_sync.work_order), (SELECT count(*) FROM task_sync.task),"
            " (SELECT count(*) FROM task_sync.sync_run)"
        ).fetchone()
    assert row is not None
    return row


def test_migrate_downgrade_says_what_it_drops_and_asks(
    empty_dsn: str, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(empty_dsn)
    head = current_revision(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        b = Builder(c)
        b.execute(b.realistic())
        b.realistic()
    work_orders, tasks, audit = _holdings(empty_dsn)
    assert (work_orders, audit) == (2, 1) and tasks > 0
    # without a terminal: a usage error before any output, nothing dropped
    for form in ([], ["--json"]):
        code, out, err = run(capsys, "--dsn", empty_dsn, "migrate", "downgrade", "base", *form)
        assert code == 2 and out == "" and "--yes" in one_line(err)
    assert current_revision(empty_dsn) == head
    # on a terminal: the counts, the question; "no" changes nothing
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    asked: list[str] = []

    def answer(self: Any, prompt: Any = "", **kw: Any) -> str:
        asked.append(str(prompt))
        return "n"

    monkeypatch.setattr("rich.console.Console.input", answer)
    code, out, err = run(capsys, "--dsn", empty_dsn, "migrate", "downgrade", "base")
    said = " ".join(err.split())
    assert code == 1 and out == "" and asked
    assert f"{work_orders} work order(s), {tasks} task(s) and {audit} audit row(s)" in said, err
    assert "Nothing changed." in said and current_revision(empty_dsn) == head
    # --yes: no question
    asked.clear()
    code, out, err = run(capsys, "--dsn", empty_dsn, "migrate", "downgrade", "base", "--yes", "--json")
    assert code == 0 and not asked and json.loads(out)["to_revision"] is None, err


def test_a_downgrade_to_an_unknown_revision_is_a_usage_error(dsn: str, capsys: Any) -> None:
    code, out, err = run(capsys, "--dsn", dsn, "migrate", "downgrade", "0099_future", "--yes")
    assert code == 2 and out == "" and "unknown revision" in one_line(err)


# -- exit codes: docs/cli.md's table, each code produced ------------------------------------


def _documented_exit_codes() -> dict[int, str]:
    text = CLI_DOC.read_text(encoding="utf-8")
    section = text.split("<!-- exit codes -->", 2)[1]
    return {int(m[1]): m[2] for m in re.finditer(r"^\| `(\d+)` \| (.+?) \|$", section, re.M)}


def test_the_documented_table_of_exit_codes_is_the_clis() -> None:
    codes = _documented_exit_codes()
    assert set(codes) == {
        cli_module.EXIT_OK,
        cli_module.EXIT_ERROR,
        cli_module.EXIT_USAGE,
        cli_module.EXIT_STALE_PLAN,
        cli_module.EXIT_INTERRUPTED,
        cli_module.EXIT_PIPE,
    }


class _ClosedPipe:
    """stdout into a pipe whose reader is gone: every write raises BrokenPipeError, as after ``| head``."""

    def __init__(self) -> None:
        r, w = os.pipe()
        os.close(r)
        self.saved = os.dup(1)
        os.dup2(w, 1)
        os.close(w)

    def restore(self) -> None:
        os.dup2(self.saved, 1)
        os.close(self.saved)


@pytest.mark.parametrize(
    "argv",
    [
        ["preview", "{wo}"],
        ["preview", "{wo}", "--json"],
        ["preview", "--pending"],
        ["status"],
        ["status", "--json"],
        ["migrate", "history"],
        ["migrate", "history", "--json"],
        ["migrate", "current"],
        ["--help"],
    ],
)
def test_a_reader_that_goes_away_is_exit_141_on_every_command_and_form(
    conn: psycopg.Connection[Any], dsn: str, capfd: Any, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    capfd.readouterr()
    pipe = _ClosedPipe()
    try:
        monkeypatch.setattr("sys.stdout", open(os.dup(1), "w", encoding="utf-8"))  # noqa: SIM115
        argv = [a.format(wo=wo) for a in argv]
        try:
            code = main(["--dsn", dsn, *argv])
        except SystemExit as exc:  # argparse's --help
            code = int(exc.code or 0)
    finally:
        pipe.restore()
    _, err = capfd.readouterr()
    assert code == 141 and err == ""


def test_interrupted_is_exit_130(dsn: str, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("pytask_sync.cli._plans.TaskSync.preview", interrupted)
    code, out, err = run(capsys, "--dsn", dsn, "preview", "1")
    assert code == 130 and out == "" and err.strip() == "interrupted"


def test_every_exit_code_of_the_table(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    """0, 1, 2 and 3 by a command each (130 and 141 above)."""
    wo = Builder(conn).realistic()
    assert run(capsys, "--dsn", dsn, "preview", str(wo))[0] == 0
    assert run(capsys, "--dsn", dsn, "preview", "999")[0] == 1
    assert run(capsys, "--dsn", dsn, "preview", "--limit", "3", str(wo))[0] == 2
    assert run(capsys, "--dsn", dsn, "execute", str(wo), "--plan-hash", "0" * 64)[0] == 3


# -- narrow terminals ------------------------------------------------------------------------

PLAN_COLUMNS = ("action", "process", "task", "quantity", "note")


def columns(out: str) -> list[str]:
    """Each column of the (first) table in ``out``: its header, then its cells, read down the column.

    Wrapped and folded cells are joined without spaces, so a value reads whole however it was cut.
    """
    rows = [line for line in out.splitlines() if line.startswith(("┃", "│"))]
    parts = [re.split(r"[┃│]", line)[1:-1] for line in rows]
    n = len(parts[0])
    assert all(len(p) == n for p in parts), out  # no cell cropped away, the right border on every row
    return ["".join(p[i].replace(" ", "") for p in parts) for i in range(n)]


def has(column: str, text: str) -> bool:
    return text.replace(" ", "") in column


@pytest.mark.parametrize("width", [80, 60])
def test_tables_fit_narrow_terminals_without_losing_a_column(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    b = Builder(conn)
    wo = b.tangled()  # a conflict, updates and a dismissal
    fresh = b.realistic()
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo))
    # every line fits but the plan hash's: an id is never wrapped (it is copied)
    assert code == 0 and max(len(line) for line in out.splitlines() if not line.startswith("plan_hash ")) <= width
    assert re.search(r"^plan_hash [0-9a-f]{64}$", out, re.M), out
    cols = columns(out)
    for col, header in zip(cols, ("action", "process", "task", "work content", "quantity", "note"), strict=True):
        assert col.startswith(header.replace(" ", "")), (header, out)
    assert has(cols[5], "planner's value kept") and has(cols[5], "deleted by a planner"), out
    assert has(cols[0], "conflict") and has(cols[0], "dismissed"), out
    for argv in (["preview", str(fresh)], ["preview", "--pending"], ["status"], ["migrate", "history"]):
        code, out, _ = run(capsys, "--dsn", dsn, *argv)
        lines = [line for line in out.splitlines() if not line.startswith("plan_hash ")]
        assert code == 0 and max(len(line) for line in lines) <= width, out
    code, out, _ = run(capsys, "--dsn", dsn, "status")
    cols = columns(out)
    for col, header in zip(cols, ("work order", "order number", "definition", "synced", "pending since"), strict=True):
        assert col.startswith(header.replace(" ", "")), (header, out)
    assert has(cols[0], f"{wo}") and has(cols[0], f"{fresh}")
    code, out, _ = run(capsys, "--dsn", dsn, "preview", "--pending")
    headers = ("work order", "add", "remove", "update", "conflict", "dismissed", "orphaned")
    for col, header in zip(columns(out), headers, strict=True):
        assert col.startswith(header.replace(" ", "")), (header, out)


LONG_DSN = "postgresql://postgres:@/postgres?host=/home/someone/.local/share/pytask-sync/postgres&port=5432"


@pytest.mark.parametrize("width", [80, 60])
def test_db_start_and_status_never_wrap_the_dsn(capsys: Any, monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    from pytask_sync import embedded

    server = embedded.EmbeddedServer(pgdata=Path("/data/pg"), dsn=LONG_DSN, pid=4242)
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(embedded, "running", lambda pgdata=None: server)
    monkeypatch.setattr(embedded, "start", lambda pgdata=None, keep_running=False: server)
    monkeypatch.setattr("pytask_sync.cli._db.migrate", lambda *a, **k: None)
    for action in ("status", "start"):
        code, out, _ = run(capsys, "db", action)
        assert code == 0 and f"DSN: {LONG_DSN}" in out.splitlines(), out


def test_db_with_a_dsn_flag_for_the_embedded_server_is_refused(capsys: Any) -> None:
    code, out, err = run(capsys, "--dsn", "dbname=x", "db", "status")
    assert code == 2 and out == "" and "--dsn" in one_line(err)


def test_db_psql_honours_the_dsn(dsn: str, capfd: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    query = ["--", "-X", "-A", "-t", "-c", "select current_database()"]
    assert main(["--dsn", dsn, "db", "psql", *query]) == 0
    assert capfd.readouterr().out.strip() == dbname
    monkeypatch.setenv("PYTASK_SYNC_DSN", dsn)
    assert main(["db", "psql", *query]) == 0
    assert capfd.readouterr().out.strip() == dbname


# -- errors in the project's words -----------------------------------------------------------


def test_expected_failures_are_one_line_in_the_projects_words(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any, login: dict[str, str]
) -> None:
    wo = Builder(conn).realistic()
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    reader = psycopg.conninfo.make_conninfo(dsn, user=login["task_sync_reader"])
    read_only = psycopg.conninfo.make_conninfo(dsn, options="-c default_transaction_read_only=on")
    cases = [
        (["--dsn", "garbage=1", "preview", "1"], 'cannot connect to the database: invalid connection option "garbage"'),
        (["--dsn", "host=127.0.0.1 port=1 connect_timeout=2", "preview", "1"], "cannot connect to the database:"),
        (["--dsn", f"{dsn} user=nobody_here", "preview", "1"], "cannot connect to the database:"),
        (["--dsn", "garbage=1", "migrate"], 'cannot connect to the database: invalid connection option "garbage"'),
        (["--dsn", reader, "execute", str(wo), "--yes", "--json"], "permission denied: permission denied for function"),
        (["--dsn", dsn, "preview", "999"], "error: TSN01: work order 999 not found"),
        (["--dsn", read_only, "execute", str(wo), "--yes", "--json"], "error: TSC07: "),
        (["--dsn", "mysql+pymysql://u@h/db", "preview", "1"], "cannot use this connection string"),
    ]
    assert params["dbname"]
    for argv, needle in cases:
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == "", (argv, out, err)
        assert needle in one_line(err), (argv, err)
