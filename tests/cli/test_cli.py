"""The pytask-sync command line, run in-process against this test's database."""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
import pytest

from pytask_sync import TaskSync
from pytask_sync.cli import main
from tests.builders import Builder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_preview_json_and_table(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    wo = Builder(conn).realistic()
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"]["add"] == 14 and len(doc["items"]) == 14
    code, out, _ = run(capsys, "preview", str(wo), "--dsn", dsn)
    assert code == 0 and "add 14" in out and "plan_hash" in out


def test_execute_yes_applies_the_shown_plan(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    code, out, _ = run(capsys, "--dsn", dsn, "--json", "execute", str(wo), "--yes")
    assert code == 0
    assert json.loads(out)["added"] == 14
    code, out, _ = run(capsys, "--dsn", dsn, "execute", str(wo), "--yes")
    assert code == 0 and "nothing to sync" in out


def test_flagged_preview_and_execute_show_and_apply_the_same_plan(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any, monkeypatch: Any
) -> None:
    wo = Builder(conn).tangled()
    flags = ("--overwrite-edits", "--restore-dismissed")
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), *flags, "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["summary"]["conflict"] == 0 and shown["summary"]["dismissed"] == 0
    assert shown["summary"]["add"] == 1
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), *flags)
    assert code == 0 and "restored" in out and "overwritten" in out and "deleted by a planner" not in out
    # execute shows the flagged plan, asks, and applies exactly it
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("rich.console.Console.input", lambda self, prompt="", **kw: "y")
    code, out, _ = run(capsys, "--dsn", dsn, "execute", str(wo), *flags)
    assert code == 0, out
    assert "restored" in out and "planner's value kept" not in out
    s = shown["summary"]
    assert f"added {s['add']}, removed {s['remove']}, updated {s['update']}, conflicts kept 0" in out


def test_execute_without_a_terminal_asks_for_yes(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    before = b.snapshot()
    code, out, err = run(capsys, "--dsn", dsn, "execute", str(wo))
    # a usage error, said before any output: no plan is printed that will not be applied
    assert code == 2 and "--yes" in err and out == ""
    assert len(err.strip().splitlines()) == 1
    assert b.snapshot() == before


def test_execute_answer_no_changes_nothing(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any, monkeypatch: Any
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    before = b.snapshot()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("rich.console.Console.input", lambda self, prompt="", **kw: "n")
    code, _, err = run(capsys, "--dsn", dsn, "execute", str(wo))
    assert code == 1 and "Nothing changed" in err  # said on the terminal, not into the data
    assert b.snapshot() == before


def test_status_sync_pending_and_worker_once(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    code, out, _ = run(capsys, "--dsn", dsn, "status", "--json")
    assert code == 0 and [r["work_order_id"] for r in json.loads(out)] == wos
    code, out, _ = run(capsys, "--dsn", dsn, "sync-pending", "--json", "--limit", "2")
    assert code == 0 and [r["work_order_id"] for r in json.loads(out)] == wos[:2]
    code, out, _ = run(capsys, "--dsn", dsn, "worker", "--once")
    assert code == 0 and "Synced 1 work order" in out
    code, out, _ = run(capsys, "--dsn", dsn, "status")
    assert code == 0 and "in sync" in out


def test_dsn_from_the_environment(conn: psycopg.Connection[Any], dsn: str, capsys: Any, monkeypatch: Any) -> None:
    wo = Builder(conn).realistic()
    monkeypatch.setenv("PYTASK_SYNC_DSN", dsn)
    code, out, _ = run(capsys, "preview", str(wo), "--json")
    assert code == 0 and json.loads(out)["work_order_id"] == wo
    monkeypatch.delenv("PYTASK_SYNC_DSN")
    monkeypatch.setenv("DATABASE_URL", dsn)
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0 and len(json.loads(out)) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dsn", "this is not a dsn", "status"], "error:"),
        (["--dsn", "host=/nonexistent/socket/dir dbname=x connect_timeout=2", "status"], "connect"),
    ],
)
def test_connection_problems_are_one_line(capsys: Any, args: list[str], needle: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 1
    assert needle in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_unknown_work_order_is_one_line(dsn: str, capsys: Any) -> None:
    code, _, err = run(capsys, "--dsn", dsn, "preview", "999")
    assert code == 1 and "not found" in err and len(err.strip().splitlines()) == 1


def test_unmigrated_database_says_to_migrate(empty_dsn: str, capsys: Any) -> None:
    code, _, err = run(capsys, "--dsn", empty_dsn, "status")
    assert code == 1 and "pytask-sync migrate" in err
    code, out, _ = run(capsys, "--dsn", empty_dsn, "migrate")
    assert code == 0 and "migrated from nothing to" in out
    code, out, _ = run(capsys, "--dsn", empty_dsn, "status")
    assert code == 0


def test_non_numeric_work_order_id(capsys: Any) -> None:
    with pytest.raises(SystemExit) as info:
        main(["preview", "forty-two"])
    assert info.value.code == 2
    assert "not a work order id" in capsys.readouterr().err


def test_demo_on_a_fresh_database(empty_dsn: str, capsys: Any) -> None:
    code, out, _ = run(capsys, "--dsn", empty_dsn, "demo")
    assert code == 0
    assert "conflict" in out and "dismissed" in out and "nothing to sync" in out
    assert "open psql with psql '" in " ".join(out.split())  # a tip that works: psql on that very database
    with psycopg.connect(empty_dsn) as c:
        # the planner's note survived the sync that changed the quantity
        row = c.execute("SELECT production_quantity FROM task_sync.task WHERE work_content LIKE '%Pantone%'").fetchone()
        assert row == (6000,)
        assert c.execute("SELECT count(*) FROM task_sync.pending()").fetchone() == (0,)


def test_preview_pending_sums_up_every_pending_plan(conn: psycopg.Connection[Any], dsn: str, capsys: Any) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(2)]
    code, out, _ = run(capsys, "preview", "--pending", "--dsn", dsn, "--json")
    assert code == 0
    items = json.loads(out)
    assert {i["work_order_id"] for i in items} == set(wos)
    assert len(items) == sum(len(TaskSync(conn).plan(wo)) for wo in wos)
    code, out, _ = run(capsys, "preview", "--pending", "--limit", "1", "--dsn", dsn)
    assert code == 0 and "Plans of 1 pending work order(s)" in out
    n_add = sum(1 for i in items if i["work_order_id"] == wos[0] and i["action"] == "add")
    cells = [[c.strip() for c in re.split(r"[│|┃]", ln)[1:-1]] for ln in out.splitlines()]
    assert [str(wos[0]), str(n_add)] in [c[:2] for c in cells]
    for argv, needle in (
        (("preview", "--pending", str(wos[0])), "not both"),
        (("preview",), "needs a work order id"),
        (("preview", "--pending", "--overwrite-edits"), "without flags"),
    ):
        code, _, err = run(capsys, *argv, "--dsn", dsn)
        assert code != 0 and needle in err
    for wo in wos:
        b.execute(wo)
    code, out, _ = run(capsys, "preview", "--pending", "--dsn", dsn)
    assert code == 0 and "No work order needs a sync." in out


@pytest.mark.parametrize(
    "argv",
    [
        ["preview"],
        ["preview", "1", "--pending"],
        ["preview", "1", "--limit", "3"],
        ["preview", "--pending", "--overwrite-edits"],
        ["migrate", "downgrade"],
        ["migrate", "current", "--sql"],
        ["migrate", "--from", "base"],
        ["db", "status", "extra"],
    ],
)
def test_arguments_that_do_not_go_together_are_usage_errors(argv: list[str], capsys: Any) -> None:
    """Exit 2, like argparse's own usage errors, and nothing is connected to."""
    code, out, err = run(capsys, "--dsn", "host=/nonexistent dbname=nothing", *argv)
    assert code == 2, err
    assert out == "" and len(err.strip().splitlines()) == 1 and "error:" in err


def test_long_planner_text_and_task_types_fit_80_columns(
    conn: psycopg.Connection[Any], dsn: str, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    b = Builder(conn)
    wo = b.realistic()
    b.execute(wo)
    note = "Call the customer before cutting: " + "the board arrives late, " * 40
    conn.execute(
        "UPDATE task_sync.task SET work_content = %s WHERE work_order_id = %s AND task_type = 'printing'", (note, wo)
    )
    conn.execute("UPDATE task_sync.work_order SET production_quantity = 7000 WHERE id = %s", (wo,))
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo))
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    # the note is cut in the table (every word of it is in --json), so no item runs to dozens of lines
    assert len(lines) < 40, out
    assert "…" in out
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(wo), "--json")
    assert note in [i["current_work_content"] for i in json.loads(out)["items"]]
    fresh = b.realistic()  # its plan adds plate_making drafts
    code, out, _ = run(capsys, "--dsn", dsn, "preview", str(fresh))
    # a task type is never broken inside the word
    assert re.search(r"│ plate_making", out) and "plate_makin│" not in out and "plate_makin\n" not in out
    code, out, _ = run(capsys, "--dsn", dsn, "status")
    for r in TaskSync(conn).pending():
        assert r.pending_since is not None and r.pending_since.isoformat(timespec="seconds") in out
    assert max(len(line) for line in out.splitlines()) <= 80
