"""The command line as a separate process against a real server, on data people really have:
brackets in order numbers and planners' text, JSON piped into files, prompts on a terminal,
connection strings of SQLAlchemy applications, newer databases, and bad arguments."""

from __future__ import annotations

import datetime
import json
import os
import pty
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pytask_sync.dsn import to_libpq
from pytask_sync.migrate import migrate
from tests.builders import Builder

# slow (the command line as a process of its own, one per command; one test starts servers): pytest -m "not slow"
# leaves it out
pytestmark = pytest.mark.slow

BRACKETS = "PO[2024]-[/b]"
PLANNER_TEXT = "see [bold]note[/bold] [red]"


def cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``pytask-sync argv`` in a process of its own, without a terminal."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTASK_SYNC_DSN", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pytask_sync.cli", *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**base, "COLUMNS": "80", **(env or {})},
        timeout=timeout,
        check=False,
    )


def on_a_terminal(argv: list[str], answer: str) -> tuple[int, str, str]:
    """Run with stdin and stderr on a pseudo-terminal (as at a prompt) and stdout into a pipe (as
    ``> out.json``); types ``answer`` when asked. Returns (exit status, stdout, the terminal's text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytask_sync.cli", *argv],
        stdin=slave,
        stderr=slave,
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("PYTASK_SYNC_DSN", "DATABASE_URL")},
    )
    os.close(slave)
    seen = b""
    answered = False
    while proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.2)
        if master in ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
        if not answered and b"Apply this plan" in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out, seen.decode(errors="replace")


@pytest.fixture
def bracketed(conn: psycopg.Connection[Any]) -> tuple[Builder, int]:
    """A synced job whose order number and a planner's text hold rich markup, now pending again."""
    b = Builder(conn)
    wo = b.realistic(BRACKETS)
    b.execute(wo)
    conn.execute(
        "UPDATE task_sync.task SET work_content = %s WHERE id = (SELECT min(id) FROM task_sync.task"
        " WHERE work_order_id = %s AND task_type = 'printing')",
        (PLANNER_TEXT, wo),
    )
    conn.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))  # removes the edited one
    return b, wo


def test_values_with_brackets_are_printed_as_written(bracketed: tuple[Builder, int], dsn: str) -> None:
    _, wo = bracketed
    for argv in (["preview", str(wo)], ["status"], ["preview", "--pending"]):
        res = cli("--dsn", dsn, *argv)
        assert res.returncode == 0, res.stderr
        assert "Traceback" not in res.stderr
        if argv != ["preview", "--pending"]:
            assert BRACKETS in res.stdout
        if argv == ["preview", str(wo)]:
            # folded to fit 80 columns, but every character as written: read the work content column
            column = [ln.split("│")[4].strip() for ln in res.stdout.splitlines() if ln.startswith("│")]
            assert "[bold]note[/bold]" in "".join(column)
    res = cli("--dsn", dsn, "preview", str(wo), "--json")
    doc = json.loads(res.stdout)
    assert doc["order_number"] == BRACKETS
    assert PLANNER_TEXT in [i["current_work_content"] for i in doc["items"]]


def test_the_plan_fits_80_columns(bracketed: tuple[Builder, int], dsn: str) -> None:
    _, wo = bracketed
    res = cli("--dsn", dsn, "preview", str(wo))
    assert res.returncode == 0
    assert "note" in res.stdout  # a note column is there
    assert max(len(line) for line in res.stdout.splitlines()) <= 80


def test_the_question_goes_to_the_terminal_and_the_json_to_stdout(bracketed: tuple[Builder, int], dsn: str) -> None:
    b, wo = bracketed
    before = b.tasks(wo)
    code, out, terminal = on_a_terminal(["--dsn", dsn, "execute", str(wo), "--json"], "n")
    assert code == 1 and "Apply this plan" in terminal and "Nothing changed" in terminal
    assert out == "" and b.tasks(wo) == before
    code, out, terminal = on_a_terminal(["--dsn", dsn, "execute", str(wo), "--json"], "y")
    assert code == 0, terminal
    result = json.loads(out)  # only the data: no prompt in it
    assert result["work_order_id"] == wo and result["removed"] == 4  # two plates, two printing drafts


def test_nothing_to_sync_asks_nothing(bracketed: tuple[Builder, int], dsn: str) -> None:
    b, wo = bracketed
    b.execute(wo)
    res = cli("--dsn", dsn, "execute", str(wo))  # no terminal and no --yes: fine, there is no question
    assert res.returncode == 0, res.stderr
    assert "nothing to sync" in res.stdout and "none: nothing changed" in res.stdout


def test_a_work_order_that_may_not_be_synced_says_so(conn: psycopg.Connection[Any], dsn: str) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = %s", (wo,))
    res = cli("--dsn", dsn, "preview", str(wo))
    assert res.returncode == 0 and "may not be synced" in res.stdout
    res = cli("--dsn", dsn, "execute", str(wo), "--yes")
    assert res.returncode == 1 and "may not be synced" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and b.tasks(wo) == []


def test_json_is_json_with_iso_datetimes(conn: psycopg.Connection[Any], dsn: str) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    res = cli("--dsn", dsn, "status", "--json")
    rows = json.loads(res.stdout)
    assert [r["work_order_id"] for r in rows] == wos
    for r in rows:  # ISO 8601: a T between date and time, and the offset
        assert r["pending_since"][10] == "T"
        assert datetime.datetime.fromisoformat(r["pending_since"]).tzinfo is not None
    res = cli("--dsn", dsn, "status", "--limit", "1")
    assert "3 work order(s) need a sync; the 1 waiting longest" in " ".join(res.stdout.split())
    res = cli("--dsn", dsn, "worker", "--once", "--json")
    assert json.loads(res.stdout) == {"synced": 3}


def test_sync_pending_reports_every_count(conn: psycopg.Connection[Any], dsn: str) -> None:
    b = Builder(conn)
    wo = b.tangled()  # a conflict, updates and a dismissal pending
    res = cli("--dsn", dsn, "sync-pending")
    assert res.returncode == 0, res.stderr
    line = res.stdout.strip().splitlines()[-1]
    assert "updated" in line and "conflicts kept 1" in line
    assert conn.execute("SELECT count(*) FROM task_sync.pending() WHERE work_order_id = %s", (wo,)).fetchone() == (0,)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["preview", "99999999999999999999"], "not a work order id"),
        (["preview", "0"], "not a work order id"),
        (["status", "--limit", "3000000000"], "not a limit"),
        (["worker", "--debounce", "-1"], "not a number of seconds"),
        (["worker", "--debounce", "inf"], "not a number of seconds"),
        (["demo", "--json"], "unrecognized arguments: --json"),
    ],
)
def test_bad_arguments_are_usage_errors(argv: list[str], needle: str) -> None:
    res = cli(*argv)
    assert res.returncode == 2 and needle in res.stderr, res.stderr


def test_help_names_the_environment_defaults_and_examples() -> None:
    res = cli("--help")
    assert res.returncode == 0
    for needle in ("PYTASK_SYNC_DSN", "DATABASE_URL", "postgresql+psycopg://", "examples:", "pytask-sync preview 42"):
        assert needle in res.stdout
    res = cli("sync-pending", "--help")
    assert "default: 100" in res.stdout


def test_sqlalchemy_urls_are_accepted(conn: psycopg.Connection[Any], dsn: str, empty_dsn: str) -> None:
    wo = Builder(conn).realistic()
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    url = f"postgresql+psycopg://{info.get('user', '')}@/{info['dbname']}?host={info.get('host', '')}"
    if info.get("port"):
        url += f"&port={info['port']}"
    with psycopg.connect(to_libpq(url)) as c:
        assert c.execute("SELECT current_database()").fetchone() == (info["dbname"],)
    res = cli("--dsn", url, "preview", str(wo), "--json")
    assert res.returncode == 0, res.stderr and json.loads(res.stdout)["work_order_id"] == wo
    res = cli("status", "--json", env={"DATABASE_URL": url})
    assert res.returncode == 0 and [r["work_order_id"] for r in json.loads(res.stdout)] == [wo]
    empty = psycopg.conninfo.conninfo_to_dict(empty_dsn)
    migrate(url.replace(f"/{info['dbname']}?", f"/{empty['dbname']}?"))
    with psycopg.connect(empty_dsn) as c:
        assert c.execute("SELECT to_regclass('task_sync.work_order') IS NOT NULL").fetchone() == (True,)
    res = cli("--dsn", "mysql+pymysql://u@h/d", "status")
    assert res.returncode == 1 and "not a PostgreSQL URL" in res.stderr


def test_migrate_says_from_what_to_what_and_refuses_a_newer_database(empty_dsn: str) -> None:
    res = cli("--dsn", empty_dsn, "migrate")
    assert res.returncode == 0 and "migrated from nothing to" in res.stdout
    res = cli("--dsn", empty_dsn, "migrate")
    said = " ".join(res.stdout.split())  # as one line, however the width wraps it (a longer head's name does)
    assert res.returncode == 0 and "up to date" in said and "nothing applied" in said
    res = cli("--dsn", empty_dsn, "migrate", "--json")
    doc = json.loads(res.stdout)
    assert doc["changed"] is False and doc["from_revision"] == doc["to_revision"] is not None
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        c.execute("UPDATE task_sync.alembic_version SET version_num = '0099_future'")
    res = cli("--dsn", empty_dsn, "migrate")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "0099_future" in res.stderr


def test_demo_writes_only_where_its_command_line_says(
    conn: psycopg.Connection[Any], dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DATABASE_URL names an application's database: the demo does not write there (it would use the
    embedded server, replaced here by one that refuses to start)."""
    from pytask_sync import cli as cli_module
    from pytask_sync import embedded

    def no_embedded() -> Any:
        raise RuntimeError("embedded server asked for")

    before = Builder(conn).snapshot()
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setattr(embedded, "start", no_embedded)
    assert cli_module.main(["demo"]) == 1
    assert "embedded server asked for" in capsys.readouterr().err
    assert Builder(conn).snapshot() == before


def test_the_demos_tip_reaches_the_database_it_ran_on(
    conn: psycopg.Connection[Any], dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With DATABASE_URL naming another database, the demo runs on the embedded one (here: this
    test's database standing in for it) and its closing tip clears DATABASE_URL for the commands."""
    from pytask_sync import cli as cli_module
    from pytask_sync import embedded

    monkeypatch.setenv("DATABASE_URL", "postgresql://app@elsewhere/factory")
    monkeypatch.setattr(embedded, "start", lambda: embedded.EmbeddedServer(pgdata=None, dsn=dsn, pid=0))  # type: ignore[arg-type]
    monkeypatch.setattr(cli_module._target, "migrate", lambda *a, **k: None)
    assert cli_module.main(["demo"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Try it yourself: DATABASE_URL= pytask-sync preview" in out


def test_the_worker_logs_with_timestamps_and_says_when_it_reconnects(conn: psycopg.Connection[Any], dsn: str) -> None:
    lines: queue.Queue[str] = queue.Queue()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytask_sync.cli", "--dsn", dsn, "worker", "--debounce", "0", "--log-level", "info"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("PYTASK_SYNC_DSN", "DATABASE_URL")},
    )
    assert proc.stderr is not None
    stderr = proc.stderr

    def pump() -> None:
        for ln in stderr:
            lines.put(ln)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []

    def wait_for(needle: str) -> None:
        while not any(needle in ln for ln in seen):
            seen.append(lines.get(timeout=60))

    try:
        wait_for("listening on task_sync")
        wo = Builder(conn).realistic()  # each statement commits, marks and notifies
        wait_for("synced 1 work order(s)")
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pytask-sync worker'"
        )
        wait_for("connection lost")
        wait_for("reconnected after 1 attempt(s)")
        conn.execute("UPDATE task_sync.work_order SET production_quantity = 7 WHERE id = %s", (wo,))
        wait_for("updated")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    while not lines.empty():
        seen.append(lines.get())
    assert proc.returncode == 0
    assert any("stopped after" in ln and "1 reconnect(s)" in ln for ln in seen), seen
    for ln in seen:
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) pytask_sync\.worker: ", ln), ln


@pytest.fixture
def embedded_dir() -> Any:
    """A folder for an embedded server's data, outside pytest's own temporary root: pytest makes that
    root private (mode 700) whenever a pytest process starts (the sample project's, another run's),
    and the server's user could then no longer reach its data (pg_ctl stop: Permission denied)."""
    folder = Path(tempfile.mkdtemp(prefix="pytask-sync-test-embedded-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_embedded_server_has_a_lifecycle_and_is_never_stopped_by_a_command_that_did_not_start_it(
    embedded_dir: Path,
) -> None:
    env = {"PYTASK_SYNC_EMBEDDED_DIR": str(embedded_dir / "pg")}

    def db(*argv: str) -> Any:
        res = cli("db", *argv, "--json", env=env)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    assert db("status")["running"] is False
    started = db("start")
    assert started["running"] is True and started["pid"]
    try:
        # a session of one's own (as psql would hold) while other commands come and go
        with psycopg.connect(started["dsn"], autocommit=True) as session:
            for argv in (["status"], ["preview", "--pending"], ["migrate"]):
                res = cli(*argv, env=env)
                assert res.returncode == 0, res.stderr
                assert "Using the embedded PostgreSQL" in res.stderr and "Using" not in res.stdout
            assert session.execute("SELECT 1").fetchone() == (1,)  # still connected: nothing stopped it
        assert db("status") == started
        res = cli("db", "dsn", env=env)
        assert res.stdout.strip() == started["dsn"]
        res = cli("db", "psql", "--", "-At", "-c", "SELECT count(*) FROM task_sync.source_kind", env=env)
        assert res.returncode == 0 and res.stdout.strip() == "7", res.stderr
        # psql's own -d names a database of the embedded server, not one on libpq's default socket
        with psycopg.connect(started["dsn"], autocommit=True) as admin:
            admin.execute("CREATE DATABASE scratch")
        res = cli("db", "psql", "--", "-d", "scratch", "-At", "-c", "SELECT current_database()", env=env)
        assert res.returncode == 0 and res.stdout.strip() == "scratch", res.stderr
        # the worker logs its own news, not alembic's migration of the embedded database
        res = cli("worker", "--once", env=env)
        assert res.returncode == 0 and "alembic" not in res.stderr and "Context impl" not in res.stderr, res.stderr
    finally:
        assert db("stop")["stopped"] is True
    assert db("status")["running"] is False
    res = cli("db", "dsn", env=env)
    assert res.returncode == 1 and "not running" in res.stderr
    # a command that finds it stopped starts it for itself, and stops it again
    res = cli("status", env=env)
    assert res.returncode == 0, res.stderr
    assert db("status")["running"] is False


def test_migrate_current_history_downgrade_and_sql(empty_dsn: str) -> None:
    res = cli("--dsn", empty_dsn, "migrate", "current", "--json")
    assert json.loads(res.stdout)["state"] == "not installed"
    res = cli("--dsn", empty_dsn, "migrate", "upgrade", "0002_marks")
    assert res.returncode == 0 and "migrated from nothing to 0002_marks" in res.stdout
    doc = json.loads(cli("--dsn", empty_dsn, "migrate", "current", "--json").stdout)
    assert doc["current"] == "0002_marks" and doc["state"].startswith("behind")
    history = json.loads(cli("migrate", "history", "--json").stdout)
    assert [h["revision"] for h in history][:2] == ["0001_initial", "0002_marks"]
    assert history[-1]["revision"] == doc["head"]
    # the SQL a DBA runs by hand: from the database's revision to head, in one transaction
    res = cli("--dsn", empty_dsn, "migrate", "--sql")
    assert res.returncode == 0 and res.stdout.startswith("-- pytask_sync: upgrade from 0002_marks")
    assert "BEGIN;" in res.stdout and res.stdout.rstrip().endswith("COMMIT;") and "-- revision 0001" not in res.stdout
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        c.execute(res.stdout.encode())
    assert json.loads(cli("--dsn", empty_dsn, "migrate", "current", "--json").stdout)["state"] == "up to date"
    res = cli("--dsn", empty_dsn, "migrate", "downgrade")
    assert res.returncode == 2 and "needs the revision" in res.stderr
    # a downgrade asks first: without a terminal it needs --yes (a usage error, nothing changed)
    res = cli("--dsn", empty_dsn, "migrate", "downgrade", "0003_books")
    assert res.returncode == 2 and "--yes" in res.stderr and res.stdout == ""
    assert json.loads(cli("--dsn", empty_dsn, "migrate", "current", "--json").stdout)["state"] == "up to date"
    res = cli("--dsn", empty_dsn, "migrate", "downgrade", "0003_books", "--yes")
    assert res.returncode == 0 and f"migrated from {doc['head']} to 0003_books" in res.stdout
    res = cli("migrate", "--sql", "--from", doc["head"])
    assert res.returncode == 1 and "nothing to upgrade" in res.stderr
    # base removes everything, the schema and alembic's table included: the SQL of a fresh install
    # then runs by hand
    res = cli("--dsn", empty_dsn, "migrate", "downgrade", "base", "--yes")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        assert c.execute("SELECT to_regnamespace('task_sync')").fetchone() == (None,)
        c.execute(cli("migrate", "--sql", "--from", "base").stdout.encode())
    assert json.loads(cli("--dsn", empty_dsn, "migrate", "current", "--json").stdout)["state"] == "up to date"


def test_a_reader_that_stops_reading_is_no_traceback() -> None:
    """``pytask-sync migrate history --json | head``: the pipe closes before the output is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytask_sync.cli", "migrate", "history", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_migrate_by_a_role_without_create_is_one_line_and_at_head_is_fine(
    conn: psycopg.Connection[Any], empty_dsn: str
) -> None:
    role = f"ts_nocreate_{uuid.uuid4().hex[:8]}"
    dbname = psycopg.conninfo.conninfo_to_dict(empty_dsn)["dbname"]
    conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE task_sync_writer")
    try:
        conn.execute(f'REVOKE CREATE ON DATABASE "{dbname}" FROM PUBLIC')
        as_role = psycopg.conninfo.make_conninfo(empty_dsn, user=role)
        res = cli("--dsn", as_role, "migrate")
        assert res.returncode == 1 and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "permission denied" in res.stderr
        migrate(empty_dsn)  # the owner migrates
        res = cli("--dsn", as_role, "migrate")  # a role that may not create checks the head: nothing to do
        assert res.returncode == 0 and "up to date" in res.stdout, res.stderr
    finally:
        with psycopg.connect(empty_dsn, autocommit=True) as c:
            c.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")
