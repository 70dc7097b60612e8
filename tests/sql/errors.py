"""Assert an SQLSTATE, and that nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tests.builders import Builder


@contextmanager
def raises_sqlstate(conn: psycopg.Connection[Any], sqlstate: str) -> Iterator[None]:
    """The block raises ``sqlstate`` and leaves every table of the schema as it was."""
    before = Builder(conn).snapshot()
    with pytest.raises(psycopg.Error) as info:
        yield
    assert info.value.sqlstate == sqlstate, f"{info.value.sqlstate}: {info.value}"
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.rollback()
    assert Builder(conn).snapshot() == before
