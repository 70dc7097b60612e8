"""Connection strings as people keep them.

libpq ``key=value`` strings, ``postgresql://`` URIs, and SQLAlchemy URLs
(``postgresql+psycopg://...``, what SQLAlchemy applications keep in ``DATABASE_URL``).
"""

from __future__ import annotations


def to_libpq(dsn: str) -> str:
    """The libpq form of ``dsn``, for psycopg.

    ``key=value`` strings and ``postgresql://`` / ``postgres://`` URIs are returned as given. A
    SQLAlchemy URL naming a driver (``postgresql+psycopg://``, ``postgresql+psycopg2://``, ...)
    is parsed by SQLAlchemy's ``make_url`` and rendered without its driver, password and query
    (``?host=/run/postgresql``) included. Anything else SQLAlchemy cannot read as a PostgreSQL
    URL raises ``ValueError``.
    """
    scheme, sep, _ = dsn.partition("://")
    if not sep or "+" not in scheme:
        return dsn
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(dsn)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {exc}") from exc
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {url.get_backend_name()!r}")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
