"""audit entries say which hash covers them: 1 the old unkeyed one, 2 the keyed one over every column

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 08:20:00

Existing entries keep their hashes (hash_version 1), so the chain an auditor has already checked stays
checkable as it was; entries written from now on are HMAC-SHA256 over every column under a key kept
outside the database. Re-chaining the old entries with the key instead would have replaced the very
hashes an auditor may hold copies of. verify accepts version 1 only as an unbroken prefix before the
first keyed entry, and an auditor's checkpoint records where that prefix ends.
On PostgreSQL the column then loses its default, so a server still running the old code cannot append
unkeyed entries; SQLite cannot drop a default without rebuilding the table (and its append-only
triggers), and verify reports such entries anyway.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_entry', sa.Column('hash_version', sa.Integer(), nullable=False, server_default='1'))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('audit_entry', 'hash_version', server_default=None)


def downgrade() -> None:
    """Keyed entries cannot be expressed in the old scheme: refuse rather than leave a chain that fails."""
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT count(*) FROM audit_entry WHERE hash_version <> 1")).scalar():
        raise RuntimeError("audit_entry holds keyed entries (hash_version 2); the old code cannot verify them")
    op.drop_column('audit_entry', 'hash_version')
