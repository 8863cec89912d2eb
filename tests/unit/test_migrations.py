"""The Alembic migrations build exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import control.models  # noqa: F401
from control.core.db import make_engine
from control.core.migrate import upgrade


def test_migrations_match_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    engine.dispose()
    assert diffs == []


def test_upgrade_keeps_existing_rows(tmp_path):
    """Later migrations rebuild SQLite tables; rows with foreign keys must survive."""
    from sqlalchemy import text
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO department (id, code, name, level, path, active, created_at) "
                          "VALUES (1, '00927660-1', '统计局', 'county', '/1/', 1, '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO information_system (id, code, department_id, kind, status, name, networks, "
                          "is_classified, use_scopes, user_count_varies, created_at, updated_at) VALUES (1, 'S-1', 1, "
                          "'self_built', 'running', '统计系统', '[]', 0, '[]', 0, '2026-01-01', '2026-01-01')"))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM information_system")).scalar() == "统计系统"
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
