"""What every command shares: exit codes, expected errors, argument types, consoles, the question.

Exit codes (docs/cli.md's table is this one):

====  ==========================================================================
0     success
1     an expected failure, said in one line (``error: ...``); also "no" at a question
2     a usage error: arguments that do not go together, or a question with no terminal to ask on
3     a stale plan (TSC02): the reviewed plan is not the plan any more; nothing changed
130   interrupted (Ctrl-C)
141   the reader of stdout went away (``| head``), as a command killed by SIGPIPE
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.prompt import Confirm
from rich.text import Text

from ..client import BIGINT_MAX, INTEGER_MAX

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_STALE_PLAN = 3
EXIT_INTERRUPTED = 130
#: the reader of stdout went away (``pytask-sync migrate history --json | head``): 128 + SIGPIPE
EXIT_PIPE = 141


class CliError(Exception):
    """An expected failure: printed as one line, exit status 1 (or ``code``)."""

    code = EXIT_ERROR


class UsageError(CliError):
    """Arguments that do not go together: printed as one line, exit status 2 (as argparse's)."""

    code = EXIT_USAGE


@dataclass(frozen=True)
class Policy:
    """Which database a command works on, and whether it brings it to the newest revision.

    ``env``: the environment (``PYTASK_SYNC_DSN``, ``DATABASE_URL``) may name the database; when
    False only ``--dsn`` on the command line does (the demo writes rows). ``migrate``: ``embedded``
    brings the embedded server to the newest revision (never a named database: that is
    ``pytask-sync migrate``'s to do, and it says what it applies); ``always`` migrates whichever
    database it is; ``never`` leaves it as it is.
    """

    env: bool = True
    migrate: Literal["embedded", "always", "never"] = "embedded"


@dataclass(frozen=True)
class Command:
    """One subcommand: how it is called (its arguments, the shared options it takes) and what runs."""

    handler: Callable[[argparse.Namespace, Console], int]
    arguments: Callable[[argparse.ArgumentParser], None]
    help: str
    options: tuple[str, ...] = ("dsn", "json")  # of the shared options
    description: str | None = None
    policy: Policy = Policy()


def positive(what: str, maximum: int) -> Callable[[str], int]:
    """An argparse type: an integer from 1 to ``maximum`` (the SQL type's largest).

    Anything else is a usage error naming ``what``.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r} (expected an integer from 1 to {maximum})")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r} (expected 0 or more)")
    return value


work_order_id = positive("work order id", BIGINT_MAX)
limit = positive("limit", INTEGER_MAX)


class _Console(Console):
    """A rich console whose broken pipe is the command's to handle (exit 141), not rich's (exit 1)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def stdout_console() -> Console:
    """Where the command's output goes."""
    return _Console(highlight=False)


def stderr_console() -> Console:
    """Where people are spoken to: notes, questions, errors. Never wrapped (a DSN stays whole)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def has_terminal() -> bool:
    """Whether a question can be asked: stdin is a terminal."""
    return bool(sys.stdin) and sys.stdin.isatty()


def require_question_or_yes(args: argparse.Namespace, what: str, *, otherwise: str = "") -> None:
    """Before any output: a command that asks needs a terminal to ask on, or ``--yes`` (or ``otherwise``)."""
    if not args.yes and not has_terminal():
        also = f", or {otherwise}" if otherwise else ""
        raise UsageError(f"{what} asks before it writes, and there is no terminal to ask on: pass --yes{also}")


def confirm(question: str) -> bool:
    """Ask on the terminal (stderr), never into the data on stdout."""
    return Confirm.ask(Text(question), console=stderr_console(), default=False)
