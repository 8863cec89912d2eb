"""run, run_event, run_worker: automation runs, their numbered events and the workers that execute them

Revision ID: 0021
Revises: 0017
Create Date: 2026-11-29 16:40:00

A run is queued in the database and claimed by any worker process (FOR UPDATE SKIP LOCKED on PostgreSQL);
its events are numbered per run so a page polls "events after N"; run_worker says which processes are alive,
so a run left running by a dead one is marked interrupted.
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=True),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('cancel_requested', sa.Boolean(), nullable=False),
        sa.Column('worker_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('duration_seconds', sa.Float(), nullable=True),
        sa.Column('error', sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_run_status_id', 'run', ['status', 'id'])
    op.create_index('ix_run_change_id', 'run', ['change_id'])
    op.create_index('ix_run_device_id', 'run', ['device_id'])
    op.create_index('ix_run_department_id', 'run', ['department_id'])
    op.create_table(
        'run_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('event', sa.String(length=48), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('task', sa.String(length=500), nullable=False),
        sa.Column('changed', sa.Boolean(), nullable=False),
        sa.Column('failed', sa.Boolean(), nullable=False),
        sa.Column('stdout', sa.Text(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('run_id', 'seq', name='uq_run_event_run_seq'),
    )
    op.create_table(
        'run_worker',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('host', sa.String(length=64), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('run_worker')
    op.drop_table('run_event')
    op.drop_index('ix_run_department_id', table_name='run')
    op.drop_index('ix_run_device_id', table_name='run')
    op.drop_index('ix_run_change_id', table_name='run')
    op.drop_index('ix_run_status_id', table_name='run')
    op.drop_table('run')
