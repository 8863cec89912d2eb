"""zombie verdicts keep their inputs; the words are rendered when read

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:30:00

A scan of 20,000 systems wrote ~1 KB of JSON prose per verdict; verdicts now keep each criterion's
status and the figures and inventory facts behind it in columns, and service.explain renders the
sentences with the scan's policy. Reads all name the scan, so (scan, status) and (scan, system) replace
the three single-column indexes. Existing verdicts are carried over from their JSON (the first observed
day and the warranty dates were not kept there and stay empty).
"""
import json
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

CRITERIA = ["business_disconnected", "replaceable", "idle_resources", "maintenance_stopped",
            "small_scope_low_frequency"]
STATUS = sa.Enum('held', 'possible', 'not_held', 'insufficient_data', 'disabled', name='criterionstatus',
                 native_enum=False, length=24)
# column → (criterion, key in its old "observed" JSON)
OBSERVED = {"req_days": ("business_disconnected", "days_with_requests"),
            "req_low_days": ("business_disconnected", "days_requests_at_or_below"),
            "login_days": ("business_disconnected", "days_with_logins"),
            "logins": ("business_disconnected", "logins"),
            "idle_days_with_data": ("idle_resources", "days_with_data"),
            "idle_days": ("idle_resources", "idle_days"),
            "au_days": ("small_scope_low_frequency", "days_with_active_users"),
            "au_low_days": ("small_scope_low_frequency", "days_active_users_at_or_below"),
            "last_deployment_day": ("maintenance_stopped", "last_deployment_day"),
            "last_recorded_change": ("maintenance_stopped", "last_recorded_change"),
            "replaced_by": ("replaceable", "replaced_by"), "most_similar": ("replaceable", "most_similar"),
            "similarity": ("replaceable", "similarity"),
            "use_scopes": ("small_scope_low_frequency", "use_scopes"),
            "usage_frequency": ("small_scope_low_frequency", "usage_frequency"),
            "om_vendors": ("maintenance_stopped", "om_vendors"),
            "om_cost_yearly": ("maintenance_stopped", "om_cost_yearly")}
COUNTS = ["req_days", "req_low_days", "login_days", "idle_days_with_data", "idle_days", "au_days", "au_low_days"]
DAYS = ["first_day", "last_deployment_day", "last_recorded_change"]


def _columns() -> list[sa.Column]:
    return [*(sa.Column(c, STATUS, nullable=True) for c in CRITERIA),
            *(sa.Column(c, sa.Integer(), nullable=True) for c in COUNTS),
            sa.Column('logins', sa.Float(), nullable=True),
            *(sa.Column(c, sa.Date(), nullable=True) for c in DAYS),
            sa.Column('replaced_by', sa.String(), nullable=True),
            sa.Column('described', sa.Boolean(), nullable=True),
            sa.Column('most_similar', sa.String(), nullable=True),
            sa.Column('similarity', sa.Float(), nullable=True),
            sa.Column('use_scopes', sa.String(length=200), nullable=True),
            sa.Column('usage_frequency', sa.String(length=24), nullable=True),
            sa.Column('om_vendors', sa.String(length=500), nullable=True),
            sa.Column('om_cost_yearly', sa.Numeric(precision=14, scale=4), nullable=True),
            sa.Column('build_date', sa.Date(), nullable=True),
            sa.Column('warranty_years', sa.Numeric(precision=6, scale=2), nullable=True)]


NOT_NULL = [*CRITERIA, *COUNTS, "logins", "described", "similarity", "use_scopes"]


def upgrade() -> None:
    with op.batch_alter_table('zombie_verdict', schema=None) as batch_op:
        for column in _columns():
            batch_op.add_column(column)
    conn = op.get_bind()
    verdict = sa.table('zombie_verdict', sa.column('id'), sa.column('criteria', sa.JSON()),
                       *(sa.column(c.name, c.type) for c in _columns()))
    rows = []
    for vid, criteria in conn.execute(sa.select(verdict.c.id, verdict.c.criteria)):
        criteria = json.loads(criteria) if isinstance(criteria, str) else criteria
        row = {"vid": vid, **{c: criteria.get(c, {}).get("status", "disabled") for c in CRITERIA}}
        for column, (criterion, key) in OBSERVED.items():
            row[column] = (criteria.get(criterion, {}).get("observed") or {}).get(key)
        for column in COUNTS:
            row[column] = int(row[column] or 0)
        row["logins"] = float(row["logins"] or 0)
        row["similarity"] = float(row["similarity"] or 0)
        row["use_scopes"] = ",".join(row["use_scopes"] or [])
        row["described"] = row["replaceable"] != "insufficient_data"
        row["first_day"] = row["build_date"] = row["warranty_years"] = None
        for column in ("last_deployment_day", "last_recorded_change"):
            row[column] = date.fromisoformat(row[column]) if row[column] else None
        row["om_cost_yearly"] = Decimal(row["om_cost_yearly"]) if row["om_cost_yearly"] is not None else None
        rows.append(row)
    if rows:
        conn.execute(verdict.update().where(verdict.c.id == sa.bindparam("vid")), rows)
    with op.batch_alter_table('zombie_verdict', schema=None) as batch_op:
        for column in _columns():
            if column.name in NOT_NULL:
                batch_op.alter_column(column.name, existing_type=column.type, nullable=False)
        batch_op.drop_column('held')
        batch_op.drop_column('criteria')
        batch_op.drop_index('ix_zombie_verdict_department_id')
        batch_op.drop_index('ix_zombie_verdict_scan_id')
        batch_op.drop_index('ix_zombie_verdict_system_id')
        batch_op.create_index('ix_zombie_verdict_scan_system', ['scan_id', 'system_id'], unique=False)


def downgrade() -> None:
    """Back to JSON: statuses and observed figures; the sentences are not rebuilt."""
    with op.batch_alter_table('zombie_verdict', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('criteria', sa.JSON(), nullable=True))
    conn = op.get_bind()
    verdict = sa.table('zombie_verdict', sa.column('id'), sa.column('held', sa.JSON()),
                       sa.column('criteria', sa.JSON()), *(sa.column(c.name, c.type) for c in _columns()))
    rows = []
    for r in conn.execute(sa.select(verdict)).mappings():
        criteria = {c: {"status": r[c], "sentence": "", "observed": {}} for c in CRITERIA}
        for column, (criterion, key) in OBSERVED.items():
            value = r[column]
            if isinstance(value, (date, Decimal)):
                value = str(value)
            criteria[criterion]["observed"][key] = (
                [s for s in value.split(",") if s] if column == "use_scopes" else value
            )
        rows.append({"vid": r["id"], "held": [c for c in CRITERIA if r[c] == "held"], "criteria": criteria})
    if rows:
        conn.execute(verdict.update().where(verdict.c.id == sa.bindparam("vid")), rows)
    with op.batch_alter_table('zombie_verdict', schema=None) as batch_op:
        batch_op.drop_index('ix_zombie_verdict_scan_system')
        batch_op.create_index('ix_zombie_verdict_department_id', ['department_id'], unique=False)
        batch_op.create_index('ix_zombie_verdict_scan_id', ['scan_id'], unique=False)
        batch_op.create_index('ix_zombie_verdict_system_id', ['system_id'], unique=False)
        batch_op.alter_column('held', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('criteria', existing_type=sa.JSON(), nullable=False)
        for column in reversed(_columns()):
            batch_op.drop_column(column.name)
