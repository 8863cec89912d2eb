"""PostgreSQL: the live systems in name order, with what a free-text search filters on

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 01:00:00

A free-text search with more matches than the list counts (control/systems/service.py _search_page)
takes its page by walking the systems in name order, testing each one's search_text and status, until
the page is full. A common word sorted late ("业务系统1" page 2 at 20,000 systems) skipped 10,000 rows on
their heap pages, one page fetch per row. This index holds the live systems in that order with status
and search_text beside them, so the walk reads the index alone: that request went from 17.8 to 11.4 ms.
SQLite searches through its FTS5 table and has no INCLUDE.
"""
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_system_live_name_search ON information_system (name, id) "
                   "INCLUDE (status, search_text) WHERE deleted_at IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_system_live_name_search")
