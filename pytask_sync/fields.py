"""The synced fields: the task columns a sync writes from the rules, named once.

A generated task has, for each synced field, its value (``task.<name>``, the planner's to edit) and
its baseline (``task.generated_<name>``); a plan line carries its current, baseline and desired
values; a change of the audit its value after and before the sync. Every place that spells them
one by one (the types, the tables, the functions that compare and write them, the Python
descriptions) holds a block generated from this list by ``scripts/generate_fields.py`` between
the marked lines::

    -- for each synced field, joined by ",":
    --   current_{name} {sql}
    <the generated lines>
    -- end

(``#`` instead of ``--`` in Python). ``tests/packaging/test_fields.py`` checks that the committed
files are what the script generates. Adding a synced field is a line here, the script, how the
rules compute its desired value (``_desired``) and how it is compared (a ``_field_outcome`` and
``_field_write`` overload for a new type), and a revision (``scripts/freeze_revision.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SyncedField:
    """One synced field; its attributes are the placeholders of a block's template."""

    #: the task column, ``{name}``
    name: str
    #: its SQL type, ``{sql}``
    sql: str
    #: the Python type of its value, ``{py}``
    py: str
    #: the Django field class of its column, ``{django}``
    django: str
    #: the SQLAlchemy type of its column, ``{sa}``
    sa: str
    #: what it is, the first words of the task column's comment, ``{what}``
    what: str
    #: its name in words, as a plan table's header and the audit's sentences say it, ``{label}``
    label: str


SYNCED_FIELDS: tuple[SyncedField, ...] = (
    SyncedField(
        name="work_content",
        sql="text",
        py="str",
        django="TextField",
        sa="Text",
        what="What to do",
        label="work content",
    ),
    SyncedField(
        name="production_quantity",
        sql="integer",
        py="int",
        django="IntegerField",
        sa="Integer",
        what="How many",
        label="quantity",
    ),
)

#: the names, in order: what ``update_fields`` and ``conflict_fields`` of a plan line may hold
NAMES: tuple[str, ...] = tuple(f.name for f in SYNCED_FIELDS)
