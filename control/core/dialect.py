"""What differs between SQLite and PostgreSQL, in one place: each function takes a connection and does the
one dialect-specific thing, so services keep a single code path."""
from __future__ import annotations

from sqlalchemy import Connection, text


def try_advisory_lock(conn: Connection, key: int) -> bool:
    """Take the session-level advisory lock `key` without waiting; False when another connection holds it.
    PostgreSQL only: the lock belongs to the connection (not to its transactions) and is released by
    advisory_unlock or when the connection closes, also if the process dies. SQLite has no such lock and serves
    one process, so it is always granted there (the caller keeps one run per process with a thread lock)."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())


def advisory_unlock(conn: Connection, key: int) -> None:
    """Release a lock try_advisory_lock took on this connection (nothing to do on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def statement_timed_out(exc: BaseException) -> bool:
    """Whether a database error is PostgreSQL cancelling a statement (SQLSTATE 57014, query_canceled: the
    statement_timeout). SQLite has no statement timeout, so never there."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "57014"
