"""migration_plan.late_from: the earliest planned date of what a plan still has open; the board's indexes

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 16:40:00

The progress board judged every plan on / behind plan at read time with correlated sub-queries; half of
its 250 ms for the whole province. A plan is behind on any day after the earliest planned date of what it
still has open (its completion date while open, its open stage's planned date, its unsettled systems'
planned dates), so that date is stored and kept by control/migration/schedule.py; this fills it for the
plans there are. Covering indexes let the board count networks by state, systems by state (under each
system's own department: plan rows by system, live systems by department) and plans by schedule per
department from indexes alone; the plan rows' index by system replaces the single-column one.
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OPEN_STATUSES = ("draft", "review", "approval", "connect", "migrate", "withdraw", "migration", "returned")
SCHEDULED_STATES = ("pending", "migrating", "exception")
INDEXES = (("ix_private_network_department_state", "private_network", ("department_id", "state")),
           ("ix_migration_plan_system_board", "migration_plan_system", ("system_id", "plan_id", "state")),
           ("ix_migration_plan_board", "migration_plan",
            ("department_id", "status", "late_from", "kind", "completion_date")))


def _date(value) -> date:
    """SQLite hands DATE back as ISO text (which sorts like the date)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("migration_plan") as batch:
        batch.add_column(sa.Column("late_from", sa.Date(), nullable=True))
    conn = op.get_bind()
    dates: dict[int, list] = {}
    for pid, status, completion in conn.execute(sa.text("SELECT id, status, completion_date FROM migration_plan")):
        dates[pid] = [completion] if status in OPEN_STATUSES else []
    for pid, planned in conn.execute(sa.text(
            "SELECT subject_id, planned_date FROM workflow_stage WHERE subject = 'migration_plan' AND active "
            "AND planned_date IS NOT NULL")):
        dates.setdefault(pid, []).append(planned)
    states = ", ".join(f"'{s}'" for s in SCHEDULED_STATES)
    for pid, planned in conn.execute(sa.text(
            f"SELECT plan_id, planned_date FROM migration_plan_system WHERE state IN ({states}) "
            "AND planned_date IS NOT NULL")):
        dates.setdefault(pid, []).append(planned)
    table = sa.table("migration_plan", sa.column("id", sa.Integer), sa.column("late_from", sa.Date))
    rows = [{"pid": pid, "late": _date(min(found))} for pid, found in dates.items() if found]
    if rows:
        conn.execute(table.update().where(table.c.id == sa.bindparam("pid")).values(late_from=sa.bindparam("late")),
                     rows)
    for name, table_name, columns in INDEXES:
        op.create_index(name, table_name, list(columns))
    op.create_index("ix_system_live_department", "information_system", ["department_id", "id"],
                    sqlite_where=sa.text("deleted_at IS NULL"), postgresql_where=sa.text("deleted_at IS NULL"))
    op.drop_index("ix_migration_plan_system_system_id", table_name="migration_plan_system")


def downgrade() -> None:
    op.create_index("ix_migration_plan_system_system_id", "migration_plan_system", ["system_id"])
    op.drop_index("ix_system_live_department", table_name="information_system")
    for name, table_name, _ in INDEXES:
        op.drop_index(name, table_name=table_name)
    with op.batch_alter_table("migration_plan") as batch:
        batch.drop_column("late_from")
