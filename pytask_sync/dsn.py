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


def to_sqlalchemy_url(dsn: str) -> str:
    """``dsn`` (libpq string, ``postgresql://`` URI or SQLAlchemy URL) as a SQLAlchemy URL on psycopg.

    ``create_engine(to_sqlalchemy_url(dsn))`` connects where psycopg's ``connect(dsn)`` does:
    ``postgresql+psycopg://user:password@host:port/dbname``, a Unix-socket directory and every
    other libpq parameter (``sslmode``, ``application_name``, ...) in the query, which
    SQLAlchemy's psycopg dialect hands back to libpq.
    """
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    params = {k: str(v) for k, v in conninfo_to_dict(to_libpq(dsn)).items()}
    user = params.pop("user", None)
    password = params.pop("password", None)
    dbname = params.pop("dbname", None)
    host = params.pop("host", None)
    port = params.pop("port", None)
    query = dict(params)
    if host and (host.startswith("/") or "," in host):  # a socket directory, or several hosts: libpq's to read
        query["host"] = host
        if port:
            query["port"] = port
        host = port = None
    url = URL.create(
        "postgresql+psycopg",
        username=user,
        password=password,
        host=host,
        port=int(port) if port else None,
        database=dbname,
        query=query,
    )
    return url.render_as_string(hide_password=False)
