"""Settings.freeze_gc_at_start: a started service keeps what start-up left alive out of the garbage
collector's full collections (gc.freeze), which walked the imported libraries' objects inside a request, and
gives them back when it stops; off, nothing is frozen (the tests' apps)."""
from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from control.app import create_app
from tests.conftest import fresh_sqlite, make_settings


def test_start_freezes_and_stop_thaws(sqlite_template, tmp_path):
    assert gc.get_freeze_count() == 0
    for freeze in (True, False):
        app = create_app(make_settings(fresh_sqlite(sqlite_template, tmp_path), tmp_path).model_copy(
            update={"freeze_gc_at_start": freeze}))
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert (gc.get_freeze_count() > 0) is freeze
        assert gc.get_freeze_count() == 0
        app.state.engine.dispose()
