"""dialect.indexed_by: SQLite engines write the index hint after the table's name; PostgreSQL ignores it."""
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from control.core.db import make_engine
from control.core.dialect import indexed_by
from control.systems.models import InformationSystem

LIVE = "ix_system_live_department"


def statement():
    return indexed_by(select(InformationSystem.department_id).where(InformationSystem.deleted_at.is_(None)),
                      InformationSystem, LIVE)


def test_sqlite_reads_through_the_named_index(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'hint.db'}")
    sql = str(statement().compile(engine))
    assert f"FROM information_system INDEXED BY {LIVE}" in sql
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE information_system (id INTEGER PRIMARY KEY, department_id INTEGER, "
                          "deleted_at TIMESTAMP)"))
        conn.execute(text(f"CREATE INDEX {LIVE} ON information_system (department_id, id) "
                          "WHERE deleted_at IS NULL"))
        plan = " ".join(r[3] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert LIVE in plan
    engine.dispose()


def test_postgresql_ignores_the_hint():
    assert "INDEXED" not in str(statement().compile(dialect=postgresql.dialect()))
