"""migration_plan_system.department_id: the department its system is under now, kept by triggers

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 02:00:00

The progress board counts a plan's systems under each system's own department (as the systems list does),
which joined every plan system to its system: 20,000 of each took 6.8–8.8 ms of a 35 ms board on
PostgreSQL, the hash of the systems and the probes most of it. Each plan system now holds its system's
department, NULL once the system is deleted, so the count reads one table (3.0 ms). Triggers keep it, so
that no write path can miss it: a plan system takes its system's department when inserted or pointed at
another system, and a system moved to another department or deleted moves its plan systems with it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# A live system's department, or NULL (deleted, or no such system).
DEPARTMENT_OF = ("(SELECT department_id FROM information_system WHERE id = {row}.system_id "
                 "AND deleted_at IS NULL)")
FOLLOW = ("UPDATE migration_plan_system SET department_id = CASE WHEN NEW.deleted_at IS NULL "
          "THEN NEW.department_id END WHERE system_id = NEW.id")

POSTGRESQL = [
    f"""CREATE FUNCTION migration_plan_system_department() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.department_id := {DEPARTMENT_OF.format(row='NEW')};
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER migration_plan_system_department BEFORE INSERT OR UPDATE OF system_id
    ON migration_plan_system FOR EACH ROW EXECUTE FUNCTION migration_plan_system_department()""",
    f"""CREATE FUNCTION information_system_plan_department() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {FOLLOW};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER information_system_plan_department AFTER UPDATE OF department_id, deleted_at
    ON information_system FOR EACH ROW
    WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION information_system_plan_department()""",
]
TAKE = (f"UPDATE migration_plan_system SET department_id = {DEPARTMENT_OF.format(row='NEW')} "
        "WHERE id = NEW.id")
SQLITE = [
    f"CREATE TRIGGER migration_plan_system_department_insert AFTER INSERT ON migration_plan_system BEGIN {TAKE}; END",
    f"CREATE TRIGGER migration_plan_system_department_update AFTER UPDATE OF system_id ON migration_plan_system "
    f"BEGIN {TAKE}; END",
    f"""CREATE TRIGGER information_system_plan_department AFTER UPDATE OF department_id, deleted_at
    ON information_system
    WHEN OLD.department_id IS NOT NEW.department_id OR OLD.deleted_at IS NOT NEW.deleted_at
    BEGIN {FOLLOW}; END""",
]


def upgrade() -> None:
    op.add_column("migration_plan_system", sa.Column("department_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE migration_plan_system SET department_id = "
               f"{DEPARTMENT_OF.format(row='migration_plan_system')}")
    op.create_index("ix_migration_plan_system_department", "migration_plan_system",
                    ["department_id", "state", "plan_id"])
    for sql in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER information_system_plan_department ON information_system")
        op.execute("DROP TRIGGER migration_plan_system_department ON migration_plan_system")
        op.execute("DROP FUNCTION information_system_plan_department()")
        op.execute("DROP FUNCTION migration_plan_system_department()")
    else:
        for trigger in ("information_system_plan_department", "migration_plan_system_department_insert",
                        "migration_plan_system_department_update"):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_index("ix_migration_plan_system_department", table_name="migration_plan_system")
    with op.batch_alter_table("migration_plan_system") as batch:
        batch.drop_column("department_id")
