"""job_run: one row per period of a scheduled job

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 12:00:00

Two `yunzhang serve` replicas on one PostgreSQL each fire every job; the unique (job, tick) row decides
which one runs a period, and keeps the history of runs (host, pid, started, finished, outcome).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=32), nullable=False),
        sa.Column('tick', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('host', sa.String(length=64), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('job', 'tick', name='uq_job_run_job_tick'),
    )
    op.create_index('ix_job_run_outcome', 'job_run', ['outcome'])


def downgrade() -> None:
    op.drop_index('ix_job_run_outcome', table_name='job_run')
    op.drop_table('job_run')
