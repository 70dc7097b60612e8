"""Migrations: one head, base to head, up/down/up, and the same schema as the canonical install."""

from __future__ import annotations

import difflib
import re
import subprocess
from typing import Any

import psycopg
from alembic.script import ScriptDirectory

from pytask_sync._resources import install_canonical, known_revisions, migrations_dir
from pytask_sync.migrate import alembic_config, downgrade, head_revision, migrate
from tests.pgserver_for_tests import TestServer


def _dump(server: TestServer, dsn: str) -> str:
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    out = subprocess.run(
        [
            server.pg_dump(),
            "--schema-only",
            "--no-owner",
            "--schema=task_sync",
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
    return "\n".join(lines)


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
        left = c.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'task_sync'::regnamespace"
            " AND relname NOT LIKE 'alembic_version%'"
        ).fetchone()
        assert left == (0,)
        assert c.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'task_sync'::regnamespace").fetchone() == (
            0,
        )
    migrate(empty_dsn)
    assert _dump(server, empty_dsn) == dumps[revisions[-1]]


def test_migrations_equal_the_canonical_install(empty_dsn: str, dsn: str, server: TestServer) -> None:
    migrate(empty_dsn)
    canonical = _dump(server, dsn)
    migrated = _dump(server, empty_dsn)
    if canonical != migrated:
        diff = "\n".join(
            difflib.unified_diff(
                canonical.splitlines(),
                migrated.splitlines(),
                "canonical sql/",
                "alembic upgrade head",
                lineterm="",
            )
        )
        raise AssertionError(f"schema drift between sql/ and migrations/:\n{diff}")


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
