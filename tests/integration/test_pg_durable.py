"""The benchmarks' PostgreSQL runs durable, with the deployment settings; the tests' server stays fast."""
import pytest
from sqlalchemy import text

from bench.pgsettings import DEPLOYMENT_SETTINGS
from control.core.db import make_engine
from tests.pgserver import PostgresServer

pytestmark = pytest.mark.postgres


def test_durable_server_starts_with_deployment_settings():
    server = PostgresServer(DEPLOYMENT_SETTINGS).start()
    try:
        engine = make_engine(server.url())
        with engine.connect() as conn:
            shown = {name: conn.execute(text(f"SHOW {name}")).scalar_one() for name in DEPLOYMENT_SETTINGS}
        engine.dispose()
    finally:
        server.stop()
    assert shown["fsync"] == shown["synchronous_commit"] == shown["full_page_writes"] == "on"
    assert shown == DEPLOYMENT_SETTINGS


def test_test_server_is_not_durable(pg_server):
    engine = make_engine(pg_server.url())
    with engine.connect() as conn:
        assert conn.execute(text("SHOW fsync")).scalar_one() == "off"
    engine.dispose()
