"""network devices (credentials by reference) and their config backups

Revision ID: 0020
Revises: 0017
Create Date: 2026-11-29 16:30:00

At merge the lead re-chains this after the last revision of main; it touches no table of 0018 or 0019.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ZONES = ("extranet_public", "extranet_dedicated", "extranet_internet", "intranet")
SOURCES = ("inventory", "service")
OUTCOMES = ("changed", "unchanged", "failed")


def upgrade() -> None:
    op.create_table(
        'device',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('device_type', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('network_id', sa.Integer(), nullable=True),
        sa.Column('zone', sa.Enum(*ZONES, name='target', native_enum=False, length=24), nullable=True),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('password_ref', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('enable_secret_ref', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('source', sa.Enum(*SOURCES, name='devicesource', native_enum=False, length=24), nullable=False),
        sa.Column('drifted', sa.Boolean(), nullable=False),
        sa.Column('drift_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_backup_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_backup_outcome', sa.Enum(*OUTCOMES, name='backupoutcome', native_enum=False, length=24),
                  nullable=True),
        sa.Column('last_backup_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.ForeignKeyConstraint(['network_id'], ['private_network.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_device_name'),
    )
    op.create_index('ix_device_department_id', 'device', ['department_id'])
    op.create_index('ix_device_network_id', 'device', ['network_id'])
    op.create_index('ix_device_drifted', 'device', ['drifted'])
    op.create_table(
        'device_backup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('taken_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('expected', sa.Boolean(), nullable=False),
        sa.Column('drift', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['device_id'], ['device.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('device_id', 'version', name='uq_device_backup_version'),
    )
    op.create_index('ix_device_backup_device_id', 'device_backup', ['device_id'])


def downgrade() -> None:
    op.drop_index('ix_device_backup_device_id', table_name='device_backup')
    op.drop_table('device_backup')
    for index in ('ix_device_drifted', 'ix_device_network_id', 'ix_device_department_id'):
        op.drop_index(index, table_name='device')
    op.drop_table('device')
