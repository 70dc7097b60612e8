"""Write the blocks generated from the synced fields: ``python scripts/generate_fields.py [--check]``.

``pytask_sync.fields.SYNCED_FIELDS`` names the synced fields once. Each file of ``sql/`` and
``pytask_sync/`` that spells them one by one holds the place as a marked block (``#`` instead of
``--`` in Python)::

    <indent>-- for each synced field, joined by "<J>":
    <indent>--   <template line>
    <indent>--   <template line> ...
    <the generated lines>
    <indent>-- end

Each field gives the template lines with ``{name}``, ``{sql}``, ``{py}``, ``{django}``, ``{sa}``,
``{what}``, ``{label}``, ``{says}``, ``{desired}`` and ``{names}`` replaced (nothing else is a placeholder:
SQL's and Python's braces stay), at the marker's indent plus what the template line has beyond its
two spaces (a value of several lines keeps that indent on each; a bare ``--`` is an empty
template line). The joiner goes between two fields: ``","`` (or any joiner without letters) at
the end of a field's last line, a word (``"OR"``) at the start of the next field's first line;
without ``joined by`` the fields follow each other as they are (a template line that ends with
its own comma, for a list that goes on).

``-- for each synced type:`` is the same for each SQL type the fields have, once per type in the
order the fields first name it, with ``{sql}`` its only placeholder: the overloads a type needs
(``_field_outcome``, ``_field_write``) and their grants.

It rewrites the files in place; ``--check`` writes nothing, prints the files that differ and exits
1 if any does (``tests/packaging/test_fields.py`` runs it so). A function's body changes with its
block, so a new field is then frozen in a revision (``scripts/freeze_revision.py``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytask_sync.fields import SYNCED_FIELDS, SyncedField  # noqa: E402

#: where blocks may be
TREES = ("sql", "pytask_sync")
_START = re.compile(
    r'^(?P<indent>[ \t]*)(?P<c>--|#) for each synced (?P<each>field|type)(?:, joined by "(?P<join>[^"]*)")?:$'
)
_PLACEHOLDER = re.compile(r"\{(name|sql|py|django|sa|what|label|says|desired|names)\}")


class BlockError(Exception):
    """A marked block the script cannot read."""


class _SyncedType(NamedTuple):
    """What a ``for each synced type`` block has of each type: ``{sql}``."""

    sql: str


def _types() -> tuple[_SyncedType, ...]:
    """The SQL types of the synced fields, each once, in the order the fields first name them."""
    return tuple(_SyncedType(sql) for sql in dict.fromkeys(f.sql for f in SYNCED_FIELDS))


def _expand(template: str, item: SyncedField | _SyncedType, where: str) -> list[str]:
    """The template's lines for one field (or type); a value of several lines keeps the line's indent."""

    def value(m: re.Match[str]) -> str:
        if not hasattr(item, m.group(1)):
            raise BlockError(f"{where}: {m.group(0)} in a block for each synced type (only {{sql}} is)")
        text = str(getattr(item, m.group(1)))
        return text.replace("\n", "\n" + template[: len(template) - len(template.lstrip())])

    return _PLACEHOLDER.sub(value, template).split("\n")


def _block(indent: str, join: str | None, templates: list[str], each: str, where: str) -> list[str]:
    items: tuple[SyncedField | _SyncedType, ...] = SYNCED_FIELDS if each == "field" else _types()
    out: list[str] = []
    for i, item in enumerate(items):
        lines = [indent + line for t in templates for line in _expand(t, item, where)]
        if join and i > 0 and re.search(r"[A-Za-z]", join):
            lines[0] = indent + join + " " + lines[0][len(indent) :]
        if join and i < len(items) - 1 and not re.search(r"[A-Za-z]", join):
            lines[-1] += join
        out.extend(lines)
    return out


def generate(text: str, where: str = "<text>") -> str:
    """``text`` with every marked block written anew from the synced fields."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        start = _START.match(lines[i])
        out.append(lines[i])
        i += 1
        if not start:
            continue
        indent, c = start["indent"], start["c"]
        templates: list[str] = []
        while i < len(lines) and (lines[i].startswith(f"{indent}{c}   ") or lines[i] == f"{indent}{c}"):
            templates.append(lines[i][len(indent) + len(c) + 3 :])
            out.append(lines[i])
            i += 1
        if not templates:
            raise BlockError(f"{where}:{i}: a block without a template line ('{c}   <template>')")
        end = f"{indent}{c} end"
        while i < len(lines) and lines[i] != end:
            i += 1
        if i == len(lines):
            raise BlockError(f"{where}: the block at line {len(out) - len(templates)} has no '{end}'")
        out.extend(_block(indent, start["join"], templates, start["each"], f"{where}:{len(out) - len(templates)}"))
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def files() -> list[Path]:
    """The files that hold a block."""
    found = []
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*")):
            if path.suffix not in (".sql", ".py") or not path.is_file() or path == ROOT / "pytask_sync" / "fields.py":
                continue
            if any(_START.match(line) for line in path.read_text().split("\n")):
                found.append(path)
    return found


def main(argv: list[str]) -> int:
    check = "--check" in argv
    differ = []
    for path in files():
        text = path.read_text()
        new = generate(text, str(path.relative_to(ROOT)))
        if new != text:
            differ.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(new)
    for name in differ:
        print(("differs from its fields: " if check else "wrote ") + name)
    return 1 if check and differ else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BlockError as exc:
        sys.exit(f"generate_fields: {exc}")
