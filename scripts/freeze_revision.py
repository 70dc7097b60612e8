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

It also writes the ``GRANT EXECUTE`` of each new function that ``sql/50_grants.sql`` grants.
What it leaves to the author it says in the up file, in notes that begin ``-- BY HAND``, each where
its statements go:

- before the functions (a function is created against the types and tables as they are then):
  what changed since the previous revision in ``00_schema.sql``, ``10_types.sql`` and
  ``20_tables.sql`` (an ``ALTER TYPE`` of a row type the functions use, a new table or column),
  with the lines that changed, from git;
- after them: what changed in the other files outside ``sql/30_functions`` (triggers, grants
  other than those above, seed, views), a function whose declaration changed (``CREATE OR
  REPLACE`` cannot change a return type or a parameter name: ``DROP`` it first), and a call of
  ``_source_view_build()`` when the view's builder changed.

The revision file is ``migrations/script.py.mako`` rendered as alembic renders it.
``tests/packaging/test_migrations.py`` proves that ``alembic upgrade head`` and the canonical
install give the same schema, and that the downgrade goes back.

``python scripts/freeze_revision.py --check`` prints what differs without writing anything. A
function file it cannot read (a ``CREATE FUNCTION`` without its ``COMMENT ON FUNCTION``) stops it
with a message naming the file and the function.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "migrations" / "versions"
FUNCTIONS = ROOT / "sql" / "30_functions"
GRANTS = ROOT / "sql" / "50_grants.sql"
TEMPLATE = ROOT / "migrations" / "script.py.mako"
#: files of sql/ whose objects the functions are created against: their changes go before them
BEFORE_FUNCTIONS = ("00_schema.sql", "10_types.sql", "20_tables.sql")

_CREATE = re.compile(r"^CREATE (?:OR REPLACE )?FUNCTION (\S+?)\(", re.M)
_DROP = re.compile(r"^DROP FUNCTION\s+(?:IF EXISTS\s+)?([^;]*);", re.M)
_MOVE = re.compile(r"^ALTER FUNCTION (\S+?\([^)]*\)) SET SCHEMA (\w+);", re.M)
_GRANT = re.compile(r"^GRANT EXECUTE ON FUNCTION\s(.*?)\sTO (\w+);", re.M | re.S)
_SIGNATURE = re.compile(r"[\w.]+\([^)]*\)")


class FreezeError(Exception):
    """What stops the script, said in one message (no traceback)."""


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

    def declaration(self) -> str:
        """What comes before its body: name, parameters, return type, language, settings."""
        return " ".join(_definition(self.text).split("$$")[0].split())


def functions_in(text: str, where: str = "the text") -> list[tuple[int, Function]]:
    """Each function defined in ``text`` (CREATE through its COMMENT), with where it starts.

    ``where`` names the text in the error raised when a function has no ``COMMENT ON FUNCTION``
    (the comment names the signature a function is keyed on).
    """
    found = []
    creates = list(_CREATE.finditer(text))
    for i, match in enumerate(creates):
        name = match.group(1)
        comment = text.find(f"COMMENT ON FUNCTION {name}(", match.start())
        if comment < 0 or (i + 1 < len(creates) and comment > creates[i + 1].start()):
            line = text.count("\n", 0, match.start()) + 1
            raise FreezeError(
                f"{where}, line {line}: {name} has no COMMENT ON FUNCTION {name}(...) IS '...'; after its "
                "CREATE FUNCTION statement; every function ends with one (it names the signature this "
                "script keys the function on, and \\df+ shows it)"
            )
        close, end = text.find(")", comment), text.find(";\n", comment)
        if close < 0 or end < 0:
            raise FreezeError(f"{where}: the COMMENT ON FUNCTION {name}(...) does not end with ');' and a newline")
        signature = _normal(text[comment + len("COMMENT ON FUNCTION ") : close + 1])
        end += 2
        body = re.sub(r"^CREATE OR REPLACE FUNCTION", "CREATE FUNCTION", text[match.start() : end])
        found.append((match.start(), Function(signature, body)))
    return found


def canonical() -> dict[str, Function]:
    """The functions of sql/30_functions/, in the order the canonical install creates them."""
    out: dict[str, Function] = {}
    for path in sorted(FUNCTIONS.glob("*.sql")):
        for _, fn in functions_in(path.read_text(encoding="utf-8"), _shown(path)):
            out[fn.signature] = fn
    return out


def frozen(before: str | None = None) -> dict[str, Function]:
    """The newest frozen definition of every function the revisions up to ``before`` (excluded) leave."""
    out: dict[str, Function] = {}
    for path in sorted(VERSIONS.glob("*.up.sql")):
        if before is not None and path.name.startswith(before):
            break
        text = path.read_text(encoding="utf-8")
        events: list[tuple[int, Function | tuple[str, str | None]]] = list(functions_in(text, _shown(path)))
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
    """A signature spelled one way: ``schema.name(type, type)`` (its ``--`` comments left out: a
    signature may span lines with a generated block of the synced fields in it)."""
    name, _, args = re.sub(r"--[^\n]*", "", signature).partition("(")
    return f"{name.strip()}({', '.join(a.strip() for a in args.rstrip(')').split(',') if a.strip())})"


def _definition(text: str) -> str:
    """The text of a definition without the comments outside its $$ body, its words outside the
    body spaced one way (how a signature is laid out over lines does not count)."""
    parts = text.split("$$")
    for i in range(0, len(parts), 2):  # outside the body
        parts[i] = " ".join(" ".join(ln for ln in parts[i].splitlines() if not ln.lstrip().startswith("--")).split())
    return "$$".join(parts)


def diff(before: str | None = None) -> tuple[list[Function], list[Function], list[Function]]:
    """(new, changed, gone) functions of sql/ against the frozen revisions."""
    now, was = canonical(), frozen(before)
    new = [fn for sig, fn in now.items() if sig not in was]
    changed = [fn for sig, fn in now.items() if sig in was and not was[sig].same_as(fn)]
    gone = [fn for sig, fn in was.items() if sig not in now]
    return new, changed, gone


def grants(new: list[Function]) -> list[str]:
    """The ``GRANT EXECUTE`` statements ``sql/50_grants.sql`` makes for the ``new`` functions."""
    wanted = {fn.signature for fn in new}
    text = "\n".join(ln for ln in GRANTS.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("--"))
    out = []
    for m in _GRANT.finditer(text):
        out += [
            f"GRANT EXECUTE ON FUNCTION {sig} TO {m.group(2)};\n"
            for sig in (_normal(s) for s in _SIGNATURE.findall(m.group(1)))
            if sig in wanted
        ]
    return out


def sql_changes(previous: str) -> dict[str, list[str]] | None:
    """The files of sql/ outside 30_functions that changed since ``previous`` was committed.

    Each with its changed lines (``+`` added, ``-`` removed), from ``git diff`` of the commit that
    last wrote ``previous``'s up file against the working tree, and the untracked files of sql/.
    None when git cannot tell (no checkout, or the revision was never committed).
    """

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    try:
        base = git("log", "-1", "--format=%H", "--", f"migrations/versions/{previous}.up.sql").strip()
        if not base:
            return None
        out: dict[str, list[str]] = {}
        current, in_hunk = "", False
        for line in git("diff", "--unified=0", "--no-color", base, "--", "sql").splitlines():
            if line.startswith("diff --git "):
                current, in_hunk = line.split(" b/", 1)[1], False
            elif line.startswith("@@"):
                in_hunk = True
            elif in_hunk and line[:1] in "+-" and line[1:].strip():  # "--- x" here is a removed comment
                out.setdefault(current, []).append(line)
        for name in git("ls-files", "--others", "--exclude-standard", "--", "sql").splitlines():
            out[name] = ["+" + ln for ln in (ROOT / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, subprocess.CalledProcessError):
        return None
    return {name: lines for name, lines in out.items() if not name.startswith("sql/30_functions/")}


def _by_hand(where: str, items: list[str]) -> list[str]:
    """A note for the author: what to write here, then delete the note."""
    if not items:
        return []
    lines = [f"-- BY HAND, {where}; then delete this note:"]
    for item in items:
        lines += [f"--   {ln}" if i else f"-- - {ln}" for i, ln in enumerate(item.splitlines())]
    return ["\n".join(lines) + "\n\n"]


def _changes(previous: str, changes: dict[str, list[str]], names: list[str]) -> list[str]:
    return [
        f"sql/{name} changed since {previous}:\n" + "\n".join(changes[f"sql/{name}"])
        for name in names
        if f"sql/{name}" in changes
    ]


def compose(revision: str, title: str, previous: str) -> tuple[str, str]:
    """The up and down SQL of ``revision``, with the notes of what is left to write by hand."""
    new, changed, gone = diff()
    was = frozen()
    now = canonical()
    order = list(now)
    up_fns = sorted(new + changed, key=lambda fn: order.index(fn.signature))
    changes = sql_changes(previous)
    others = sorted({Path(n).name for n in changes or {}} - set(BEFORE_FUNCTIONS)) if changes is not None else []
    before = (
        _changes(previous, changes, list(BEFORE_FUNCTIONS))
        if changes is not None
        else [
            "git could not tell what changed outside sql/30_functions since "
            f"{previous}: compare {', '.join(BEFORE_FUNCTIONS)} with the revisions"
        ]
    )
    if before:
        before[0] = (
            "the types and tables the functions below are created against (ALTER TYPE / ALTER TABLE /\n"
            "CREATE ...), from these changes:\n" + before[0]
        )
    after = _changes(previous, changes or {}, others)
    after += [
        f"{fn.signature}: its declaration changed; CREATE OR REPLACE cannot change a return type or a "
        "parameter name: if that is what changed, DROP FUNCTION it above its CREATE"
        for fn in changed
        if fn.declaration() != was[fn.signature].declaration()
    ]
    after.append(
        "grants of a new function that sql/50_grants.sql does not grant by signature; comments outside\n"
        "sql/30_functions; SELECT task_sync_internal._source_view_build() when the builder changed"
    )
    prelude = "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);\n\n"
    up = [
        f"-- {revision} up: {title}\n-- Frozen from the canonical sql/ as it was when this revision was made.\n",
        prelude,
    ]
    up += _by_hand("HERE, BEFORE THE FUNCTIONS", before)
    up += [fn.replacing() + "\n" for fn in up_fns]
    up += [f"DROP FUNCTION {fn.signature};\n" for fn in gone]
    up += ["\n", *grants(new)]
    up.append("\nREVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;\n")
    up += ["\n", *_by_hand("HERE, AFTER THE FUNCTIONS", after)]
    down = [f"-- {revision} down: back to {previous}.\n", prelude]
    if before:
        down += _by_hand("HERE, BEFORE THE FUNCTIONS", [f"the types and tables back as they were at {previous}"])
    down += [was[fn.signature].replacing() + "\n" for fn in changed + gone]
    down += [f"DROP FUNCTION {fn.signature};\n" for fn in reversed(new)]
    down.append("\nREVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;\n")
    return "".join(up).rstrip("\n") + "\n", "".join(down)


def write_revision_file(revision: str, title: str, previous: str) -> Path:
    """``<revision>.py``: migrations/script.py.mako, rendered as alembic renders it."""
    from alembic.util import format_as_comma, template_to_file

    path = VERSIONS / f"{revision}.py"
    template_to_file(
        TEMPLATE,
        path,
        "utf-8",
        up_revision=revision,
        down_revision=previous,
        branch_labels=None,
        depends_on=None,
        create_date=datetime.datetime.now(datetime.UTC).replace(microsecond=0),
        comma=format_as_comma,
        message=title,
    )
    return path


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except FreezeError as exc:
        print(f"freeze_revision: {exc}", file=sys.stderr)
        return 1


def _main(argv: list[str]) -> int:
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
    up, down = compose(revision, title, previous)
    (VERSIONS / f"{revision}.up.sql").write_text(up, encoding="utf-8")
    (VERSIONS / f"{revision}.down.sql").write_text(down, encoding="utf-8")
    write_revision_file(revision, title, previous)
    hand = up.count("-- BY HAND")
    print(
        f"wrote {revision}.up.sql, .down.sql and .py: {len(new)} new, {len(changed)} changed, {len(gone)} gone; "
        f"{hand} note{'s' if hand != 1 else ''} to write by hand in {revision}.up.sql (-- BY HAND)"
    )
    return 0


def _shown(path: Path) -> str:
    """``path`` as the messages show it: from the top of the repository when it is inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
