"""zombie_verdict without foreign keys; PostgreSQL: usage tiles compressed with lz4, networks as a bit mask

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 13:30:00

A verdict row is a snapshot a scan writes of the systems it has just read in the same transaction, and
nothing ever deletes a system, a department or a scan. The three foreign keys checked 60,000 references
for the 20,000 rows of every province-wide scan: on PostgreSQL they tripled the time of its COPY
(0.17 s → 0.5 s measured).

PostgreSQL compressed each 256 KB tile with pglz, and a scan's read spent most of its time undoing it;
lz4 makes the tiles as small and reads them a third faster (measured on 20,000 systems). Tiles written
from now on use it; a server built without lz4 keeps pglz.

PostgreSQL counted a list filtered by a network the inventory mostly has (2/3 of 200,000 systems on the
internet) by testing the JSONB of every row: 85 ms. network_mask, generated from networks (bit i for
NETWORKS[i]), leads a partial index that counts such a list from the index alone (dialect.list_contains); the GIN index
of networks (0012) no longer answers anything and goes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

REFERENCES = (("scan_id", "zombie_scan"), ("system_id", "information_system"), ("department_id", "department"))
# SQLite's foreign keys have no names: the batch copy names them by this convention to drop them.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s"}


NETWORKS = ("intranet", "extranet", "private", "internet")     # control.systems.enums.Network, in order
MASK = " + ".join(f"""(CASE WHEN networks @> '["{n}"]' THEN {1 << i} ELSE 0 END)""" for i, n in enumerate(NETWORKS))


def _name(column: str) -> str:
    postgresql = op.get_bind().dialect.name == "postgresql"
    return f"zombie_verdict_{column}_fkey" if postgresql else f"fk_zombie_verdict_{column}"


def upgrade() -> None:
    with op.batch_alter_table("zombie_verdict", naming_convention=NAMING) as batch:
        for column, _ in REFERENCES:
            batch.drop_constraint(_name(column), type_="foreignkey")
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.execute(sa.text("ALTER TABLE usage_tile ALTER COLUMN data SET COMPRESSION lz4"))
        except sa.exc.DBAPIError:
            pass      # built without lz4: pglz stays, slower to read, same results
        op.execute(f"ALTER TABLE information_system ADD COLUMN network_mask smallint "
                   f"GENERATED ALWAYS AS ({MASK}) STORED")
        op.execute("DROP INDEX ix_information_system_networks")
        op.execute("CREATE INDEX ix_system_live_networks ON information_system (network_mask, status, department_id) "
                   "WHERE deleted_at IS NULL")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_system_live_networks")
        op.execute("ALTER TABLE information_system DROP COLUMN network_mask")
        op.execute("CREATE INDEX ix_information_system_networks ON information_system USING gin "
                   "(networks jsonb_path_ops)")
        conn.execute(sa.text("ALTER TABLE usage_tile ALTER COLUMN data SET COMPRESSION pglz"))
    with op.batch_alter_table("zombie_verdict", naming_convention=NAMING) as batch:
        for column, table in REFERENCES:
            batch.create_foreign_key(_name(column), table, [column], ["id"])
