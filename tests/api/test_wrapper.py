"""The Python wrapper: typed results, exceptions chosen by SQLSTATE, both connection kinds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy

from pytask_sync import (
    ConfirmationRequired,
    InvalidArgument,
    PlanItem,
    SchemaNotInstalled,
    SchemaTooNew,
    StalePlan,
    SyncPlan,
    SyncResult,
    TaskSync,
    WorkOrderNotFound,
    WorkOrderNotSyncable,
    errors,
    migrate,
)
from pytask_sync._resources import sql_dir
from tests.builders import Builder

ROOT = Path(__file__).resolve().parents[2]


def test_every_ts_sqlstate_has_an_exception_and_the_reverse() -> None:
    raised, internal = set(), set()
    for path in sql_dir().rglob("*.sql"):
        text = path.read_text()
        raised |= set(re.findall(r"ERRCODE = '(TS[A-Z0-9]{3})'", text))
        # a signal raised and caught inside one function never reaches a caller
        internal |= set(re.findall(r"WHEN SQLSTATE '(TS[A-Z0-9]{3})'", text))
    raised -= internal
    assert raised == set(errors.BY_SQLSTATE)
    # the reference and the bad-input table document exactly the codes the SQL raises
    for doc in (ROOT / "docs" / "reference.md", ROOT / "docs" / "errors.md"):
        documented = set(re.findall(r"`(TS[A-Z]\d\d)`", doc.read_text()))
        assert documented == raised, (doc.name, documented ^ raised)
    for code, cls in errors.BY_SQLSTATE.items():
        assert issubclass(cls, errors.TaskSyncError) and cls.sqlstate == code


def test_preview_and_execute_are_typed(conn: psycopg.Connection[Any]) -> None:
    wo = Builder(conn).realistic()
    ts = TaskSync(conn)
    plan = ts.preview(wo)
    assert isinstance(plan, SyncPlan)
    assert plan.summary.add == 14 and plan.summary.changes == 14
    assert all(isinstance(i, PlanItem) and i.action == "add" for i in plan.items)
    assert ts.plan(wo) == list(plan.items)
    assert ts.check_sync_needed(wo) is True
    assert [p.work_order_id for p in ts.pending()] == [wo]
    res = ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
    assert isinstance(res, SyncResult) and res.added == 14 and res.sync_run_id is not None
    assert ts.check_sync_needed(wo) is False
    with pytest.raises(AttributeError):
        res.added = 3  # type: ignore[misc]


def test_sync_pending_is_typed(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wos = [b.realistic() for _ in range(3)]
    rows = TaskSync(conn).sync_pending(limit=2)
    assert [r.work_order_id for r in rows] == wos[:2]
    assert all(r.added == 14 for r in rows)


@pytest.mark.parametrize(
    ("call", "exc", "sqlstate"),
    [
        (lambda ts, wo: ts.preview(10**9), WorkOrderNotFound, "TSN01"),
        (lambda ts, wo: ts.preview(0), InvalidArgument, "TSV01"),
        (lambda ts, wo: ts.pending(limit=-1), InvalidArgument, "TSV01"),
        (lambda ts, wo: ts.execute(wo), ConfirmationRequired, "TSC01"),
        (lambda ts, wo: ts.execute(wo, confirm=True, expected_plan_hash="0" * 64), StalePlan, "TSC02"),
        (lambda ts, wo: ts.execute(wo, confirm=True, expected_plan_hash="nope"), InvalidArgument, "TSV01"),
    ],
)
def test_errors_are_ours_with_the_psycopg_error_as_cause(
    conn: psycopg.Connection[Any], call: Any, exc: type[errors.TaskSyncError], sqlstate: str
) -> None:
    b = Builder(conn)
    wo = b.realistic()
    before = b.snapshot()
    with pytest.raises(exc) as info:
        call(TaskSync(conn), wo)
    assert isinstance(info.value.__cause__, psycopg.Error)
    assert info.value.__cause__.sqlstate == sqlstate
    assert info.value.sqlstate == sqlstate and info.value.message
    assert b.snapshot() == before


def test_not_syncable_carries_detail(conn: psycopg.Connection[Any]) -> None:
    b = Builder(conn)
    wo = b.realistic()
    conn.execute("UPDATE task_sync.work_order SET approval_status = 'approved' WHERE id = %s", (wo,))
    with pytest.raises(WorkOrderNotSyncable) as info:
        TaskSync(conn).execute(wo, confirm=True)
    assert info.value.detail and "approved" in info.value.detail


def test_caller_owns_the_transaction(conn: psycopg.Connection[Any], connect: Any) -> None:
    wo = Builder(conn).realistic()
    caller = connect(autocommit=False)
    TaskSync(caller).execute(wo, confirm=True)
    assert caller.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    other = TaskSync(connect())
    assert other.check_sync_needed(wo) is True  # not committed yet
    caller.rollback()
    assert other.check_sync_needed(wo) is True
    assert Builder(conn).tasks(wo) == []
    TaskSync(caller).execute(wo, confirm=True)
    caller.commit()
    assert other.check_sync_needed(wo) is False


def test_sqlalchemy_connection_on_psycopg(conn: psycopg.Connection[Any], dsn: str) -> None:
    wo = Builder(conn).realistic()
    engine = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn))
    try:
        with engine.connect() as sa:
            ts = TaskSync(sa)
            plan = ts.preview(wo)
            ts.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
            sa.rollback()
            assert ts.check_sync_needed(wo) is True
            ts.execute(wo, confirm=True)
            sa.commit()
        assert TaskSync(conn).check_sync_needed(wo) is False
    finally:
        engine.dispose()


def test_unmigrated_database_is_reported(empty_dsn: str) -> None:
    with psycopg.connect(empty_dsn, autocommit=True) as c, pytest.raises(SchemaNotInstalled) as info:
        TaskSync(c).pending()
    assert info.value.hint and "migrate" in info.value.hint


def test_database_migrated_by_a_newer_version_is_refused(empty_dsn: str) -> None:
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as c:
        assert TaskSync(c).pending() == []
        c.execute("UPDATE task_sync.alembic_version SET version_num = '9999_from_the_future'")
        with pytest.raises(SchemaTooNew):
            TaskSync(c).pending()


def test_wrong_connection_type() -> None:
    with pytest.raises(TypeError):
        TaskSync(object()).pending()  # type: ignore[arg-type]


BAD_ARGUMENTS = [
    (lambda ts: ts.preview(True), TypeError),
    (lambda ts: ts.preview(1.5), TypeError),
    (lambda ts: ts.preview("abc"), TypeError),
    (lambda ts: ts.preview("42"), TypeError),
    (lambda ts: ts.preview(2**63), InvalidArgument),
    (lambda ts: ts.preview(-(2**63) - 1), InvalidArgument),
    (lambda ts: ts.preview(1, overwrite_edits="yes"), TypeError),
    (lambda ts: ts.preview(1, restore_dismissed=1), TypeError),
    (lambda ts: ts.plan(None), TypeError),
    (lambda ts: ts.plan(1, overwrite_edits=None), TypeError),
    (lambda ts: ts.execute(1, confirm="yes"), TypeError),
    (lambda ts: ts.execute(1, confirm=1), TypeError),
    (lambda ts: ts.execute(2**64, confirm=True), InvalidArgument),
    (lambda ts: ts.execute(1, confirm=True, expected_plan_hash=b"0" * 64), TypeError),
    (lambda ts: ts.execute(1, confirm=True, overwrite_edits="false"), TypeError),
    (lambda ts: ts.check_sync_needed(True), TypeError),
    (lambda ts: ts.pending(limit=2.0), TypeError),
    (lambda ts: ts.pending(limit=2**31), InvalidArgument),
    (lambda ts: ts.sync_pending(limit="10"), TypeError),
    (lambda ts: ts.sync_pending(limit=True), TypeError),
]


@pytest.mark.parametrize(("call", "exc"), BAD_ARGUMENTS)
def test_wrong_arguments_are_refused_before_anything_is_sent(
    closed_conn: psycopg.Connection[Any], call: Any, exc: type[Exception]
) -> None:
    # a closed connection: anything sent would raise psycopg.OperationalError instead
    with pytest.raises(exc):
        call(TaskSync(closed_conn))


def test_integers_of_other_types_are_accepted(conn: psycopg.Connection[Any]) -> None:
    import decimal

    class Index:
        def __index__(self) -> int:
            return wo

    wo = Builder(conn).realistic()
    ts = TaskSync(conn)
    assert ts.preview(Index()).work_order_id == wo  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ts.preview(decimal.Decimal(wo))  # type: ignore[arg-type]
