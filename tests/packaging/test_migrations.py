"""Migrations: one head, base to head, up/down/up, and the same schema as the canonical install."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from pytask_sync._resources import install_canonical, known_revisions, migrations_dir
from pytask_sync.migrate import alembic_config, downgrade, head_revision, migrate, upgrade_sql
from tests.builders import Builder
from tests.pgserver_for_tests import TestServer


def _dump(server: TestServer, dsn: str) -> str:
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    out = subprocess.run(
        [
            server.pg_dump(),
            "--schema-only",
            "--no-owner",
            "--schema=task_sync",
            "--schema=task_sync_internal",
            "--exclude-table=task_sync.alembic_version",
            "-d",
            server.dsn(str(dbname)),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # drop comments and the random \restrict key of newer pg_dump
    lines = [ln for ln in out.splitlines() if not ln.startswith("--") and not re.match(r"\\(un)?restrict ", ln)]
    return normalise_dump("\n".join(lines))


#: Column options a server sets by itself, whose values differ from one install to the next.
#: Debian's PostgreSQL 15.20 stamps every new column with ``pg_attver=<number>``; a newer pg_dump
#: prints it as ``ALTER TABLE ONLY t ALTER COLUMN c SET (pg_attver=...)``. It says nothing about
#: what the schema means, so it is left out of the comparison. Options a DBA or a revision sets
#: (``n_distinct``, ...) are kept: ``test_parity_check_still_sees_real_drift`` proves it.
SERVER_ADDED_COLUMN_OPTIONS = frozenset({"pg_attver"})

_SET_OPTIONS = re.compile(r"^(ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET )\((.*)\);$")


def normalise_dump(dump: str) -> str:
    """The schema dump with the server-added column options taken out (and nothing else)."""
    out = []
    for line in dump.splitlines():
        m = _SET_OPTIONS.match(line)
        if m:
            kept = [o for o in m.group(2).split(", ") if o.split("=", 1)[0] not in SERVER_ADDED_COLUMN_OPTIONS]
            if not kept:
                continue
            line = f"{m.group(1)}({', '.join(kept)});"
        out.append(line)
    return "\n".join(out)


def _revision(dsn: str) -> str | None:
    with psycopg.connect(dsn) as c:
        if c.execute("SELECT to_regclass('task_sync.alembic_version')").fetchone() == (None,):
            return None
        row = c.execute("SELECT version_num FROM task_sync.alembic_version").fetchone()
        return row[0] if row else None


def test_one_head_and_linear_sequential_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    revs = list(script.walk_revisions())
    assert [r.revision for r in reversed(revs)] == known_revisions()
    for i, rev in enumerate(reversed(revs)):
        assert rev.revision.startswith(f"{i + 1:04d}_")
        assert (migrations_dir() / "versions" / f"{rev.revision}.up.sql").is_file()
        assert (migrations_dir() / "versions" / f"{rev.revision}.down.sql").is_file()


def test_base_to_head_on_an_empty_database_then_again(empty_dsn: str) -> None:
    migrate(empty_dsn)
    assert _revision(empty_dsn) == head_revision()
    migrate(empty_dsn)  # harmless
    assert _revision(empty_dsn) == head_revision()
    with psycopg.connect(empty_dsn) as c:
        assert c.execute("SELECT count(*) FROM task_sync.process").fetchone() == (21,)
        assert c.execute("SELECT count(*) FROM task_sync.generation_rule").fetchone() == (11,)


# slow: every revision up, down and up again (3 s); the parity test stays in the edit loop
@pytest.mark.slow
def test_up_down_up_every_revision(empty_dsn: str, server: TestServer) -> None:
    revisions = known_revisions()
    dumps = {}
    for rev in revisions:
        migrate(empty_dsn, rev)
        dumps[rev] = _dump(server, empty_dsn)
    for i in range(len(revisions) - 1, -1, -1):
        target = revisions[i - 1] if i > 0 else "base"
        downgrade(empty_dsn, target)
        if target != "base":
            assert _dump(server, empty_dsn) == dumps[target]
        migrate(empty_dsn, revisions[i])
        assert _dump(server, empty_dsn) == dumps[revisions[i]], f"up/down/up of {revisions[i]}"
        downgrade(empty_dsn, target)
    downgrade(empty_dsn, "base")
    with psycopg.connect(empty_dsn) as c:
        # everything is gone: the objects, alembic's version table and both schemas
        assert c.execute("SELECT to_regnamespace('task_sync'), to_regnamespace('task_sync_internal')").fetchone() == (
            None,
            None,
        )
    migrate(empty_dsn)
    assert _dump(server, empty_dsn) == dumps[revisions[-1]]


def _schema_diff(canonical: str, migrated: str) -> str:
    """The unified diff of two normalised schema dumps ('' when they mean the same schema)."""
    return "\n".join(
        difflib.unified_diff(
            canonical.splitlines(), migrated.splitlines(), "canonical sql/", "alembic upgrade head", lineterm=""
        )
    )


def test_migrations_equal_the_canonical_install(empty_dsn: str, dsn: str, server: TestServer) -> None:
    migrate(empty_dsn)
    diff = _schema_diff(_dump(server, dsn), _dump(server, empty_dsn))
    if diff:
        raise AssertionError(f"schema drift between sql/ and migrations/:\n{diff}")


def test_the_sql_for_dbas_builds_the_same_schema(empty_dsn: str, server: TestServer) -> None:
    """``pytask-sync migrate --sql``: the SQL a DBA runs by hand gives what alembic gives."""
    name = f"{psycopg.conninfo.conninfo_to_dict(empty_dsn)['dbname']}_by_hand"
    other = server.dsn(name)
    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate(empty_dsn)
        with psycopg.connect(other, autocommit=True) as c:
            c.execute(upgrade_sql(None).encode())
            assert c.execute("SELECT version_num FROM task_sync.alembic_version").fetchone() == (head_revision(),)
        diff = _schema_diff(_dump(server, empty_dsn), _dump(server, other))
        assert not diff, f"the SQL for DBAs drifts from alembic's:\n{diff}"
        migrate(other)  # alembic agrees it is at head: nothing to do, no error
    finally:
        with psycopg.connect(server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_freeze_script_reads_the_history_and_sees_a_change(monkeypatch: Any, tmp_path: Path) -> None:
    """scripts/freeze_revision.py, which starts each new revision: no difference at head, and a real one seen."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "freeze_revision.py"
    spec = importlib.util.spec_from_file_location("freeze_revision", path)
    assert spec is not None and spec.loader is not None
    freeze = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "freeze_revision", freeze)  # its dataclass looks itself up there
    spec.loader.exec_module(freeze)
    assert freeze.diff() == ([], [], [])
    # the same sql/ with one body changed, one function removed and one added
    functions = tmp_path / "30_functions"
    shutil.copytree(freeze.FUNCTIONS, functions)
    may_sync = functions / "_may_sync.sql"
    may_sync.write_text(
        may_sync.read_text().replace("CREATE FUNCTION", "-- a comment outside the body\nCREATE FUNCTION", 1)
    )
    hold = functions / "_hold_route.sql"
    hold.write_text(hold.read_text().replace("FOR KEY SHARE SKIP LOCKED", "FOR SHARE SKIP LOCKED"))
    (functions / "_park_marks.sql").unlink()
    (functions / "_zz.sql").write_text(
        "CREATE FUNCTION task_sync_internal._zz(p integer)\nRETURNS integer LANGUAGE sql RETURN p;\n\n"
        "COMMENT ON FUNCTION task_sync_internal._zz(integer) IS 'x';\n"
    )
    monkeypatch.setattr(freeze, "FUNCTIONS", functions)
    new, changed, gone = freeze.diff()
    assert [f.signature for f in new] == ["task_sync_internal._zz(integer)"]
    assert [f.signature for f in changed] == ["task_sync_internal._hold_route(bigint[], bigint[])"]
    assert [f.signature for f in gone] == ["task_sync_internal._park_marks(bigint[])"]


def test_normalise_dump_drops_only_server_added_column_options() -> None:
    dump = "\n".join(
        [
            "ALTER TABLE ONLY task_sync.t ALTER COLUMN id SET (pg_attver=22158952);",
            "ALTER TABLE ONLY task_sync.t ALTER COLUMN x SET (pg_attver=22158952, n_distinct=5);",
            "ALTER TABLE ONLY task_sync.t ALTER COLUMN y SET (n_distinct=-1);",
            "CREATE TABLE task_sync.u (id integer);",
        ]
    )
    assert normalise_dump(dump).splitlines() == [
        "ALTER TABLE ONLY task_sync.t ALTER COLUMN x SET (n_distinct=5);",
        "ALTER TABLE ONLY task_sync.t ALTER COLUMN y SET (n_distinct=-1);",
        "CREATE TABLE task_sync.u (id integer);",
    ]


@pytest.mark.parametrize(
    "drift, seen",
    [
        # a column option set on purpose is schema, unlike the server's own pg_attver stamp
        (
            "ALTER TABLE task_sync.task ALTER COLUMN work_content SET (n_distinct = 100);",
            "n_distinct=100",
        ),
        ("ALTER TABLE task_sync.work_order ALTER COLUMN status SET DEFAULT 'paused';", "'paused'"),
        ("COMMENT ON TABLE task_sync.task IS 'drifted';", "drifted"),
    ],
)
def test_parity_check_still_sees_real_drift(
    drift: str, seen: str, empty_dsn: str, dsn: str, server: TestServer, tmp_path: Path
) -> None:
    """A revision whose frozen SQL differs from sql/ is reported, whatever the normalisation drops."""
    drifted = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), drifted)
    last = drifted / "versions" / f"{known_revisions()[-1]}.up.sql"
    last.write_text(last.read_text(encoding="utf-8") + "\n" + drift + "\n", encoding="utf-8")
    cfg = alembic_config()
    cfg.set_main_option("script_location", str(drifted))
    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(empty_dsn), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()
    diff = _schema_diff(_dump(server, dsn), _dump(server, empty_dsn))
    assert seen in diff, diff


def test_canonical_install_twice_into_one_database_fails_loudly(dsn: str) -> None:
    # a fresh database is the canonical files run once; a second run must not half-apply
    with psycopg.connect(dsn) as c:
        try:
            install_canonical(c)
        except psycopg.errors.DuplicateObject:
            pass
        else:  # pragma: no cover
            raise AssertionError("installing twice should fail")
        assert c.execute("SELECT count(*) FROM task_sync.process").fetchone() == (21,)


def test_migrate_uses_the_callers_dsn_not_a_file(empty_dsn: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("PYTASK_SYNC_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    migrate(empty_dsn)
    assert _revision(empty_dsn) == head_revision()


def test_0002_keeps_pending_work_orders_pending_both_ways(empty_dsn: str) -> None:
    migrate(empty_dsn, "0001_initial")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        (pending,) = c.execute("INSERT INTO task_sync.work_order (order_number) VALUES ('P') RETURNING id").fetchone()  # type: ignore[misc]
        (synced,) = c.execute("INSERT INTO task_sync.work_order (order_number) VALUES ('S') RETURNING id").fetchone()  # type: ignore[misc]
        c.execute(
            "INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
            " SELECT w, p.id, s FROM (VALUES (%s::bigint, 10), (%s, 10), (%s, 20)) v(w, s), task_sync.process p"
            " WHERE p.code = 'GLUE'",
            (pending, synced, pending),
        )
        c.execute("SELECT task_sync.execute(%s, true)", (synced,))
        before = c.execute("SELECT definition_version FROM task_sync.work_order WHERE id = %s", (pending,)).fetchone()
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        doc = c.execute("SELECT task_sync.preview(%s)", (pending,)).fetchone()[0]  # type: ignore[index]
        assert (doc["definition_version"], doc["sync_needed"]) == (before[0], True)  # type: ignore[index]
        assert c.execute("SELECT work_order_id FROM task_sync.pending()").fetchall() == [(pending,)]
        assert c.execute("SELECT task_sync.check_sync_needed(%s)", (synced,)).fetchone() == (False,)
    downgrade(empty_dsn, "0001_initial")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        assert c.execute(
            "SELECT id, definition_version > synced_version, pending_since IS NOT NULL FROM task_sync.work_order"
            " ORDER BY id"
        ).fetchall() == [(pending, True, True), (synced, False, False)]


def test_0003_keeps_the_audit_and_refuses_ids_that_are_not_positive(empty_dsn: str) -> None:
    migrate(empty_dsn, "0002_marks")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        b = Builder(c)
        wo = b.realistic()
        b.execute(wo)
        c.execute("UPDATE task_sync.work_order SET production_quantity = 4000 WHERE id = %s", (wo,))
        c.execute("DELETE FROM task_sync.work_order_artwork WHERE work_order_id = %s", (wo,))
        b.execute(wo)
        items = c.execute(
            "SELECT s.id, i->>'action', (i->>'task_id')::bigint FROM task_sync.sync_run s,"
            " jsonb_array_elements(s.items) i ORDER BY 1, 2, 3"
        ).fetchall()
        assert {a for _, a, _ in items} == {"add", "remove", "update"}
        # a row with an id that is not positive: the upgrade refuses with one clear error
        c.execute("INSERT INTO task_sync.work_order (id, order_number) VALUES (-5, 'NEG')")
    with pytest.raises(psycopg.errors.CheckViolation, match=r"task_sync\.work_order has 1 row"):
        migrate(empty_dsn)
    assert _revision(empty_dsn) == "0002_marks"
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        c.execute("DELETE FROM task_sync.work_order WHERE id = -5")
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        moved = c.execute("SELECT sync_run_id, action, task_id FROM task_sync.sync_item ORDER BY 1, 2, 3").fetchall()
        assert moved == items
        removed = c.execute(
            "SELECT previous_work_content IS NOT NULL, work_content IS NULL FROM task_sync.sync_item"
            " WHERE action = 'remove'"
        ).fetchall()
        assert removed and all(r == (True, True) for r in removed)
    downgrade(empty_dsn, "0002_marks")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        back = c.execute(
            "SELECT s.id, i->>'action', (i->>'task_id')::bigint FROM task_sync.sync_run s,"
            " jsonb_array_elements(s.items) i ORDER BY 1, 2, 3"
        ).fetchall()
        assert back == items


def test_0004_keeps_every_kind_and_refuses_to_downgrade_over_a_created_kind(empty_dsn: str) -> None:
    migrate(empty_dsn, "0003_books")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        b = Builder(c)
        wos = [b.realistic() for _ in range(2)]
        for wo in wos:
            b.execute(wo)
        c.execute("UPDATE task_sync.product SET name = name || ' (new box)'")  # pending: a rename
        tasks = b.snapshot()["task"]
        pending = c.execute("SELECT work_order_id FROM task_sync.pending() ORDER BY 1").fetchall()
        plans = [c.execute("SELECT * FROM task_sync.plan(%s)", (wo,)).fetchall() for wo in wos]
    migrate(empty_dsn, "0004_kinds")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        b = Builder(c)
        assert b.snapshot()["task"] == tasks
        assert c.execute("SELECT work_order_id FROM task_sync.pending() ORDER BY 1").fetchall() == pending
        assert [c.execute("SELECT * FROM task_sync.plan(%s)", (wo,)).fetchall() for wo in wos] == plans
        assert c.execute("SELECT count(*) FROM task_sync.source_kind WHERE built_in").fetchone() == (7,)
        c.execute("SELECT task_sync.create_source_kind('varnish_plate')")
    with pytest.raises(psycopg.DatabaseError, match="create_source_kind exist: varnish_plate") as info:
        downgrade(empty_dsn, "0003_books")
    assert info.value.sqlstate == "TSC06"
    assert _revision(empty_dsn) == "0004_kinds"
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        c.execute("SELECT task_sync.drop_source_kind('varnish_plate')")
    downgrade(empty_dsn, "0003_books")
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        assert Builder(c).snapshot()["task"] == tasks
        assert [c.execute("SELECT * FROM task_sync.plan(%s)", (wo,)).fetchall() for wo in wos] == plans
