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

(``#`` instead of ``--`` in Python; ``for each synced type`` blocks hold what each SQL type of
the fields needs once, the ``_field_outcome`` and ``_field_write`` overloads and their grants).
``tests/packaging/test_fields.py`` checks that the committed files are what the script generates,
and that a field added here reaches every block and syncs. Adding a synced field is an entry here
(with how the rules compute its desired value), the script, and a revision; docs/contributing.md
says the steps.
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
    #: how ``sync_changes`` says its value in the sentence of a task added or removed: a
    #: ``format()`` string with one ``%s``, ``{says}``
    says: str
    #: its desired value: an SQL expression of the final ``SELECT`` of ``_desired``, ``{desired}``,
    #: over ``rt`` (the route row: ``rt.code`` and ``rt.name`` of the process, every column of its
    #: ``task_sync.generation_rule`` row, so a rule column of the field's own is ``rt.<column>``,
    #: and ``rt.pre``, the content template resolved but for ``{source_name}``), ``s`` (the source:
    #: ``s.source_id``, ``s.name``, ``s.quantity``) and ``wo`` (the work order: ``wo.order_number``,
    #: ``wo.production_quantity``)
    desired: str
    #: when its desired value reads the source's name (``s.name``): an SQL condition over ``er``, a
    #: rule as it applies to a process (every column of ``task_sync.generation_rule``), ``{names}``.
    #: A kind's catalog is read for its names only when one of its rules meets the condition of
    #: some field (``_desired``, ``_sources``); otherwise ``s.name`` is NULL. ``false``: never
    names: str = "false"


SYNCED_FIELDS: tuple[SyncedField, ...] = (
    SyncedField(
        name="work_content",
        sql="text",
        py="str",
        django="TextField",
        sa="Text",
        what="What to do",
        label="work content",
        says="%s",
        desired="task_sync_internal._content_from_pre(rt.pre, rt.content_template, wo.order_number, rt.code, rt.name,\n"
        "                                     s.name)",
        # the name reaches the content only through the placeholder (_content_template.sql)
        names="strpos(er.content_template, '{source_name}') > 0",
    ),
    SyncedField(
        name="production_quantity",
        sql="integer",
        py="int",
        django="IntegerField",
        sa="Integer",
        what="How many",
        label="quantity",
        says="quantity %s",
        desired="CASE rt.quantity_source\n"
        "    WHEN 'one' THEN 1\n"
        "    WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)\n"
        "    ELSE s.quantity\n"
        "END",
    ),
)

#: the names, in order: what ``update_fields`` and ``conflict_fields`` of a plan line may hold
NAMES: tuple[str, ...] = tuple(f.name for f in SYNCED_FIELDS)
