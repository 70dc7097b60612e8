"""A wheel built from the repository carries sql/ and migrations/ and migrates with no checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import psycopg
import pytest

from pytask_sync._resources import known_revisions
from pytask_sync.migrate import head_revision

# slow (builds and installs a wheel): pytest -m "not slow" leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
    )
    (whl,) = out.glob("pytask_sync-*.whl")
    return whl


def test_wheel_carries_sql_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    canonical = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sql").rglob("*.sql")}
    assert {f"pytask_sync/{n}" for n in canonical} <= names
    assert "pytask_sync/migrations/env.py" in names
    for rev in known_revisions():
        assert f"pytask_sync/migrations/versions/{rev}.up.sql" in names
        assert f"pytask_sync/migrations/versions/{rev}.down.sql" in names


def test_installed_wheel_migrates_without_a_checkout(wheel: Path, empty_dsn: str, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the installed copy first, then this environment's dependencies; never the checkout
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]))
    env.pop("PYTASK_SYNC_DSN", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pytask_sync, pytask_sync.cli as c;"
            "assert 'site' in pytask_sync.__file__, pytask_sync.__file__;"
            "sys.exit(c.main(sys.argv[1:]))",
            "--dsn",
            empty_dsn,
            "migrate",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    with psycopg.connect(empty_dsn) as c:
        assert c.execute("SELECT version_num FROM task_sync.alembic_version").fetchone() == (head_revision(),)


def test_wheel_is_typed_licensed_and_leaves_psycopgs_implementation_to_the_application(wheel: Path) -> None:
    zf = zipfile.ZipFile(wheel)
    names = set(zf.namelist())
    assert "pytask_sync/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names), names
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    requires = [ln for ln in zf.read(meta).decode().splitlines() if ln.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    assert "Requires-Dist: psycopg>=3.2" in core  # notifies(timeout=) in the worker needs 3.2
    assert not any("binary" in r for r in core)
    assert any("psycopg[binary]" in r and "extra == 'binary'" in r for r in requires), requires


def test_the_version_is_the_packages() -> None:
    from importlib.metadata import version

    import pytask_sync

    assert pytask_sync.__version__ == version("pytask-sync")
