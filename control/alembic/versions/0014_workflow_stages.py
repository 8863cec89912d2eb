"""workflow_stage and workflow_author: one stage engine for every procedure

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 13:40:00

The stages of cloud requests (cloud_stage) become rows of the generic workflow_stage, named by subject
("cloud_request") and subject_id, with a planned date and days behind plan for the stages of migration
plans. workflow_author keeps everyone who created, submitted or resubmitted an item: for the requests
already filed, their creator and their (last) submitter. The rows keep their ids; cloud_stage is dropped.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

COPIED = ("id", "stage", "name", "started_at", "start_date", "working_days", "due_date", "calendar_error", "done_at",
          "done_date", "outcome", "actor", "comment", "active", "sla_state", "sla_working_days")
SLA_STATES = ("on_time", "due_soon", "overdue", "done_on_time", "done_late", "no_deadline", "calendar_unknown")


def upgrade() -> None:
    op.create_table(
        'workflow_stage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=32), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('working_days', sa.Integer(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('planned_date', sa.Date(), nullable=True),
        sa.Column('calendar_error', sa.String(length=300), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_date', sa.Date(), nullable=True),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('actor', sa.String(length=64), nullable=True),
        sa.Column('comment', sa.String(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sla_state', sa.Enum(*SLA_STATES, name='slastate', native_enum=False, length=24), nullable=False),
        sa.Column('sla_working_days', sa.Integer(), nullable=False),
        sa.Column('behind_days', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_workflow_stage_queue', 'workflow_stage',
                    ['active', 'subject', 'stage', 'due_date', 'subject_id', 'sla_state'])
    op.create_index('ix_workflow_stage_subject', 'workflow_stage', ['subject', 'subject_id'])
    op.create_table(
        'workflow_author',
        sa.Column('subject', sa.String(length=32), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('subject', 'subject_id', 'username'),
    )
    columns = ", ".join(COPIED)
    op.execute(f"INSERT INTO workflow_stage (subject, subject_id, planned_date, behind_days, {columns}) "
               f"SELECT 'cloud_request', request_id, NULL, 0, {columns} FROM cloud_stage ORDER BY id")
    op.execute("INSERT INTO workflow_author (subject, subject_id, username) "
               "SELECT 'cloud_request', id, created_by FROM cloud_request "
               "UNION SELECT 'cloud_request', id, submitted_by FROM cloud_request WHERE submitted_by IS NOT NULL")
    _continue_ids('workflow_stage')
    op.drop_index('ix_cloud_stage_request_id', table_name='cloud_stage')
    op.drop_index('ix_cloud_stage_queue', table_name='cloud_stage')
    op.drop_table('cloud_stage')


def _continue_ids(table: str) -> None:
    """PostgreSQL: the id sequence goes on after the ids copied in (SQLite takes max(id) + 1 by itself)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                   f"FROM {table}")


def downgrade() -> None:
    op.create_table(
        'cloud_stage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('working_days', sa.Integer(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('calendar_error', sa.String(length=300), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_date', sa.Date(), nullable=True),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('actor', sa.String(length=64), nullable=True),
        sa.Column('comment', sa.String(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sla_state', sa.Enum(*SLA_STATES, name='slastate', native_enum=False, length=24), nullable=False),
        sa.Column('sla_working_days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['cloud_request.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_cloud_stage_queue', 'cloud_stage', ['active', 'stage', 'due_date', 'request_id', 'sla_state'])
    op.create_index('ix_cloud_stage_request_id', 'cloud_stage', ['request_id'])
    columns = ", ".join(COPIED)
    op.execute(f"INSERT INTO cloud_stage (request_id, {columns}) SELECT subject_id, {columns} FROM workflow_stage "
               "WHERE subject = 'cloud_request' ORDER BY id")
    _continue_ids('cloud_stage')
    op.drop_table('workflow_author')
    op.drop_index('ix_workflow_stage_subject', table_name='workflow_stage')
    op.drop_index('ix_workflow_stage_queue', table_name='workflow_stage')
    op.drop_table('workflow_stage')
