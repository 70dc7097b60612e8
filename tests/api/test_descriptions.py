"""Every description of the schema the package ships says what a migrated database says.

- ``pytask_sync.tables.metadata``: alembic's own comparator (``compare_metadata``, with types and
  server defaults compared) finds nothing between it and the database (columns, types,
  nullability, defaults, indexes, table and column comments) once ``tables.include_name`` leaves
  out the engine's internal tables, and finds exactly those without it.
- ``pytask_sync.django.models``: each model's table, and each field's column, type and
  nullability, is the database's; every column of a table is a field of its model.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from pytask_sync import tables
from pytask_sync.migrate import migrate
from tests.api import test_django as _django_configured  # noqa: F401  (Django's settings for the models)


def _diffs(dsn: str, **opts: Any) -> list[Any]:
    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=NullPool)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Did not recognize type 'xid8'")  # applying.xact, internal
            ctx = MigrationContext.configure(
                conn,
                opts={"include_schemas": True, "compare_type": True, "compare_server_default": True, **opts},
            )
            return list(compare_metadata(ctx, tables.metadata))
    finally:
        engine.dispose()


def _schema_task_sync(name: str | None, type_: str, parent_names: Any) -> bool:
    return name == "task_sync" if type_ == "schema" else True


@pytest.fixture(scope="module")
def migrated_dsn(_test_server: Any) -> Iterator[str]:
    """A database made by the migrations (``pytask-sync migrate``), alembic's version table included."""
    name = f"pytask_sync_described_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate(_test_server.dsn(name))
        yield _test_server.dsn(name)
    finally:
        with psycopg.connect(_test_server.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_alembic_finds_the_shipped_metadata_equal_to_a_migrated_database(migrated_dsn: str) -> None:
    def only_public(name: str | None, type_: str, parent_names: Any) -> bool:
        return _schema_task_sync(name, type_, parent_names) and tables.include_name(name, type_, parent_names)

    assert _diffs(migrated_dsn, include_name=only_public) == []


def test_without_the_filter_only_the_internal_tables_differ(migrated_dsn: str) -> None:
    diffs = _diffs(migrated_dsn, include_name=_schema_task_sync)
    assert sorted((d[0], d[1].name) for d in diffs) == [
        ("remove_table", "alembic_version"),
        ("remove_table", "applying"),
    ]
    assert {"alembic_version", "applying"} == tables.INTERNAL_TABLES


#: Django's field classes and the column types they stand for
_DJANGO_TYPES = {
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "IntegerField": "integer",
    "TextField": "text",
    "BooleanField": "boolean",
    "DateTimeField": "timestamp with time zone",
    "ForeignKey": None,  # the type of the column it points at
    "OneToOneField": None,
}


#: columns the models leave out, and why
NOT_MODELED = {("work_order_mark", "xact"): "xid8, which Django has no field for; the engine's own"}


def test_the_django_models_are_the_migrated_database(conn: psycopg.Connection[Any]) -> None:
    from django.apps import apps

    columns: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, nullable in conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable = 'YES' FROM information_schema.columns"
        " WHERE table_schema = 'task_sync'"
    ):
        columns.setdefault(table, {})[column] = (data_type, nullable)
    problems = []
    for model in apps.get_app_config("task_sync").get_models():
        table = model._meta.db_table.split('"."')[-1]
        if table not in columns:
            problems.append(f"{model.__name__}: no table {table}")
            continue
        modeled = set()
        for field in model._meta.concrete_fields:
            if field.column is None:  # a composite primary key: its fields are checked one by one
                continue  # pragma: no cover (CompositePrimaryKey is not a concrete field)
            modeled.add(field.column)
            if field.column not in columns[table]:
                problems.append(f"{model.__name__}.{field.name}: no column {table}.{field.column}")
                continue
            data_type, nullable = columns[table][field.column]
            kind = field.get_internal_type()
            expected = _DJANGO_TYPES.get(kind, "?") if kind in _DJANGO_TYPES else "?"
            if expected is None:
                target = field.target_field
                expected = _DJANGO_TYPES.get(target.get_internal_type())
            if expected != data_type:
                problems.append(f"{model.__name__}.{field.name}: {kind} for a column of type {data_type}")
            if field.null != nullable:
                problems.append(f"{model.__name__}.{field.name}: null={field.null}, the column's nullable={nullable}")
        for missing in sorted(set(columns[table]) - modeled - {c for t, c in NOT_MODELED if t == table}):
            problems.append(f"{model.__name__}: no field for {table}.{missing}")
    assert problems == []
