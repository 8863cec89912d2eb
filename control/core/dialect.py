"""The SQL that differs between SQLite and PostgreSQL, one self-contained function each. Services call
these and keep one code path; nothing else asks which database it runs on."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, bindparam, cast, func, literal_column, or_, select, table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger("yunzhang.db")


def json_list_contains(session: Session, column: Any, value: str) -> Any:
    """The JSON list in `column` holds `value`. PostgreSQL: JSONB containment (`@>`), answered by the GIN
    index (jsonb_path_ops) of migration 0012; SQLite: the stored text holds the quoted value (the lists
    hold enum values, which need no JSON escaping)."""
    if session.get_bind().dialect.name == "postgresql":
        return column.op("@>")(bindparam(None, [value], type_=JSONB))
    return cast(column, String).like(f'%"{value}"%')


TRIGRAM_MIN_CHARS = 3  # a trigram index answers substrings of three characters or more


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_text(columns: Sequence[Any], q: str) -> Any:
    """One of `columns` contains q, ignoring case; q's % and _ are literal. On PostgreSQL the pg_trgm GIN
    index of migration 0012 answers this ILIKE when it exists; otherwise it is a scan of the rows."""
    like = f"%{_escape_like(q)}%"
    return or_(*(column.ilike(like, escape="\\") for column in columns))


def text_search(session: Session, id_column: Any, columns: Sequence[Any], q: str, *, fts_table: str,
                lowered: Any) -> Any:
    """A row (by `id_column`) has q in one of `columns`, ignoring case; q's % and _ are literal.
    SQLite: through the FTS5 trigram table `fts_table` (rowid = id) when q is long enough for it, else
    contains_text over the columns. PostgreSQL: LIKE on `lowered`, a stored column holding the lower-cased
    columns (migration 0012), which its pg_trgm GIN index answers: ILIKE lower-cases every row's text for
    every row it tests, ten times slower on Chinese text. The same rows either way."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return lowered.like(func.lower(f"%{_escape_like(q)}%"), escape="\\")
    if dialect == "sqlite" and len(q) >= TRIGRAM_MIN_CHARS:
        phrase = '"' + q.replace('"', '""') + '"'
        return id_column.in_(select(literal_column("rowid")).select_from(table(fts_table))
                             .where(literal_column(fts_table).op("MATCH")(phrase)))
    return contains_text(columns, q)


TRIGRAM_INDEX = "ix_information_system_search_trgm"


def has_trigram(engine: Engine) -> bool:
    """Whether free text is answered by a trigram index: on SQLite always (FTS5, migration 0005); on
    PostgreSQL when the pg_trgm index of migration 0012 exists (it does not when the migration's role
    could not create the extension)."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        return conn.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": TRIGRAM_INDEX}).scalar()


def report_text_search(engine: Engine) -> None:
    """Say at start, in zh-CN and English, when free-text search falls back to ILIKE scans on PostgreSQL."""
    if not has_trigram(engine):
        log.warning("PostgreSQL 未启用 pg_trgm 三元组索引（迁移 0012 的数据库角色无权创建该扩展），全文检索改用 ILIKE "
                    "逐行匹配，结果相同但在大数据量下较慢；"
                    "请数据库管理员执行 CREATE EXTENSION pg_trgm 并创建迁移 0012 中的索引 "
                    f"{TRIGRAM_INDEX}。"
                    " / PostgreSQL has no pg_trgm trigram index (the role running migration 0012 could not create "
                    "the extension): free-text search falls back to ILIKE scans, same results but slower at scale; "
                    f"ask the DBA to CREATE EXTENSION pg_trgm and create the index {TRIGRAM_INDEX} of migration 0012.")
