"""Assert an SQLSTATE, and that nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tests.builders import Builder


@contextmanager
def raises_sqlstate(conn: psycopg.Connection[Any], sqlstate: str) -> Iterator[pytest.ExceptionInfo[psycopg.Error]]:
    """The block raises ``sqlstate`` and leaves every table of the schema as it was (the error is
    what the context manager gives, once the block has ended)."""
    before = Builder(conn).snapshot()
    with pytest.raises(psycopg.Error) as info:
        yield info
    assert info.value.sqlstate == sqlstate, f"{info.value.sqlstate}: {info.value}"
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        conn.rollback()
    assert Builder(conn).snapshot() == before
