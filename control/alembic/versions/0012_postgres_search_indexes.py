"""PostgreSQL: trigram search, JSONB networks, subtree prefix index; live systems by status (both)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 12:00:00

On PostgreSQL the inventory list read every row for free text (ILIKE over four columns), for a network
(the JSON text cast and matched with LIKE) and for a subtree (department.path LIKE 'prefix%' cannot use a
btree index under a non-C collation). Here: search_text, a stored generated column holding the searched
columns lower-cased, with a pg_trgm GIN index on it (when the role may create the extension: otherwise
skipped, and the service says so at start and scans search_text); networks as JSONB with a
jsonb_path_ops GIN index for containment; a pattern_ops index on department.path. SQLite has its FTS5
table (0005) and keeps its LIKE. On both, a partial index of the live systems by (status, department)
lets the list count a status filter from the index alone.
"""
import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
SEARCHED = ("name", "code", "function_description", "om_vendors")  # control/systems/service.py SEARCHED


def _create_trigram_extension(conn) -> bool:
    """CREATE EXTENSION pg_trgm in a savepoint: a role without the privilege (or a server without the
    contrib package) leaves the migration going, without the trigram index."""
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar():
        return True
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return True
    except DBAPIError as exc:
        log.warning("未能创建 pg_trgm 扩展，跳过三元组索引，全文检索将用 ILIKE / could not create the pg_trgm "
                    "extension, trigram index skipped, free-text search will use ILIKE: %s",
                    str(exc.orig).split("\n", 1)[0])
        return False


def upgrade() -> None:
    live = sa.text("deleted_at IS NULL")
    op.create_index("ix_system_live_status", "information_system", ["status", "department_id"],
                    sqlite_where=live, postgresql_where=live)
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    # The searched columns lower-cased once, when written: ILIKE would lower-case them on every search.
    # Joined by U+001F, which no search text holds, so a match never spans two columns.
    joined = " || E'\\x1f' || ".join(f"coalesce({c}, '')" for c in SEARCHED)
    op.execute(f"ALTER TABLE information_system ADD COLUMN search_text text "
               f"GENERATED ALWAYS AS (lower({joined})) STORED")
    if _create_trigram_extension(conn):
        op.execute("CREATE INDEX ix_information_system_search_trgm ON information_system USING gin "
                   "(search_text gin_trgm_ops)")
    op.execute("ALTER TABLE information_system ALTER COLUMN networks TYPE jsonb USING networks::jsonb")
    op.execute("CREATE INDEX ix_information_system_networks ON information_system USING gin "
               "(networks jsonb_path_ops)")
    op.execute("CREATE INDEX ix_department_path_pattern ON department (path varchar_pattern_ops)")


def downgrade() -> None:
    op.drop_index("ix_system_live_status", table_name="information_system")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_department_path_pattern")
    op.execute("DROP INDEX ix_information_system_networks")
    op.execute("ALTER TABLE information_system ALTER COLUMN networks TYPE json USING networks::json")
    op.execute("DROP INDEX IF EXISTS ix_information_system_search_trgm")
    op.execute("ALTER TABLE information_system DROP COLUMN search_text")
