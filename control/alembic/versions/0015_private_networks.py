"""private networks (业务专网), their carrier lines and the systems on them

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 13:40:00

At merge the lead re-chains this after 0014 (the shared stage engine); it touches no table of 0014.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STATES = ("in_use", "connected", "migrating", "withdrawn", "merged", "converted")


def upgrade() -> None:
    op.create_table(
        'private_network',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('fiscal_funded', sa.Boolean(), nullable=False),
        sa.Column('sites', sa.JSON(), nullable=False),
        sa.Column('state', sa.Enum(*STATES, name='networkstate', native_enum=False, length=24), nullable=False),
        sa.Column('connected_on', sa.Date(), nullable=True),
        sa.Column('migrating_on', sa.Date(), nullable=True),
        sa.Column('outcome_on', sa.Date(), nullable=True),
        sa.Column('outcome_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('department_id', 'name', name='uq_private_network_department_name'),
    )
    op.create_index('ix_private_network_department_id', 'private_network', ['department_id'])
    op.create_index('ix_private_network_fiscal_funded', 'private_network', ['fiscal_funded'])
    op.create_index('ix_private_network_state', 'private_network', ['state'])
    op.create_table(
        'private_network_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('carrier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('bandwidth_mbps', sa.Integer(), nullable=False),
        sa.Column('yearly_rent', sa.Numeric(14, 4), nullable=False),
        sa.ForeignKeyConstraint(['network_id'], ['private_network.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_private_network_line_network_id', 'private_network_line', ['network_id'])
    op.create_table(
        'private_network_system',
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('system_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['network_id'], ['private_network.id']),
        sa.ForeignKeyConstraint(['system_id'], ['information_system.id']),
        sa.PrimaryKeyConstraint('network_id', 'system_id'),
    )
    op.create_index('ix_private_network_system_system_id', 'private_network_system', ['system_id'])


def downgrade() -> None:
    op.drop_index('ix_private_network_system_system_id', table_name='private_network_system')
    op.drop_table('private_network_system')
    op.drop_index('ix_private_network_line_network_id', table_name='private_network_line')
    op.drop_table('private_network_line')
    for column in ('state', 'fiscal_funded', 'department_id'):
        op.drop_index(f'ix_private_network_{column}', table_name='private_network')
    op.drop_table('private_network')
