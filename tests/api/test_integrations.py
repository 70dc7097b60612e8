"""TaskSync through SQLAlchemy (a Connection and a Session) and AsyncTaskSync on asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy
from sqlalchemy import event
from sqlalchemy.orm import Session

from pytask_sync import AsyncTaskSync, StalePlan, TaskSync, WorkOrderNotFound
from tests.api.test_wrapper import BAD_ARGUMENTS
from tests.builders import Builder


@pytest.fixture
def engine(dsn: str) -> Iterator[sqlalchemy.Engine]:
    """An engine on this test's database that records every statement SQLAlchemy runs."""
    eng = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn))
    eng.statements = []  # type: ignore[attr-defined]

    @event.listens_for(eng, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        eng.statements.append(statement)  # type: ignore[attr-defined]

    yield eng
    eng.dispose()


def test_statements_run_through_sqlalchemy_and_the_transaction_stays_the_callers(
    conn: psycopg.Connection[Any], engine: sqlalchemy.Engine
) -> None:
    wo = Builder(conn).realistic()
    with engine.connect() as sa:
        ts = TaskSync(sa)
        plan = ts.preview(wo)
        ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
        seen = " ".join(engine.statements)  # type: ignore[attr-defined]
        assert "task_sync.preview(" in seen and "task_sync.execute(" in seen  # SQLAlchemy ran them
        assert sa.in_transaction()  # begun by SQLAlchemy on the first statement, left to the caller
        sa.rollback()  # the caller's: the sync is undone
        assert TaskSync(conn).check_sync_needed(wo) is True
        with sa.begin():  # a transaction the caller opened: no commit behind its back
            ts.execute(wo, confirm=True)
            assert sa.in_transaction()
            assert TaskSync(conn).check_sync_needed(wo) is True  # not visible outside yet
        assert TaskSync(conn).check_sync_needed(wo) is False


def test_a_session_works_the_same(conn: psycopg.Connection[Any], engine: sqlalchemy.Engine) -> None:
    wo = Builder(conn).realistic()
    with Session(engine) as session:
        ts = TaskSync(session)
        assert ts.check_sync_needed(wo) is True
        res = ts.execute(wo, confirm=True)
        assert res.added == 14
        session.rollback()
        assert TaskSync(conn).check_sync_needed(wo) is True
        ts.execute(wo, confirm=True)
        session.commit()
    assert TaskSync(conn).check_sync_needed(wo) is False
    assert any("task_sync.execute(" in s for s in engine.statements)  # type: ignore[attr-defined]


def test_errors_through_sqlalchemy_are_ours_with_psycopgs_error_as_cause(
    conn: psycopg.Connection[Any], engine: sqlalchemy.Engine
) -> None:
    wo = Builder(conn).realistic()
    with engine.connect() as sa:
        ts = TaskSync(sa)
        with pytest.raises(StalePlan) as info:
            ts.execute(wo, confirm=True, expected_plan_hash="0" * 64)
        assert isinstance(info.value.__cause__, psycopg.Error) and info.value.__cause__.sqlstate == "TSC02"
        sa.rollback()
        with pytest.raises(WorkOrderNotFound):
            ts.preview(wo + 1000)
        sa.rollback()
        # an error that is not ours stays SQLAlchemy's
        with pytest.raises(sqlalchemy.exc.DBAPIError):
            sa.execute(sqlalchemy.text("SELECT task_sync.no_such_function()"))


def test_sqlalchemy_on_another_driver_is_refused() -> None:
    eng = sqlalchemy.create_engine("sqlite://")
    with eng.connect() as sa, pytest.raises(TypeError, match="psycopg"):
        TaskSync(sa).pending()


def test_async_task_sync(conn: psycopg.Connection[Any], dsn: str) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            ts = AsyncTaskSync(aconn)
            assert [p.work_order_id for p in await ts.pending()] == wos
            assert len(await ts.plan_pending(limit=1)) == 14
            plan = await ts.preview(wos[0])
            assert plan.summary.add == len(await ts.plan(wos[0])) == 14
            res = await ts.execute(wos[0], confirm=True, expected_plan_hash=plan.plan_hash)
            assert res.added == 14 and not await ts.check_sync_needed(wos[0])
            assert {r.work_order_id for r in await ts.sync_pending()} == set(wos[1:])
            with pytest.raises(WorkOrderNotFound) as info:
                await ts.preview(max(wos) + 1000)
            assert isinstance(info.value.__cause__, psycopg.Error)
            conn.execute("UPDATE task_sync.work_order SET production_quantity = 1 WHERE id = %s", (wos[0],))
            with pytest.raises(StalePlan):
                await ts.execute(wos[0], confirm=True, expected_plan_hash=plan.plan_hash)

    asyncio.run(main())


@pytest.mark.parametrize(("call", "exc"), BAD_ARGUMENTS)
def test_async_refuses_wrong_arguments_before_anything_is_sent(dsn: str, call: Any, exc: type[Exception]) -> None:
    async def main() -> None:
        closed = await psycopg.AsyncConnection.connect(dsn)
        await closed.close()
        with pytest.raises(exc):
            await call(AsyncTaskSync(closed))

    asyncio.run(main())
