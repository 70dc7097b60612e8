"""One connector per client kind, behind one interface; the API classes only pick one and loop.

Every sync connector is held to the same contract here, on a real database: rows come back as
dicts loaded by psycopg's defaults, a TS error is found under the client's own wrapping, and
whether a call owns its transaction follows the client's rules. Django's connector is exercised
by ``tests/api/test_django.py`` (it needs Django configured for the whole module).
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import psycopg.types.numeric
import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from pytask_sync import AsyncTaskSync, TaskSync
from pytask_sync.connector import (
    AsyncPsycopgConnector,
    BaseConnector,
    PsycopgConnector,
    SQLAlchemyConnector,
    async_connector_for,
    connector_for,
)
from pytask_sync.errors import translate

PACKAGE = Path(__file__).resolve().parents[2] / "pytask_sync"


@contextmanager
def _psycopg(dsn: str) -> Iterator[Any]:
    with psycopg.connect(dsn) as c:
        yield c


@contextmanager
def _sqlalchemy_connection(dsn: str) -> Iterator[Any]:
    eng = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn))
    try:
        with eng.connect() as sa:
            yield sa
    finally:
        eng.dispose()


@contextmanager
def _sqlalchemy_session(dsn: str) -> Iterator[Any]:
    eng = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn))
    try:
        with Session(eng) as session:
            yield session
    finally:
        eng.dispose()


KINDS: dict[str, tuple[Callable[[str], Any], type[BaseConnector]]] = {
    "psycopg": (_psycopg, PsycopgConnector),
    "sqlalchemy connection": (_sqlalchemy_connection, SQLAlchemyConnector),
    "sqlalchemy session": (_sqlalchemy_session, SQLAlchemyConnector),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_sync_connector_keeps_the_same_contract(dsn: str, kind: str) -> None:
    opened, expected = KINDS[kind]
    with opened(dsn) as client:
        connector = connector_for(client)
        assert type(connector) is expected
        rows = connector.execute_query_all(
            "SELECT CAST(%(n)s AS int8) AS n, CAST('{\"a\": 1}' AS jsonb) AS doc", {"n": 7}
        )
        assert rows == [{"n": 7, "doc": {"a": 1}}]  # dicts, psycopg's own loaders
        state, revision = connector.schema_state()
        assert state["installed"] is True and (revision is None) is (state["versioned"] is False)
        with pytest.raises(connector.errors) as info:
            connector.execute_query_all("SELECT task_sync.preview(%(id)s)", {"id": 0})
        cause = connector.driver_error(info.value)
        assert cause is not None and cause.sqlstate == "TSV01" and translate(cause) is not None
        assert connector.driver_error(ValueError("not a database error")) is None


def test_whether_a_call_owns_its_transaction_follows_the_client(dsn: str) -> None:
    with psycopg.connect(dsn) as c:
        connector = connector_for(c)
        assert connector.owns_transaction()  # nothing open: the call's statement starts it
        c.execute("SELECT 1")
        assert not connector.owns_transaction()  # the caller's transaction
        c.rollback()
    with _sqlalchemy_connection(dsn) as sa:
        assert not connector_for(sa).owns_transaction()  # SQLAlchemy's transactions are the caller's


def test_a_loader_the_connection_registered_does_not_reach_the_results(dsn: str) -> None:
    with psycopg.connect(dsn) as c:
        c.adapters.register_loader("int8", psycopg.types.numeric.NumericLoader)
        assert c.execute("SELECT 7::int8").fetchone() == (Decimal(7),)
        assert connector_for(c).execute_query_all("SELECT 7::int8 AS n") == [{"n": 7}]


def test_the_async_connector(dsn: str) -> None:
    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(dsn) as aconn:
            connector = async_connector_for(aconn)
            assert isinstance(connector, AsyncPsycopgConnector)
            assert await connector.execute_query_all_async("SELECT 1 AS one") == [{"one": 1}]
            assert not connector.owns_transaction()  # the statement above opened one
            await connector.end_failed_transaction_async()
            assert connector.owns_transaction()

    asyncio.run(main())


def test_a_client_of_no_known_kind_is_refused_when_the_api_is_made() -> None:
    with pytest.raises(TypeError, match="psycopg 3 connection"):
        TaskSync(object())
    with pytest.raises(TypeError, match="AsyncConnection"):
        AsyncTaskSync(object())  # type: ignore[arg-type]


def test_djangos_connection_is_told_apart_without_settings() -> None:
    from django.db import connection

    assert type(connector_for(connection)).__name__ == "DjangoConnector"


def _tree(name: str) -> ast.Module:
    return ast.parse((PACKAGE / name).read_text(encoding="utf-8"))


def test_the_api_classes_pick_a_connector_and_sniff_no_types() -> None:
    classes = {n.name: n for n in _tree("client.py").body if isinstance(n, ast.ClassDef)}
    for name in ("TaskSync", "AsyncTaskSync"):
        called = {
            n.func.id for n in ast.walk(classes[name]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not called & {"isinstance", "type", "hasattr"}, name


def test_modules_import_no_private_name_of_another_module() -> None:
    """The worker (and every module) uses what another module offers, not its helpers."""
    modules = {p.stem for p in PACKAGE.rglob("*.py")}
    private = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                private += [
                    f"{path.name}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__") and a.name not in modules
                ]
    assert private == []
