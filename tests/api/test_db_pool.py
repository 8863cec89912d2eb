"""Connection handling (issue 13, point 4): the pool and timeouts are YUNZHANG_DB_* settings, applied by the
engine factory on both databases; the statement and connect timeouts reach PostgreSQL itself."""
from __future__ import annotations

import pytest
from sqlalchemy import exc, text

from control.core.db import PoolOptions, make_engine
from control.settings import Settings


def test_settings_come_from_the_environment(monkeypatch):
    for name, value in {"POOL_SIZE": "3", "MAX_OVERFLOW": "0", "POOL_TIMEOUT_SECONDS": "2.5",
                        "POOL_RECYCLE_SECONDS": "-1", "POOL_PRE_PING": "false", "STATEMENT_TIMEOUT_SECONDS": "0.25",
                        "CONNECT_TIMEOUT_SECONDS": "3"}.items():
        monkeypatch.setenv(f"YUNZHANG_DB_{name}", value)
    assert Settings().pool_options() == PoolOptions(size=3, max_overflow=0, timeout=2.5, recycle=-1, pre_ping=False,
                                                    statement_timeout=0.25, connect_timeout=3)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pool.db'}"
    return request.getfixturevalue("pg_server").url()


def test_a_full_pool_makes_the_next_request_wait_then_fail(url):
    engine = make_engine(url, PoolOptions(size=1, max_overflow=0, timeout=0.1))
    try:
        assert engine.pool.size() == 1
        with engine.connect(), pytest.raises(exc.TimeoutError):
            engine.connect()
        with engine.connect() as conn:                 # returned, it serves the next one
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_gets_the_statement_and_connect_timeouts(pg_server):
    url = pg_server.url() + "?options=-c%20lock_timeout%3D1234"   # options of the URL are kept
    engine = make_engine(url, PoolOptions(statement_timeout=0.25, connect_timeout=3, recycle=600))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "250ms"
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "1234ms"
            assert conn.connection.dbapi_connection.info.get_parameters()["connect_timeout"] == "3"
            with pytest.raises(exc.OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(5)"))
            conn.rollback()
            assert conn.execute(text("SELECT 1")).scalar() == 1   # cancelled, the connection lives on
        assert engine.pool._recycle == 600
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_without_settings_no_statement_timeout(pg_server):
    """Migrations and tests build their engine without settings: an index build may take minutes."""
    engine = make_engine(pg_server.url())
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        engine.dispose()


def test_the_app_uses_the_settings(tmp_path):
    from control.app import create_app
    from tests.conftest import make_settings
    settings = make_settings(f"sqlite:///{tmp_path / 'app.db'}", tmp_path).model_copy(
        update={"db_pool_size": 2, "db_max_overflow": 1})
    app = create_app(settings)
    try:
        assert (app.state.engine.pool.size(), app.state.engine.pool._max_overflow) == (2, 1)
    finally:
        app.state.engine.dispose()


def busy_app(db_url, tmp_path, **update):
    from control.app import create_app
    from tests.conftest import make_settings
    return create_app(make_settings(db_url, tmp_path).model_copy(update=update))


def test_no_free_connection_is_a_503_to_retry(db_url, tmp_path):
    from fastapi.testclient import TestClient
    app = busy_app(db_url, tmp_path, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.2)
    try:
        with TestClient(app) as client:
            with app.state.engine.connect():                    # a long request holds the only connection
                r = client.get("/metrics")
            assert r.status_code == 503 and r.headers["Retry-After"] == "5"
            assert r.json()["code"] == "database_busy" and "YUNZHANG_DB_POOL_SIZE" in r.json()["detail"]
            assert client.get("/metrics").status_code == 200
    finally:
        app.state.engine.dispose()


def test_a_statement_past_the_timeout_is_a_503_to_retry(db_url, tmp_path):
    from fastapi.testclient import TestClient
    app = busy_app(db_url, tmp_path, db_statement_timeout_seconds=0.3)
    if app.state.engine.dialect.name != "postgresql":
        app.state.engine.dispose()
        pytest.skip("statement timeouts exist on PostgreSQL only")
    other = make_engine(db_url)
    try:
        with TestClient(app) as client:
            with other.connect() as conn:                       # a migration or a bulk job holds the table
                conn.execute(text("LOCK TABLE information_system IN ACCESS EXCLUSIVE MODE"))
                r = client.get("/metrics")
                conn.rollback()
            assert r.status_code == 503 and r.json()["code"] == "database_busy"
            assert "STATEMENT_TIMEOUT" in r.json()["detail"]
            assert client.get("/metrics").status_code == 200
    finally:
        other.dispose()
        app.state.engine.dispose()
