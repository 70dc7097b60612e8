"""Start a new revision from what changed in sql/: ``python scripts/freeze_revision.py 00NN_name "Title."``.

A revision runs its own frozen SQL, never the live sql/ files, so an old revision means the same
thing forever. This script writes the function part of a new one: it reads every function of the
canonical sql/30_functions/ files and the newest definition of each in the frozen up files of the
revisions before, keyed by the signature its ``COMMENT ON FUNCTION`` names (so overloads are told
apart), and writes

- ``<revision>.up.sql``: the new and changed functions (``CREATE OR REPLACE``, in the canonical
  order, so a function is created before another that is bound to it), then ``DROP FUNCTION`` of
  those that are gone;
- ``<revision>.down.sql``: the previous definitions of the changed and dropped ones, then
  ``DROP FUNCTION`` of the new ones;
- ``<revision>.py``: the revision file, which runs them through ``pytask_sync._revision``.

What it cannot see is listed at the end of the up file as a note to write by hand: tables,
triggers, grants and comments outside the function files, a signature or return type that changed
(``CREATE OR REPLACE`` cannot change it: replace it with ``DROP`` and ``CREATE``), and a call of
``_source_view_build()`` when the view's builder changed. ``tests/packaging/test_migrations.py`` proves
that ``alembic upgrade head`` and the canonical install give the same schema, and that the
downgrade goes back.

``python scripts/freeze_revision.py --check`` prints what differs without writing anything.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "migrations" / "versions"
FUNCTIONS = ROOT / "sql" / "30_functions"

_CREATE = re.compile(r"^CREATE (?:OR REPLACE )?FUNCTION (\S+?)\(", re.M)
_DROP = re.compile(r"^DROP FUNCTION\s+(?:IF EXISTS\s+)?([^;]*);", re.M)
_MOVE = re.compile(r"^ALTER FUNCTION (\S+?\([^)]*\)) SET SCHEMA (\w+);", re.M)


@dataclass(frozen=True)
class Function:
    """One function definition: its signature (as ``COMMENT ON FUNCTION`` names it) and its text."""

    signature: str
    text: str  # from CREATE to the end of its COMMENT statement, spelled CREATE FUNCTION

    def same_as(self, other: Function) -> bool:
        """Whether the two define the same function: comments outside the body do not count."""
        return _definition(self.text) == _definition(other.text)

    def replacing(self) -> str:
        return re.sub(r"^CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", self.text)


def functions_in(text: str) -> list[tuple[int, Function]]:
    """Each function defined in ``text`` (CREATE through its COMMENT), with where it starts."""
    found = []
    for match in _CREATE.finditer(text):
        name = match.group(1)
        comment = text.index(f"COMMENT ON FUNCTION {name}(", match.start())
        signature = _normal(text[comment + len("COMMENT ON FUNCTION ") : text.index(")", comment) + 1])
        end = text.index(";\n", comment) + 2
        body = re.sub(r"^CREATE OR REPLACE FUNCTION", "CREATE FUNCTION", text[match.start() : end])
        found.append((match.start(), Function(signature, body)))
    return found


def canonical() -> dict[str, Function]:
    """The functions of sql/30_functions/, in the order the canonical install creates them."""
    out: dict[str, Function] = {}
    for path in sorted(FUNCTIONS.glob("*.sql")):
        for _, fn in functions_in(path.read_text(encoding="utf-8")):
            out[fn.signature] = fn
    return out


def frozen(before: str | None = None) -> dict[str, Function]:
    """The newest frozen definition of every function the revisions up to ``before`` (excluded) leave."""
    out: dict[str, Function] = {}
    for path in sorted(VERSIONS.glob("*.up.sql")):
        if before is not None and path.name.startswith(before):
            break
        text = path.read_text(encoding="utf-8")
        events: list[tuple[int, Function | tuple[str, str | None]]] = list(functions_in(text))
        for m in _DROP.finditer(text):
            for sig in re.findall(r"[\w.]+\([^)]*\)", m.group(1)):
                events.append((m.start(), (_normal(sig), None)))
        for m in _MOVE.finditer(text):
            events.append((m.start(), (_normal(m.group(1)), m.group(2))))
        for _, event in sorted(events, key=lambda e: e[0]):
            if isinstance(event, Function):
                out[event.signature] = event
                continue
            sig, schema = event
            fn = out.pop(sig, None)
            if fn is not None and schema is not None:
                moved = f"{schema}.{sig.split('(')[0].split('.')[-1]}({sig.partition('(')[2]}"
                old_name = sig.split("(")[0]
                out[moved] = Function(moved, fn.text.replace(old_name, moved.split("(")[0]))
    return out


def _normal(signature: str) -> str:
    """A signature spelled one way: ``schema.name(type, type)``."""
    name, _, args = signature.partition("(")
    return f"{name.strip()}({', '.join(a.strip() for a in args.rstrip(')').split(',') if a.strip())})"


def _definition(text: str) -> str:
    """The text of a definition without the comments outside its $$ body, nor blank lines."""
    parts = text.split("$$")
    for i in range(0, len(parts), 2):  # outside the body
        parts[i] = "\n".join(ln for ln in parts[i].splitlines() if ln.strip() and not ln.lstrip().startswith("--"))
    return "$$".join(parts)


def diff(before: str | None = None) -> tuple[list[Function], list[Function], list[Function]]:
    """(new, changed, gone) functions of sql/ against the frozen revisions."""
    now, was = canonical(), frozen(before)
    new = [fn for sig, fn in now.items() if sig not in was]
    changed = [fn for sig, fn in now.items() if sig in was and not was[sig].same_as(fn)]
    gone = [fn for sig, fn in was.items() if sig not in now]
    return new, changed, gone


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        new, changed, gone = diff()
        for label, fns in (("new", new), ("changed", changed), ("gone", gone)):
            for fn in fns:
                print(f"{label:8} {fn.signature}")
        return 0
    if len(argv) != 2 or not re.fullmatch(r"\d{4}_[a-z0-9_]+", argv[0]):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    revision, title = argv
    previous = sorted(p.stem for p in VERSIONS.glob("*.py"))[-1]
    if revision <= previous:
        print(f"{revision} does not come after {previous}", file=sys.stderr)
        return 2
    new, changed, gone = diff()
    was = frozen()
    now = canonical()
    order = list(now)
    up_fns = sorted(new + changed, key=lambda fn: order.index(fn.signature))
    prelude = "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);\n\n"
    up = [
        f"-- {revision} up: {title}\n-- Frozen from the canonical sql/ as it was when this revision was made.\n",
        prelude,
    ]
    up += [fn.replacing() + "\n" for fn in up_fns]
    up += [f"DROP FUNCTION {fn.signature};\n" for fn in gone]
    up.append("\nREVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;\n")
    up.append(
        "-- TO WRITE BY HAND, then delete this note: tables, triggers, grants of new functions, comments\n"
        "-- outside sql/30_functions; DROP + CREATE for a changed signature or return type; SELECT\n"
        "-- task_sync_internal._source_view_build() when the builder changed.\n"
    )
    down = [f"-- {revision} down: back to {previous}.\n", prelude]
    down += [was[fn.signature].replacing() + "\n" for fn in changed + gone]
    down += [f"DROP FUNCTION {fn.signature};\n" for fn in reversed(new)]
    down.append("\nREVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;\n")
    (VERSIONS / f"{revision}.up.sql").write_text("".join(up), encoding="utf-8")
    (VERSIONS / f"{revision}.down.sql").write_text("".join(down), encoding="utf-8")
    (VERSIONS / f"{revision}.py").write_text(_REVISION.format(revision=revision, previous=previous, title=title))
    print(f"wrote {revision}.up.sql, .down.sql and .py: {len(new)} new, {len(changed)} changed, {len(gone)} gone")
    return 0


_REVISION = '''"""{title}

Revision ID: {revision}
Revises: {previous}

Runs its own frozen SQL (``{revision}.up.sql`` / ``{revision}.down.sql`` beside this file),
started by ``scripts/freeze_revision.py`` from the diff of the canonical sql/ files when the
revision was made, through the one runner of every revision (``pytask_sync._revision``).
"""

from pytask_sync._revision import frozen_steps

revision = "{revision}"
down_revision = "{previous}"
upgrade, downgrade = frozen_steps(__file__)
'''


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
