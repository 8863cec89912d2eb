"""Database engine and sessions. SQLite (WAL) by default, PostgreSQL when the URL says so."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, DateTime, Select, Table, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from control.core.dialect import fetch_raw, insert_rows


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: object) -> str:
    """JSON columns as UTF-8 text without padding: zh-CN sentences take 3 bytes a character, not 6.
    One encoder for all (json.dumps with options builds a new one per call)."""
    return _JSON.encode(value)


class UTCDateTime(TypeDecorator):
    """A timestamp kept in UTC and read back timezone-aware on every database. PostgreSQL's timestamptz
    returns aware values already; SQLite stores no offset and returns naive ones, which then reach
    the API without the `+00:00` the schema promises. Over DateTime(timezone=True), so no migration."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)  # as before: SQLite's text holds the UTC wall time
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class PoolOptions:
    """How one process uses its database connections (YUNZHANG_DB_* settings). The defaults suit a 2-core
    deployment: PostgreSQL runs about as many queries at once as it has cores, so more connections only queue
    there; 5 kept plus 5 for bursts per process leaves room for replicas and the CLI within max_connections=100.
    Without settings (migrations, tests) no statement timeout: an index build may rightly take minutes."""
    size: int = 5                         # connections kept open
    max_overflow: int = 5                 # more opened in a burst, closed when returned
    timeout: float = 10.0                 # seconds a request waits for a free connection before failing
    recycle: int = 1800                   # seconds before a connection is replaced (-1: never); idle links get cut
    pre_ping: bool = True                 # test a pooled connection before use (a restarted server, a failover)
    statement_timeout: float = 0.0        # seconds one statement may run on PostgreSQL (0: no limit)
    connect_timeout: int = 0              # seconds to reach PostgreSQL (0: the driver's own, which waits for ever)


def make_engine(url: str, pool: PoolOptions = PoolOptions()) -> Engine:
    """Create the engine; for SQLite make its folder, turn on WAL and enforce foreign keys. Bound
    parameters are never put in error messages or logs: they hold password hashes and personal data.
    SQLite takes the pool's size, overflow and wait (a file database uses a queue pool, like PostgreSQL);
    recycling, pre-ping and the timeouts are PostgreSQL's only (a file is neither cut off nor far away)."""
    queue = {"pool_size": pool.size, "max_overflow": pool.max_overflow, "pool_timeout": pool.timeout}
    if is_sqlite(url):
        db_path = make_url(url).database
        in_memory = not db_path or db_path == ":memory:"
        if not in_memory:
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               json_serializer=compact_json, hide_parameters=True, **({} if in_memory else queue))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
            cur.execute("PRAGMA mmap_size=1073741824")
            cur.close()

        return engine
    engine = create_engine(url, pool_pre_ping=pool.pre_ping, pool_recycle=pool.recycle, **queue,
                           connect_args=_postgres_connect_args(url, pool), json_serializer=compact_json,
                           hide_parameters=True)
    event.listen(engine, "handle_error", _drop_error_detail)
    return engine


def _postgres_connect_args(url: str, pool: PoolOptions) -> dict:
    """libpq's connect_timeout, and the statement timeout as a startup option (`-c statement_timeout=`), so it
    holds from the first statement of every connection, also one the pool opens in a burst. Options the URL
    already carries (`?options=...`) are kept in front."""
    args: dict = {}
    if pool.connect_timeout:
        args["connect_timeout"] = pool.connect_timeout
    if pool.statement_timeout:
        given = make_url(url).query.get("options", "")
        args["options"] = " ".join(filter(None, [given if isinstance(given, str) else " ".join(given),
                                                 f"-c statement_timeout={round(pool.statement_timeout * 1000)}"]))
    return args


def _drop_error_detail(context) -> None:
    """PostgreSQL's error DETAIL repeats values (a failing row, with its password hash; a clashing key):
    keep the first line of the message only, in the driver's exception and in SQLAlchemy's."""
    orig = context.original_exception
    full = str(orig)
    first = full.split("\n", 1)[0]
    if first != full:
        orig.args = (first,)
        wrapped = context.sqlalchemy_exception
        if wrapped is not None and wrapped.args and isinstance(wrapped.args[0], str):
            wrapped.args = (wrapped.args[0].replace(full, first),)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI and jobs)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def fetch_plain(session: Session, stmt: Select) -> list[tuple]:
    """Rows as the driver returns them, without SQLAlchemy's per-row objects and type processing: for
    bulk reads of many rows or large values (usage tiles). Only for statements whose parameters are
    numbers or enum members the caller chose, since they are rendered into the SQL text."""
    return _execute_plain(session, stmt)[0]


def fetch_columns(session: Session, stmt: Select, convert: Iterable[str] = ()) -> dict[str, list]:
    """fetch_plain column by column, keyed by the statement's column names. The columns named in
    `convert` become their type's Python values (JSON text on SQLite, dates, decimals) through its
    result processor, once per distinct value: the converted values are shared, so read-only."""
    rows, description = _execute_plain(session, stmt)
    dialect = session.connection().dialect
    columns = {}
    for k, (name, column) in enumerate(zip(stmt.selected_columns.keys(), stmt.selected_columns, strict=False)):
        values = [row[k] for row in rows]
        process = column.type._cached_result_processor(dialect, description[k][1]) if name in convert else None
        columns[name] = _once_per_value(process, values) if process else values
    return columns


def _once_per_value(process: Callable[[object], object], values: Iterable) -> list:
    """process() of each value, called once per distinct value: a scan's columns repeat a few values."""
    done: dict = {}
    return [done[v] if v in done else done.setdefault(v, process(v)) for v in values]


def _execute_plain(session: Session, stmt: Select) -> tuple[list[tuple], Sequence]:
    conn = session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return fetch_raw(conn.connection.dbapi_connection, conn.dialect, sql)


def insert_plain(session: Session, table: Table, columns: dict[str, Sequence], convert: Iterable[str] = ()) -> None:
    """Insert rows given column by column through the driver (executemany on SQLite, COPY on PostgreSQL:
    dialect.insert_rows), without SQLAlchemy's per-row parameter processing (7× faster for the 20,000
    verdicts of a scan). Values must be what the driver takes (int, float, str, None), except in the
    columns named in `convert`, which go through their type's bind processor
    (dates on SQLite, decimals) once per distinct (hashable) value."""
    insert_plain_chunks(session, table, list(columns), [columns], convert)


def insert_plain_chunks(session: Session, table: Table, names: Sequence[str], chunks: Iterable[dict[str, Sequence]],
                        convert: Iterable[str] = ()) -> None:
    """insert_plain of the rows of each chunk in turn (each a dict of the columns `names`), in one
    statement. The caller builds a chunk's columns only when it is asked for, so that a scan of 200,000
    systems holds a few thousand rows' values at a time, which stay in the CPU cache, instead of building
    every row first (that made 10× the rows take 11× the time)."""
    conn = session.connection()
    dialect = conn.dialect
    processors = {name: table.c[name].type._cached_bind_processor(dialect) for name in convert}

    def rows() -> Iterator[tuple]:
        for columns in chunks:
            values = []
            for name in names:
                column, process = columns[name], processors.get(name)
                if process and isinstance(table.c[name].type, JSON):
                    values.append([process(v) for v in column])          # lists are not hashable: each one
                else:
                    values.append(_once_per_value(process, column) if process else column)
            yield from zip(*values, strict=False)
    quote = dialect.identifier_preparer.quote
    insert_rows(conn.connection.dbapi_connection, dialect, quote(table.name), [quote(n) for n in names], rows())
