"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:21:31.400799
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
       BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END""",
]
APPEND_ONLY_POSTGRES = [
    """CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$""",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
       FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
]


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity_label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_entity_type'), ['entity_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_request_id'), ['request_id'], unique=False)

    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Enum("province", "city", "county", "township", "village", name="level", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_department_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_path'), ['path'], unique=False)

    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_client'), ['client'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_username'), ['username'], unique=False)

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "bureau",
                "infocenter",
                "department",
                "auditor",
                "ops",
                name="role",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_username'), ['username'], unique=True)

    op.create_table(
        "information_system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("self_built", "vertical", name="systemkind", native_enum=False, length=24), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "registered", "running", "stopped", "decommissioned", name="systemstatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("function_description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("information_resources", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("networks", sa.JSON(), nullable=False),
        sa.Column("is_classified", sa.Boolean(), nullable=False),
        sa.Column("protection_level", sa.Integer(), nullable=True),
        sa.Column(
            "classified_grade",
            sa.Enum("secret", "confidential", "top_secret", name="classifiedgrade", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("secrecy_clause", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("can_reach_external", sa.Boolean(), nullable=True),
        sa.Column(
            "reach_method", sa.Enum("direct", "other", name="reachmethod", native_enum=False, length=24), nullable=True
        ),
        sa.Column("reach_method_other", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("no_reach_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("access_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("site_consolidation", sa.Boolean(), nullable=True),
        sa.Column("use_scopes", sa.JSON(), nullable=False),
        sa.Column("use_scope_names", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("user_count", sa.Integer(), nullable=True),
        sa.Column("user_count_varies", sa.Boolean(), nullable=False),
        sa.Column(
            "usage_frequency",
            sa.Enum(
                "daily",
                "weekly",
                "monthly",
                "quarterly",
                "yearly",
                "on_demand",
                name="usagefrequency",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("responsible_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("responsible_title", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("responsible_phone", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("other_notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("approving_unit", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("builder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("build_date", sa.Date(), nullable=True),
        sa.Column("warranty_years", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("build_cost", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("build_funding_source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("om_cost_yearly", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("om_funding_source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("om_vendors", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("additional_notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("tech_support_contact", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('information_system', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_information_system_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_information_system_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_system_is_classified'), ['is_classified'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_system_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_system_protection_level'), ['protection_level'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_system_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_system_usage_frequency'), ['usage_frequency'], unique=False)
        batch_op.create_index(
            "uq_system_department_name_live",
            ["department_id", "name"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "system_sharing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("provided", "obtained", "needed", name="sharingdirection", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("resource_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("counterpart", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "open_database",
                "exchange_server",
                "api",
                "removable_media",
                "none",
                name="sharingmethod",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("method_note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_system.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('system_sharing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_system_sharing_system_id'), ['system_id'], unique=False)


    # The audit log is append-only at the database level too, not only in the service.
    statements = APPEND_ONLY_POSTGRES if op.get_bind().dialect.name == "postgresql" else APPEND_ONLY_SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    with op.batch_alter_table('system_sharing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_system_sharing_system_id'))

    op.drop_table('system_sharing')
    with op.batch_alter_table('information_system', schema=None) as batch_op:
        batch_op.drop_index(
            "uq_system_department_name_live",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f('ix_information_system_usage_frequency'))
        batch_op.drop_index(batch_op.f('ix_information_system_status'))
        batch_op.drop_index(batch_op.f('ix_information_system_protection_level'))
        batch_op.drop_index(batch_op.f('ix_information_system_name'))
        batch_op.drop_index(batch_op.f('ix_information_system_is_classified'))
        batch_op.drop_index(batch_op.f('ix_information_system_department_id'))
        batch_op.drop_index(batch_op.f('ix_information_system_code'))

    op.drop_table('information_system')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_username'))
        batch_op.drop_index(batch_op.f('ix_app_user_department_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_username'))
        batch_op.drop_index(batch_op.f('ix_login_failure_client'))

    op.drop_table('login_failure')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_path'))
        batch_op.drop_index(batch_op.f('ix_department_parent_id'))
        batch_op.drop_index(batch_op.f('ix_department_name'))
        batch_op.drop_index(batch_op.f('ix_department_code'))

    op.drop_table('department')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_request_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_entity_type'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_entity_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
