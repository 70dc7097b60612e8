"""The engine in a Django project, in process: ``upgrade_connection`` (what the app's migrations
run), the app's migrations against alembic's head, ``engine_errors`` for ORM writes (Django,
SQLAlchemy, psycopg) and the nested ``atomic()`` that keeps a transaction usable after
``StalePlan``. The sample project (``examples/django_project``) runs the rest as a user would:
``tests/django_project``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from pytask_sync import EngineOwnedColumn, ProcessHasFormalTasks, StalePlan, TaskSync, orm
from pytask_sync.errors import engine_errors
from pytask_sync.migrate import current_revision, head_revision, migrate, upgrade_connection
from tests.api import test_django as _django_configured  # noqa: F401  (Django's settings)
from tests.builders import Builder


@pytest.fixture
def as_writer(conn: psycopg.Connection[Any], dsn: str, login: dict[str, str]) -> Iterator[Builder]:
    """Django's default connection goes to this test's database as the writer login role."""
    from django.db import connections

    params = conninfo_to_dict(dsn)
    db = connections["default"]
    db.close()
    db.settings_dict.update(
        NAME=params["dbname"],
        USER=login["task_sync_writer"],
        HOST=params.get("host") or "",
        PORT=str(params.get("port") or ""),
        PASSWORD="",
    )
    try:
        yield Builder(conn)
    finally:
        db.close()


def _tables(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'task_sync'").fetchone()
    assert row is not None
    return int(row[0])


def test_upgrade_connection_runs_in_the_callers_transaction(empty_dsn: str) -> None:
    with psycopg.connect(empty_dsn) as conn:
        path = conn.execute("SHOW search_path").fetchone()
        assert upgrade_connection(conn) is None  # there was no engine
        assert _tables(conn) > 10
        assert conn.execute("SHOW search_path").fetchone() == path  # the revisions' own is given back
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS  # nothing committed
        conn.rollback()
        assert _tables(conn) == 0  # undone with the caller's transaction
        upgrade_connection(conn)
        conn.commit()
    assert current_revision(empty_dsn) == head_revision()
    migrate(empty_dsn)  # pytask-sync migrate after it: nothing to do
    with psycopg.connect(empty_dsn) as conn:
        assert upgrade_connection(conn) == head_revision()  # already there: nothing runs
        assert conn.execute("SELECT count(*) FROM task_sync.alembic_version").fetchone() == (1,)


def test_upgrade_connection_upgrades_and_never_goes_back(empty_dsn: str) -> None:
    migrate(empty_dsn, "0009_one_place")
    with psycopg.connect(empty_dsn) as conn:
        assert upgrade_connection(conn, "0008_fleet") == "0009_one_place"  # past it: left as it is
        assert upgrade_connection(conn) == "0009_one_place"
        conn.commit()
    assert current_revision(empty_dsn) == head_revision()


def test_upgrade_connection_refuses_what_it_cannot_do(empty_dsn: str) -> None:
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        with pytest.raises(ValueError, match="autocommit"):
            upgrade_connection(conn)
        conn.autocommit = False
        with pytest.raises(ValueError, match="unknown revision"):
            upgrade_connection(conn, "9999_nothing")
    with pytest.raises(TypeError):
        upgrade_connection(object())


def test_the_apps_last_migration_brings_the_engine_to_alembics_head() -> None:
    """A release that adds an alembic revision adds a Django migration with its UpgradeEngine."""
    from django.db.migrations.loader import MigrationLoader

    from pytask_sync.django.operations import UpgradeEngine

    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = loader.graph.forwards_plan(loader.graph.leaf_nodes("task_sync")[0])
    targets = [
        op.revision
        for key in plan
        if key[0] == "task_sync"
        for op in loader.graph.nodes[key].operations
        if isinstance(op, UpgradeEngine)
    ]
    assert targets and targets[-1] == head_revision()
    assert len(loader.graph.leaf_nodes("task_sync")) == 1


def test_engine_errors_from_djangos_orm(as_writer: Builder) -> None:
    from django.db import DatabaseError, IntegrityError, transaction

    from pytask_sync.django import engine_errors as django_engine_errors
    from pytask_sync.django import models as ts

    b = as_writer
    wo = b.realistic()
    before = b.snapshot()
    with pytest.raises(EngineOwnedColumn) as caught, django_engine_errors(), transaction.atomic():
        ts.WorkOrder.objects.filter(id=wo).update(synced_version=99)
    assert caught.value.__cause__.sqlstate == "TSP01"  # type: ignore[union-attr]
    assert isinstance(caught.value.__context__, DatabaseError)  # Django's, as raised
    assert b.snapshot() == before

    from django.db import connection

    TaskSync(connection).execute(wo, confirm=True)
    task = ts.Task.objects.filter(work_order_id=wo).order_by("id").first()
    task.status = "pending"
    task.save()
    route_row = task.work_order_process
    before = b.snapshot()

    @django_engine_errors()
    def delete_route_row() -> None:
        with transaction.atomic():
            route_row.delete()

    with pytest.raises(ProcessHasFormalTasks):
        delete_route_row()
    assert b.snapshot() == before
    # an error that is not the engine's passes as it was
    with pytest.raises(IntegrityError), django_engine_errors(), transaction.atomic():
        ts.WorkOrder.objects.create(order_number=ts.WorkOrder.objects.get(id=wo).order_number)


def test_stale_plan_in_a_nested_atomic_keeps_the_transaction(as_writer: Builder) -> None:
    from django.db import connection, transaction

    from pytask_sync.django import models as ts

    wo = as_writer.realistic()
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the engine's error undoes only it
                TaskSync(connection).execute(wo, confirm=True, expected_plan_hash="0" * 64)
        except StalePlan:
            plan = TaskSync(connection).preview(wo)  # the outer transaction still works
        TaskSync(connection).execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
    assert ts.Task.objects.filter(work_order_id=wo).count() == plan.summary.add


def test_engine_errors_from_sqlalchemys_orm_and_psycopg(conn: psycopg.Connection[Any], dsn: str, login: Any) -> None:
    b = Builder(conn)
    wo = b.realistic()
    writer = make_conninfo("", **{**conninfo_to_dict(dsn), "user": login["task_sync_writer"]})
    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(writer), poolclass=NullPool)
    before = b.snapshot()
    with Session(engine) as session:
        row = session.get(orm.WorkOrder, wo)
        assert row is not None
        row.synced_version = 99
        with pytest.raises(EngineOwnedColumn) as caught, orm.engine_errors():
            session.flush()
        assert caught.value.__cause__.sqlstate == "TSP01"  # type: ignore[union-attr]
        assert isinstance(caught.value.__context__, DBAPIError)
        session.rollback()
        with pytest.raises(IntegrityError), orm.engine_errors():  # not the engine's: as SQLAlchemy raised it
            session.add(orm.WorkOrder(order_number=row.order_number))
            session.flush()
    engine.dispose()
    assert b.snapshot() == before
    with psycopg.connect(writer) as raw, pytest.raises(EngineOwnedColumn), engine_errors():
        raw.execute("UPDATE task_sync.work_order SET synced_version = 99 WHERE id = %s", (wo,))


def test_save_refuses_a_change_it_would_lose(as_writer: Builder) -> None:
    from django.db import connection

    from pytask_sync.django import models as ts

    wo = as_writer.realistic()
    TaskSync(connection).execute(wo, confirm=True)
    task = ts.Task.objects.filter(work_order_id=wo, task_type="printing").first()
    assert task is not None
    before = as_writer.snapshot()
    task.task_type = "forged"
    task.work_content = "kept?"
    with pytest.raises(ValueError, match="task_type would be lost"):
        task.save()
    assert as_writer.snapshot() == before  # nothing written, not even the writable field
    task.refresh_from_db()
    task.work_content = "planner's words"
    task.save()  # a writable field alone: saved
    assert ts.Task.objects.get(id=task.id).work_content == "planner's words"
    link = ts.WorkOrderArtwork.objects.filter(work_order_id=wo).first()
    assert link is not None
    link.artwork_id = as_writer.catalog("artwork", "ART-OTHER")
    with pytest.raises(ValueError, match="writes nothing"):
        link.save()
