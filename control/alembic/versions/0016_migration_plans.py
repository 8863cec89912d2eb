"""migration plans: plans of both kinds, their networks and systems, in-house exceptions, plan documents

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 13:25:51

Follows 0015 (private networks), which follows 0014 (the shared stage engine): a plan's stages live in
workflow_stage under the subject "migration_plan".
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade() -> None:
    op.create_table('migration_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', _enum('private_network', 'cloud', name='plankind'), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('target', _enum('extranet_public', 'extranet_dedicated', 'extranet_internet', 'intranet',
                              name='target'), nullable=True),
    sa.Column('completion_date', sa.Date(), nullable=False),
    sa.Column('connect_by', sa.Date(), nullable=True),
    sa.Column('migrate_by', sa.Date(), nullable=True),
    sa.Column('leader_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('leader_title', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('leader_phone', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('office', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('liaison_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('liaison_phone', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', _enum('draft', 'review', 'approval', 'connect', 'migrate', 'withdraw', 'migration',
                              'completed', 'returned', 'cancelled', name='planstatus'), nullable=False),
    sa.Column('review_plan', sa.JSON(), nullable=False),
    sa.Column('review_index', sa.Integer(), nullable=False),
    sa.Column('reviewer_department_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('department_id', 'kind', 'name', name='uq_migration_plan_name'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('migration_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_plan_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_migration_plan_kind_status', ['kind', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_migration_plan_reviewer_department_id'), ['reviewer_department_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_migration_plan_status'), ['status'], unique=False)

    op.create_table('migration_plan_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['migration_plan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'version', name='uq_migration_plan_document_version')
    )
    with op.batch_alter_table('migration_plan_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_plan_document_plan_id'), ['plan_id'], unique=False)

    op.create_table('migration_plan_network',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['private_network.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['migration_plan.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'network_id', name='uq_migration_plan_network')
    )
    with op.batch_alter_table('migration_plan_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_plan_network_network_id'), ['network_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_migration_plan_network_plan_id'), ['plan_id'], unique=False)

    op.create_table('migration_plan_system',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('state', _enum('pending', 'migrating', 'migrated', 'exception', name='systemstate'), nullable=False),
    sa.Column('started_date', sa.Date(), nullable=True),
    sa.Column('migrated_date', sa.Date(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['migration_plan.id'], ),
    sa.ForeignKeyConstraint(['system_id'], ['information_system.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'system_id', name='uq_migration_plan_system')
    )
    with op.batch_alter_table('migration_plan_system', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_plan_system_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_migration_plan_system_planned_date'), ['planned_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_migration_plan_system_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_migration_plan_system_system_id'), ['system_id'], unique=False)

    op.create_table('migration_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_system_id', sa.Integer(), nullable=False),
    sa.Column('reason', _enum('specialised', 'high_security', 'very_large', name='exceptionreason'), nullable=False),
    sa.Column('justification', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', _enum('requested', 'approved', 'rejected', name='exceptionstatus'), nullable=False),
    sa.Column('interfaces', sa.JSON(), nullable=False),
    sa.Column('later_target_date', sa.Date(), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['plan_system_id'], ['migration_plan_system.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('migration_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_exception_plan_system_id'), ['plan_system_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_migration_exception_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('migration_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_exception_status'))
        batch_op.drop_index(batch_op.f('ix_migration_exception_plan_system_id'))

    op.drop_table('migration_exception')
    with op.batch_alter_table('migration_plan_system', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_plan_system_system_id'))
        batch_op.drop_index(batch_op.f('ix_migration_plan_system_state'))
        batch_op.drop_index(batch_op.f('ix_migration_plan_system_planned_date'))
        batch_op.drop_index(batch_op.f('ix_migration_plan_system_plan_id'))

    op.drop_table('migration_plan_system')
    with op.batch_alter_table('migration_plan_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_plan_network_plan_id'))
        batch_op.drop_index(batch_op.f('ix_migration_plan_network_network_id'))

    op.drop_table('migration_plan_network')
    with op.batch_alter_table('migration_plan_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_plan_document_plan_id'))

    op.drop_table('migration_plan_document')
    with op.batch_alter_table('migration_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_plan_status'))
        batch_op.drop_index(batch_op.f('ix_migration_plan_reviewer_department_id'))
        batch_op.drop_index('ix_migration_plan_kind_status')
        batch_op.drop_index(batch_op.f('ix_migration_plan_department_id'))

    op.drop_table('migration_plan')
