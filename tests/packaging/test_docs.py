"""The README is a first read and docs/ holds the rest: every link lands, every table exists once.

The README keeps the pitch, the Quick start (its two commands are what users and CI run), one
psql, one Python and one Django example, and links; the command line, operations, security,
errors, the sync rules and the contributor guide are pages of docs/. These tests keep it that way:
the README stays short, its Quick start commands stay as they are, every relative link and anchor
in the README and docs/ points at something that exists, and each table that documents the same
facts (the exit codes, the SQLSTATEs, the bad inputs) exists in exactly one page.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```$", re.M | re.S)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower()).replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    prose = FENCE.sub("", _text(path))
    return {_slug(m[1]) for m in re.finditer(r"^#{1,6} (.+)$", prose, re.M)}


def test_the_readme_is_a_first_read() -> None:
    text = _text(README)
    assert len(text.splitlines()) <= 250
    headings = re.findall(r"^## (.+)$", FENCE.sub("", text), re.M)
    assert headings[:2] == ["Quick start", "Using it from psql"]
    assert "Using it from Python" in headings


def test_the_quick_start_commands_are_unchanged() -> None:
    # what users paste and what .ci/run's normal-user leg runs
    text = _text(README)
    assert (
        'python3 -m venv .venv && .venv/bin/pip install -e ".[binary,embedded]" && .venv/bin/pytask-sync demo\n' in text
    )
    assert 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/pytest\n' in text


def test_every_relative_link_and_anchor_exists() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(FENCE.sub("", _text(page))):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_the_readme_links_every_page_of_docs() -> None:
    linked = {t.partition("#")[0] for t in LINK.findall(_text(README))}
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set()


def test_each_table_of_the_same_facts_exists_once() -> None:
    headers = {
        "exit codes": re.compile(r"^<!-- exit codes -->$", re.M),
        "SQLSTATEs": re.compile(r"^\| SQLSTATE \| meaning \|$", re.M),
        "bad input": re.compile(r"^\| input \| answer \|$", re.M),
    }
    for name, header in headers.items():
        where = {page.name: len(header.findall(_text(page))) for page in PAGES}
        found = {page: n for page, n in where.items() if n}
        # the exit codes are a marked block: its two marker lines
        assert sum(found.values()) == (2 if name == "exit codes" else 1), (name, found)
        assert len(found) == 1, (name, found)


def test_every_code_block_is_closed() -> None:
    # a fence left open swallows the rest of the page (and hides its links from the test above)
    unclosed = [p.name for p in PAGES if len(re.findall(r"^ *```", _text(p), re.M)) % 2]
    assert unclosed == []
