"""The catalog test: every description of a row the package keeps is the migrated database's.

``tests/api/test_descriptions.py`` checks ``pytask_sync.tables`` (alembic's comparator) and the
Django models. This one checks the rest, in one test that lists every problem it finds:

- the composite ``task_sync_internal.change`` is ``task_sync.sync_item`` without its run: the same
  columns, names and types, in the same order;
- ``task_sync.plan_row`` (what ``plan()`` and ``plan_pending()`` return) is ``PlanItem``, and the
  rows of ``pending()`` and ``sync_pending()`` are ``PendingWorkOrder`` and ``BatchResult``: each
  column a field of the same name and type, each field a column;
- ``pytask_sync.orm`` maps a class onto every public table, and its columns are the table's;
- each synced field of ``pytask_sync.fields`` has its columns, of its type: ``task.<name>`` and
  ``generated_<name>``, ``plan_row``'s ``current_``, ``baseline_`` and ``desired_<name>``,
  ``<name>`` and ``previous_<name>`` of ``sync_item`` and ``change``; and every column with a
  synced field's suffix there is one of them (a field added in SQL only is named);

A column added in SQL and not in a description (or the reverse, or another type) fails it
(``test_a_column_added_in_sql_only_fails_the_catalog`` adds one and sees it named).
"""

from __future__ import annotations

import types
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import psycopg
import pytest

from pytask_sync import models, orm, tables
from pytask_sync.fields import SYNCED_FIELDS
from tests.api.test_descriptions import migrated_dsn as migrated_dsn  # the fixture

#: a column's type -> the Python type its description holds
_PYTHON = {
    "bigint": "int",
    "integer": "int",
    "text": "str",
    "boolean": "bool",
    "timestamp with time zone": "datetime",
    "text[]": "tuple[str, ...]",
}

#: the functions whose rows a dataclass holds, by name (the wrapper builds them with ``Model(**row)``)
ROWS = {
    "task_sync.plan(bigint,boolean,boolean)": models.PlanItem,
    "task_sync.plan_pending(integer)": models.PlanItem,
    "task_sync.pending(integer)": models.PendingWorkOrder,
    "task_sync.sync_pending(integer,bigint[])": models.BatchResult,
}


def _python_type(hint: Any) -> str:
    """What a field's type hint holds, spelled as ``_PYTHON`` spells it (``| None`` dropped)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return _python_type(inner)
    if origin is Literal:
        return type(get_args(hint)[0]).__name__
    if origin is tuple:
        return "tuple[" + ", ".join("..." if a is Ellipsis else _python_type(a) for a in get_args(hint)) + "]"
    if hint is datetime:
        return "datetime"
    assert isinstance(hint, type), hint
    return hint.__name__


def _attributes(conn: psycopg.Connection[Any], relation: str) -> list[tuple[str, str]]:
    """The columns of a table or composite type, in order, with their types."""
    return [
        (name, type_)
        for name, type_ in conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (relation,),
        )
    ]


def _result_columns(conn: psycopg.Connection[Any], function: str) -> list[tuple[str, str]]:
    """The columns of a set-returning function's rows (its OUT/TABLE columns, or its row type's)."""
    row = conn.execute(
        "SELECT p.proallargtypes IS NULL, p.prorettype::regtype::text FROM pg_proc p WHERE p.oid = %s::regprocedure",
        (function,),
    ).fetchone()
    assert row is not None
    if row[0]:
        return _attributes(conn, row[1])
    return [
        (name, type_)
        for name, type_ in conn.execute(
            "SELECT a.name, format_type(a.type, NULL)"
            " FROM pg_proc p, unnest(p.proargnames, p.proallargtypes::oid[], p.proargmodes::text[])"
            " WITH ORDINALITY AS a(name, type, mode, n)"
            " WHERE p.oid = %s::regprocedure AND a.mode IN ('o', 't', 'b') ORDER BY a.n",
            (function,),
        )
    ]


def catalog_problems(conn: psycopg.Connection[Any]) -> list[str]:
    """Every way a description of the package differs from the database ``conn`` is connected to."""
    problems: list[str] = []

    # change is sync_item without its run, column for column
    item = _attributes(conn, "task_sync.sync_item")
    change = _attributes(conn, "task_sync_internal.change")
    if item[:1] != [("sync_run_id", "bigint")] or item[1:] != change:
        problems.append(f"task_sync_internal.change {change} is not task_sync.sync_item after sync_run_id {item[1:]}")

    # the dataclasses the wrapper fills from rows by name
    for function, model in ROWS.items():
        columns = dict(_result_columns(conn, function))
        hints = get_type_hints(model)
        for name, type_ in columns.items():
            if name not in hints:
                problems.append(f"{model.__name__}: no field for {function}'s column {name}")
            elif _python_type(hints[name]) != _PYTHON.get(type_):
                problems.append(f"{model.__name__}.{name}: {_python_type(hints[name])} for a column of type {type_}")
        for name in hints.keys() - columns.keys():
            problems.append(f"{model.__name__}.{name}: no column {name} in {function}'s rows")

    # the synced fields: each one's columns, and no column that looks like one of an unlisted field
    shapes = {
        "task_sync.task": ("{}", "generated_{}"),
        "task_sync.plan_row": ("current_{}", "baseline_{}", "desired_{}"),
        "task_sync.sync_item": ("{}", "previous_{}"),
        "task_sync_internal.change": ("{}", "previous_{}"),
    }
    for relation, patterns in shapes.items():
        have = dict(_attributes(conn, relation))
        want = {p.format(f.name): f.sql for f in SYNCED_FIELDS for p in patterns}
        for column, type_ in want.items():
            if have.get(column) != type_:
                problems.append(f"{relation}.{column}: {have.get(column)}, the synced field's type is {type_}")
        for prefix in {p.format("") for p in patterns} - {""}:
            for column in have:
                if column.startswith(prefix) and column not in want:
                    problems.append(f"{relation}.{column}: not a synced field of pytask_sync.fields")

    # the ORM: a class per public table, with the table's columns
    mapped = {m.persist_selectable.description: m for m in orm.Base.registry.mappers}
    for (table,) in conn.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'task_sync'::regnamespace AND c.relkind IN ('r', 'p')"
    ):
        if table in tables.INTERNAL_TABLES:
            continue
        if table not in mapped:
            problems.append(f"pytask_sync.orm: no class for task_sync.{table}")
            continue
        in_table = {name for name, _ in _attributes(conn, f"task_sync.{table}")}
        in_class = {c.name for c in mapped[table].columns}
        if in_table != in_class:
            name = mapped[table].class_.__name__
            problems.append(f"pytask_sync.orm.{name}: columns {sorted(in_class ^ in_table)} differ")
    return problems


def test_every_description_is_the_migrated_database(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn) as conn:
        assert catalog_problems(conn) == []


@pytest.mark.parametrize(
    ("mutation", "named"),
    [
        ("ALTER TABLE task_sync.sync_item ADD COLUMN colour text", "task_sync_internal.change"),
        ("ALTER TYPE task_sync_internal.change ADD ATTRIBUTE colour text", "task_sync_internal.change"),
        ("ALTER TYPE task_sync.plan_row ADD ATTRIBUTE colour text", "PlanItem: no field for task_sync.plan("),
        ("ALTER TYPE task_sync.plan_row DROP ATTRIBUTE edited CASCADE", "PlanItem.edited: no column edited"),
        (
            "ALTER TYPE task_sync.plan_row ALTER ATTRIBUTE edited TYPE text CASCADE",
            "PlanItem.edited: bool for a column of type text",
        ),
        ("ALTER TABLE task_sync.task ADD COLUMN colour text", "pytask_sync.orm.Task: columns ['colour'] differ"),
        (
            "ALTER TABLE task_sync.task ADD COLUMN generated_colour text",
            "task_sync.task.generated_colour: not a synced field",
        ),
        ("CREATE TABLE task_sync.colour (id int)", "pytask_sync.orm: no class for task_sync.colour"),
    ],
)
def test_a_column_added_in_sql_only_fails_the_catalog(conn: psycopg.Connection[Any], mutation: str, named: str) -> None:
    """The canonical install (whose schema is the migrated one: tests/packaging/test_migrations.py),
    changed in SQL only: the catalog names the description that no longer says what the database says."""
    if "ALTER ATTRIBUTE" in mutation and conn.info.server_version < 160000:
        pytest.skip("PostgreSQL 15 refuses to change the type of an attribute a function's argument uses")
    assert catalog_problems(conn) == []
    conn.execute(mutation)
    problems = catalog_problems(conn)
    assert any(named in p for p in problems), problems
