"""automation_change, automation_change_target: the change pipeline (device and playbook changes)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 17:10:00

A change and its targets in order (the first is the canary), each target holding what was checked (backup,
rendered commands, expected diff) and its progress (applied, verified, saved, rolled back) as it happens.
plan_step_id / cloud_request_id / zombie_case_id are plain columns the other domains look changes up by.
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'automation_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('device', 'playbook', name='changekind', native_enum=False, length=24),
                  nullable=False),
        sa.Column('template', sa.String(length=64), nullable=True),
        sa.Column('playbook', sa.String(length=64), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('variables', sa.JSON(), nullable=False),
        sa.Column('status', sa.Enum('draft', 'checked', 'approved', 'applying', 'verifying', 'succeeded', 'failed',
                                    'rolling_back', 'rolled_back', 'rollback_failed', 'cancelled', 'interrupted',
                                    name='changestatus', native_enum=False, length=24), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('concurrency', sa.Integer(), nullable=True),
        sa.Column('plan_step_id', sa.Integer(), nullable=True),
        sa.Column('cloud_request_id', sa.Integer(), nullable=True),
        sa.Column('zombie_case_id', sa.Integer(), nullable=True),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('checked_by', sa.String(length=64), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.Column('approved_digest', sa.String(length=64), nullable=True),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=2000), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('status', 'department_id', 'plan_step_id', 'cloud_request_id', 'zombie_case_id'):
        op.create_index(f'ix_automation_change_{column}', 'automation_change', [column])
    op.create_table(
        'automation_change_target',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('host', sa.String(length=255), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('status', sa.Enum('pending', 'checked', 'applying', 'applied', 'verified', 'saved', 'failed',
                                    'rolled_back', 'rollback_failed', 'skipped', name='targetstatus',
                                    native_enum=False, length=24), nullable=False),
        sa.Column('backup_id', sa.Integer(), nullable=True),
        sa.Column('backup_digest', sa.String(length=64), nullable=True),
        sa.Column('commands', sa.JSON(), nullable=False),
        sa.Column('rollback_commands', sa.JSON(), nullable=False),
        sa.Column('verify', sa.JSON(), nullable=False),
        sa.Column('expected_diff', sa.Text(), nullable=False),
        sa.Column('applied', sa.Boolean(), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('verified', sa.Boolean(), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rolled_back_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(['change_id'], ['automation_change.id']),
        sa.ForeignKeyConstraint(['device_id'], ['device.id']),
        sa.ForeignKeyConstraint(['backup_id'], ['device_backup.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('change_id', 'position', name='uq_change_target_position'),
    )
    op.create_index('ix_automation_change_target_change_id', 'automation_change_target', ['change_id'])
    op.create_index('ix_automation_change_target_device_id', 'automation_change_target', ['device_id'])


def downgrade() -> None:
    op.drop_index('ix_automation_change_target_device_id', table_name='automation_change_target')
    op.drop_index('ix_automation_change_target_change_id', table_name='automation_change_target')
    op.drop_table('automation_change_target')
    for column in ('zombie_case_id', 'cloud_request_id', 'plan_step_id', 'department_id', 'status'):
        op.drop_index(f'ix_automation_change_{column}', table_name='automation_change')
    op.drop_table('automation_change')
