"""usage metrics, zombie scans and reviews

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:58:55.199545
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zombie_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scanned', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('insufficient', sa.Integer(), nullable=False),
    sa.Column('classified_scanned', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('zombie_scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zombie_scan_as_of'), ['as_of'], unique=False)

    op.create_table('usage_day',
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('cpu_p95', sa.Float(), nullable=True),
    sa.Column('memory_avg', sa.Float(), nullable=True),
    sa.Column('network_bytes', sa.Float(), nullable=True),
    sa.Column('requests', sa.Float(), nullable=True),
    sa.Column('active_users', sa.Float(), nullable=True),
    sa.Column('logins', sa.Float(), nullable=True),
    sa.Column('deployments', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['system_id'], ['information_system.id'], ),
    sa.PrimaryKeyConstraint('system_id', 'day')
    )
    with op.batch_alter_table('usage_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_day_day'), ['day'], unique=False)

    op.create_table('usage_summary',
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('last_deployment_day', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['system_id'], ['information_system.id'], ),
    sa.PrimaryKeyConstraint('system_id')
    )
    op.create_table(
        "zombie_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "candidate",
                "confirmed",
                "exempted",
                "cleanup_planned",
                "cleaned_up",
                "cleared",
                name="casestate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("opened_scan_id", sa.Integer(), nullable=False),
        sa.Column("last_scan_id", sa.Integer(), nullable=False),
        sa.Column("cleared_scan_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("exempt_until", sa.Date(), nullable=True),
        sa.Column("department_response", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cleanup_plan", sa.JSON(), nullable=True),
        sa.Column("needs_rereview", sa.Boolean(), nullable=False),
        sa.Column("rereview_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cleared_scan_id"],
            ["zombie_scan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["last_scan_id"],
            ["zombie_scan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["opened_scan_id"],
            ["zombie_scan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_system.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('zombie_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zombie_case_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zombie_case_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_zombie_case_system_id'), ['system_id'], unique=False)

    op.create_table(
        "zombie_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("candidate", "healthy", "insufficient_data", name="verdictstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("held", sa.JSON(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["zombie_scan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_system.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('zombie_verdict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zombie_verdict_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zombie_verdict_scan_id'), ['scan_id'], unique=False)
        batch_op.create_index('ix_zombie_verdict_scan_status', ['scan_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_zombie_verdict_system_id'), ['system_id'], unique=False)

    with op.batch_alter_table('information_system', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_information_system_replaced_by", "information_system", ["replaced_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table('information_system', schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint('fk_information_system_replaced_by', type_='foreignkey')
        batch_op.drop_column('replaced_by_id')

    with op.batch_alter_table('zombie_verdict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zombie_verdict_system_id'))
        batch_op.drop_index('ix_zombie_verdict_scan_status')
        batch_op.drop_index(batch_op.f('ix_zombie_verdict_scan_id'))
        batch_op.drop_index(batch_op.f('ix_zombie_verdict_department_id'))

    op.drop_table('zombie_verdict')
    with op.batch_alter_table('zombie_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zombie_case_system_id'))
        batch_op.drop_index(batch_op.f('ix_zombie_case_state'))
        batch_op.drop_index(batch_op.f('ix_zombie_case_department_id'))

    op.drop_table('zombie_case')
    op.drop_table('usage_summary')
    with op.batch_alter_table('usage_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_day_day'))

    op.drop_table('usage_day')
    with op.batch_alter_table('zombie_scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zombie_scan_as_of'))

    op.drop_table('zombie_scan')
