"""The ``task_sync`` schema as SQLAlchemy Core tables: ``metadata`` and one ``Table`` per table.

For queries and ORM mappings in applications that use SQLAlchemy (``pytask_sync.orm`` maps
classes onto these tables). They describe the schema ``pytask-sync migrate`` makes (a test
compares them with a migrated database); they never create it: use the migrations, not
``metadata.create_all()``. Server-side defaults are declared as such, so an INSERT that leaves a
column out gets the database's default, which is what the engine's columns require (a writer may
not give them other values: TSP01).

Source kinds a DBA adds with ``create_source_kind`` have tables these do not describe; reflect them
(``Table("work_order_ink", metadata, autoload_with=engine)``) or declare them like ``artwork``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import UserDefinedType

SCHEMA = "task_sync"

metadata = MetaData(schema=SCHEMA)


class Xid8(UserDefinedType[int]):
    """PostgreSQL's ``xid8`` (a full transaction id), which SQLAlchemy has no type for."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        """The type's name in DDL."""
        return "xid8"


def _id() -> Column[int]:
    return Column("id", BigInteger, Identity(), nullable=False)


def _catalog(name: str) -> Table:
    """A catalog: ``(id, code unique, name)``."""
    return Table(
        name,
        metadata,
        _id(),
        Column("code", Text, nullable=False),
        Column("name", Text, nullable=False),
        PrimaryKeyConstraint("id", name=f"{name}_pkey"),
        UniqueConstraint("code", name=f"{name}__code_key"),
    )


def _fk_work_order(table: str, *, ondelete: str | None = "CASCADE") -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["work_order_id"], [f"{SCHEMA}.work_order.id"], name=f"{table}__work_order_id_fkey", ondelete=ondelete
    )


def _links(kind: str) -> Table:
    """The links of a link kind: ``(work_order_id, <kind>_id)``."""
    name = f"work_order_{kind}"
    ref = f"{kind}_id"
    return Table(
        name,
        metadata,
        Column("work_order_id", BigInteger, nullable=False),
        Column(ref, BigInteger, nullable=False),
        PrimaryKeyConstraint("work_order_id", ref, name=f"{name}_pkey"),
        _fk_work_order(name),
        ForeignKeyConstraint([ref], [f"{SCHEMA}.{kind}.id"], name=f"{name}__{ref}_fkey", ondelete="RESTRICT"),
    )


def _lines(kind: str, *extra: Column[object]) -> Table:
    """The lines of a line kind: ``(id, work_order_id, <kind>_id, quantity)``."""
    name = f"work_order_{kind}"
    ref = f"{kind}_id"
    return Table(
        name,
        metadata,
        _id(),
        Column("work_order_id", BigInteger, nullable=False),
        Column(ref, BigInteger, nullable=False),
        Column("quantity", Integer, nullable=False, server_default=text("0")),
        *extra,
        PrimaryKeyConstraint("work_order_id", "id", name=f"{name}_pkey"),
        UniqueConstraint("id", name=f"{name}__id_key"),
        _fk_work_order(name),
        ForeignKeyConstraint([ref], [f"{SCHEMA}.{kind}.id"], name=f"{name}__{ref}_fkey", ondelete="RESTRICT"),
    )


process = _catalog("process")

source_kind = Table(
    "source_kind",
    metadata,
    Column("kind", Text, nullable=False),
    Column("shape", Text, nullable=False),
    Column("line_filter", Text),
    Column("built_in", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("kind", name="source_kind_pkey"),
)

generation_rule = Table(
    "generation_rule",
    metadata,
    _id(),
    Column("process_code", Text),
    Column("source_kind", Text, nullable=False),
    Column("task_type", Text, nullable=False),
    Column("quantity_source", Text, nullable=False),
    Column("content_template", Text, nullable=False),
    PrimaryKeyConstraint("id", name="generation_rule_pkey"),
    UniqueConstraint(
        "process_code",
        "source_kind",
        "task_type",
        name="generation_rule__process_code_source_kind_task_type_key",
        postgresql_nulls_not_distinct=True,
    ),
    ForeignKeyConstraint(
        ["process_code"],
        [f"{SCHEMA}.process.code"],
        name="generation_rule__process_code_fkey",
        onupdate="CASCADE",
        ondelete="RESTRICT",
    ),
    ForeignKeyConstraint(
        ["source_kind"], [f"{SCHEMA}.source_kind.kind"], name="generation_rule__source_kind_fkey", ondelete="RESTRICT"
    ),
)

work_order = Table(
    "work_order",
    metadata,
    _id(),
    Column("order_number", Text, nullable=False),
    Column("production_quantity", Integer),
    Column("status", Text, nullable=False, server_default=text("'pending'::text")),
    Column("approval_status", Text, nullable=False, server_default=text("'pending'::text")),
    # the engine's: a new row takes the default, an UPDATE keeps the value
    Column("synced_version", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("id", name="work_order_pkey"),
    UniqueConstraint("order_number", name="work_order__order_number_key"),
)

work_order_mark = Table(
    "work_order_mark",
    metadata,
    _id(),
    Column("work_order_id", BigInteger, nullable=False),
    Column("xact", Xid8(), nullable=False, server_default=text("pg_current_xact_id()")),
    Column("marked_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("weight", Integer, nullable=False, server_default=text("1")),
    PrimaryKeyConstraint("work_order_id", "id", name="work_order_mark_pkey"),
    UniqueConstraint("id", name="work_order_mark__id_key"),
    UniqueConstraint("work_order_id", "xact", name="work_order_mark__work_order_id_xact_key"),
)

work_order_mark_parked = Table(
    "work_order_mark_parked",
    metadata,
    Column("work_order_id", BigInteger, nullable=False),
    Column("weight", BigInteger, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("work_order_id", name="work_order_mark_parked_pkey"),
)

sync_failure = Table(
    "sync_failure",
    metadata,
    Column("work_order_id", BigInteger, nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Column("sqlstate", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("detail", Text),
    Column("failures", Integer, nullable=False),
    Column("retry_after", DateTime(timezone=True), nullable=False),
    Column("definition_version", BigInteger, nullable=False),
    Column("reason", Text, nullable=False, server_default=text("'failed'::text")),
    Column("advice", Text),
    PrimaryKeyConstraint("work_order_id", name="sync_failure_pkey"),
)

work_order_process = Table(
    "work_order_process",
    metadata,
    _id(),
    Column("work_order_id", BigInteger, nullable=False),
    Column("process_id", BigInteger, nullable=False),
    Column("sequence", Integer, nullable=False),
    PrimaryKeyConstraint("work_order_id", "id", name="work_order_process_pkey"),
    UniqueConstraint("id", name="work_order_process__id_key"),
    UniqueConstraint(
        "work_order_id", "sequence", name="work_order_process__work_order_id_sequence_key", deferrable=True
    ),
    _fk_work_order("work_order_process"),
    ForeignKeyConstraint(
        ["process_id"], [f"{SCHEMA}.process.id"], name="work_order_process__process_id_fkey", ondelete="RESTRICT"
    ),
)

task = Table(
    "task",
    metadata,
    _id(),
    Column("work_order_id", BigInteger, nullable=False),
    Column("work_order_process_id", BigInteger),
    Column("status", Text, nullable=False, server_default=text("'draft'::text")),
    # the engine's: origin, the generation key of a generated task, the baselines, created_at
    Column("origin", Text, nullable=False, server_default=text("'manual'::text")),
    Column("task_type", Text, nullable=False),
    Column("source_kind", Text),
    Column("source_id", BigInteger),
    # for each synced field:
    #   Column("{name}", {sa}),
    Column("work_content", Text),
    Column("production_quantity", Integer),
    # end
    Column("quantity_completed", Integer, nullable=False, server_default=text("0")),
    # for each synced field:
    #   Column("generated_{name}", {sa}),
    Column("generated_work_content", Text),
    Column("generated_production_quantity", Integer),
    # end
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("work_order_id", "id", name="task_pkey"),
    UniqueConstraint("id", name="task__id_key"),
    _fk_work_order("task", ondelete=None),
    ForeignKeyConstraint(
        ["work_order_id", "work_order_process_id"],
        [f"{SCHEMA}.work_order_process.work_order_id", f"{SCHEMA}.work_order_process.id"],
        name="task__work_order_id_work_order_process_id_fkey",
        ondelete="SET NULL (work_order_process_id)",
    ),
    ForeignKeyConstraint(
        ["source_kind"], [f"{SCHEMA}.source_kind.kind"], name="task__source_kind_fkey", ondelete="RESTRICT"
    ),
)

task_dismissal = Table(
    "task_dismissal",
    metadata,
    Column("work_order_id", BigInteger, nullable=False),
    Column("work_order_process_id", BigInteger, nullable=False),
    Column("task_type", Text, nullable=False),
    Column("source_kind", Text, nullable=False),
    Column("source_id", BigInteger, nullable=False),
    Column("task_id", BigInteger, nullable=False),
    Column("dismissed_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("dismissed_by", Text, nullable=False, server_default=text("CURRENT_USER")),
    PrimaryKeyConstraint(
        "work_order_id", "work_order_process_id", "task_type", "source_kind", "source_id", name="task_dismissal_pkey"
    ),
)

sync_run = Table(
    "sync_run",
    metadata,
    _id(),
    Column("work_order_id", BigInteger, nullable=False),
    Column("ran_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("run_by", Text, nullable=False, server_default=text("CURRENT_USER")),
    Column("application_name", Text),
    Column("via", Text, nullable=False),
    Column("plan_hash", Text, nullable=False),
    Column("from_version", BigInteger, nullable=False),
    Column("to_version", BigInteger, nullable=False),
    Column("overwrite_edits", Boolean, nullable=False, server_default=text("false")),
    Column("restore_dismissed", Boolean, nullable=False, server_default=text("false")),
    Column("added", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    PrimaryKeyConstraint("work_order_id", "id", name="sync_run_pkey"),
    UniqueConstraint("id", name="sync_run__id_key"),
)

sync_item = Table(
    "sync_item",
    metadata,
    Column("sync_run_id", BigInteger, nullable=False),
    Column("work_order_id", BigInteger, nullable=False),
    Column("task_id", BigInteger, nullable=False),
    Column("action", Text, nullable=False),
    Column("work_order_process_id", BigInteger),
    Column("process_code", Text),
    Column("task_type", Text, nullable=False),
    Column("source_kind", Text, nullable=False),
    Column("source_id", BigInteger, nullable=False),
    # for each synced field:
    #   Column("{name}", {sa}),
    Column("work_content", Text),
    Column("production_quantity", Integer),
    # end
    # for each synced field:
    #   Column("previous_{name}", {sa}),
    Column("previous_work_content", Text),
    Column("previous_production_quantity", Integer),
    # end
    Column("restored", Boolean, nullable=False, server_default=text("false")),
    Column("overwritten", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("work_order_id", "sync_run_id", "task_id", name="sync_item_pkey"),
)

artwork = _catalog("artwork")
work_order_artwork = _links("artwork")
die = _catalog("die")
work_order_die = _links("die")
foiling_plate = _catalog("foiling_plate")
work_order_foiling_plate = _links("foiling_plate")
embossing_plate = _catalog("embossing_plate")
work_order_embossing_plate = _links("embossing_plate")
material = _catalog("material")
work_order_material = _lines("material", Column("need_cutting", Boolean, nullable=False, server_default=text("false")))
product = _catalog("product")
work_order_product = _lines("product")

#: The engine's own tables in schema ``task_sync`` that these tables do not describe and no
#: application reads: alembic's version table and ``applying`` (the marker of a transaction in
#: which the engine writes its books). Leave them out of alembic's comparisons (:func:`include_name`).
INTERNAL_TABLES = frozenset({"alembic_version", "applying"})


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic's ``include_name`` hook: everything but the engine's internal tables.

    In an alembic ``env.py`` whose ``target_metadata`` includes :data:`metadata`::

        context.configure(..., include_schemas=True, include_name=pytask_sync.tables.include_name)

    (or call it from a hook of your own). With it, ``compare_metadata`` and autogenerate find the
    shipped metadata equal to a migrated database: no migration that drops the engine's indexes,
    comments or tables.
    """
    return not (type_ == "table" and parent_names.get("schema_name") == SCHEMA and name in INTERNAL_TABLES)


def _describe() -> None:
    """The comments and secondary indexes the database has (``_described``, generated from it)."""
    from sqlalchemy import Index

    from ._described import COMMENTS, INDEXES

    for name, (comment, columns) in COMMENTS.items():
        table = metadata.tables.get(f"{SCHEMA}.{name}")
        if table is None:
            continue
        table.comment = comment
        for column, column_comment in columns.items():
            if column in table.c:
                table.c[column].comment = column_comment
    for table_name, index_name, unique, columns_of, where in INDEXES:
        table = metadata.tables.get(f"{SCHEMA}.{table_name}")
        if table is None:
            continue
        Index(
            index_name,
            *(table.c[c] for c in columns_of),
            unique=unique,
            postgresql_where=text(where) if where else None,
        )


_describe()
