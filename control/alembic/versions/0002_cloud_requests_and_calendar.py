"""cloud requests and calendar

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:41:40.031456
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_day_year'), ['year'], unique=False)

    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table(
        "cloud_capacity_pool",
        sa.Column(
            "zone",
            sa.Enum("public", "dedicated", "internet_access", name="zone", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("vcpu", sa.Integer(), nullable=False),
        sa.Column("memory_gib", sa.Integer(), nullable=False),
        sa.Column("storage_gib", sa.Integer(), nullable=False),
        sa.Column("extranet_ips", sa.Integer(), nullable=False),
        sa.Column("internet_ips", sa.Integer(), nullable=False),
        sa.Column("bandwidth_mbps", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("zone"),
    )
    op.create_table('cloud_department_quota',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('vcpu', sa.Integer(), nullable=True),
    sa.Column('memory_gib', sa.Integer(), nullable=True),
    sa.Column('storage_gib', sa.Integer(), nullable=True),
    sa.Column('extranet_ips', sa.Integer(), nullable=True),
    sa.Column('internet_ips', sa.Integer(), nullable=True),
    sa.Column('bandwidth_mbps', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('department_id')
    )
    op.create_table(
        "cloud_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("new_system_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("use_until", sa.Date(), nullable=True),
        sa.Column(
            "zone",
            sa.Enum("public", "dedicated", "internet_access", name="zone", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("protection_level", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "review",
                "acceptance",
                "assessment",
                "delivery",
                "in_use",
                "returned",
                "rejected",
                "reclaimed",
                "cancelled",
                name="requeststatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("review_plan", sa.JSON(), nullable=False),
        sa.Column("review_index", sa.Integer(), nullable=False),
        sa.Column("reviewer_department_id", sa.Integer(), nullable=True),
        sa.Column("returned_from", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "reclaim_reason",
            sa.Enum("end_date", "requested", "zombie_cleanup", name="reclaimreason", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("delivery_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_system.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table('cloud_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_request_department_id'), ['department_id'], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cloud_request_reviewer_department_id"), ["reviewer_department_id"], unique=False
        )
        batch_op.create_index(batch_op.f('ix_cloud_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cloud_request_system_id'), ['system_id'], unique=False)

    op.create_table('cloud_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['cloud_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cloud_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_attachment_request_id'), ['request_id'], unique=False)

    op.create_table(
        "cloud_resource_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "vm",
                "block_storage",
                "object_storage",
                "file_storage",
                "extranet_ip",
                "internet_ip",
                "bandwidth",
                "database",
                "middleware",
                "security",
                name="linekind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("vcpu", sa.Integer(), nullable=True),
        sa.Column("memory_gib", sa.Integer(), nullable=True),
        sa.Column("system_disk_gib", sa.Integer(), nullable=True),
        sa.Column("data_disk_gib", sa.Integer(), nullable=True),
        sa.Column("os_image", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("size_gib", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("bandwidth_mbps", sa.Integer(), nullable=True),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("spec", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("trimmed_from", sa.JSON(), nullable=True),
        sa.Column("trim_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cloud_request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('cloud_resource_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_resource_line_request_id'), ['request_id'], unique=False)

    op.create_table(
        "cloud_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("calendar_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_date", sa.Date(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "sla_state",
            sa.Enum(
                "on_time",
                "due_soon",
                "overdue",
                "done_on_time",
                "done_late",
                "no_deadline",
                "calendar_unknown",
                name="slastate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("sla_working_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cloud_request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table('cloud_stage', schema=None) as batch_op:
        batch_op.create_index(
            "ix_cloud_stage_queue", ["active", "stage", "due_date", "request_id", "sla_state"], unique=False
        )
        batch_op.create_index(batch_op.f('ix_cloud_stage_request_id'), ['request_id'], unique=False)

    op.create_table('cloud_delivered_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('spec', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.ForeignKeyConstraint(['line_id'], ['cloud_resource_line.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['cloud_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cloud_delivered_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_delivered_item_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cloud_delivered_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_delivered_item_request_id'))

    op.drop_table('cloud_delivered_item')
    with op.batch_alter_table('cloud_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_stage_request_id'))
        batch_op.drop_index('ix_cloud_stage_queue')

    op.drop_table('cloud_stage')
    with op.batch_alter_table('cloud_resource_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_resource_line_request_id'))

    op.drop_table('cloud_resource_line')
    with op.batch_alter_table('cloud_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_attachment_request_id'))

    op.drop_table('cloud_attachment')
    with op.batch_alter_table('cloud_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_request_system_id'))
        batch_op.drop_index(batch_op.f('ix_cloud_request_status'))
        batch_op.drop_index(batch_op.f('ix_cloud_request_reviewer_department_id'))
        batch_op.drop_index(batch_op.f('ix_cloud_request_department_id'))

    op.drop_table('cloud_request')
    op.drop_table('cloud_department_quota')
    op.drop_table('cloud_capacity_pool')
    op.drop_table('calendar_year')
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_day_year'))

    op.drop_table('calendar_day')
