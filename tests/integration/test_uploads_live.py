"""Bodies and imports against a real server: `uvicorn` in its own process on 127.0.0.1, fed by httpx.
A chunked body (no Content-Length) is stopped while it streams; a large metrics import runs on a worker
thread while /healthz keeps answering."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from control.app import create_app
from control.core.clock import today
from control.systems.models import InformationSystem
from tests.conftest import build_world, fresh_sqlite, make_settings
from tests.integration.conftest import wait_for_health
from tests.pgserver import free_port

SYSTEMS = 200
METRICS = ("requests", "logins", "active_users", "network_bytes", "cpu_p95", "memory_avg", "deployments")


@pytest.fixture
def server(sqlite_template, tmp_path):
    """(base URL, world) of `uvicorn control.app:create_app` in a subprocess on a fresh SQLite file."""
    url = fresh_sqlite(sqlite_template, tmp_path)
    settings = make_settings(url, tmp_path)
    app = create_app(settings)
    world = build_world(TestClient(app), app.state.engine)
    with Session(app.state.engine) as session:
        session.add_all(InformationSystem(id=10_000 + i, code=f"S-{i}", department_id=world.depts["edu"].id,
                                          name=f"系统{i}", status="running") for i in range(SYSTEMS))
        session.commit()
    port = free_port()
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": settings.secret_key,
           "YUNZHANG_VAR_DIR": str(settings.var_dir), "YUNZHANG_SCHEDULER_ENABLED": "false",
           "YUNZHANG_MAX_BODY_BYTES": "4096", "YUNZHANG_MAX_UPLOAD_BYTES": str(32 * 1024 * 1024)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "control.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base)
        yield base, world
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        world.session.close()
        app.state.engine.dispose()


def test_chunked_body_is_stopped_while_it_streams(server):
    base, world = server
    sent = [0]

    def body():
        for _ in range(16):                          # 64 KB in 4 KB chunks, no Content-Length
            sent[0] += 4096
            yield b" " * 4096

    r = httpx.post(f"{base}/api/v1/departments", content=body(), timeout=30,
                   headers={**world.headers("admin"), "content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "payload_too_large" and "4 KB" in r.json()["detail"]
    assert "content-length" not in r.request.headers
    # A Content-Length over the limit is refused before the body is read.
    r = httpx.post(f"{base}/api/v1/departments", content=b" " * 5000, timeout=30,
                   headers={**world.headers("admin"), "content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200


def multipart(lines, boundary: str = "yzboundary"):
    """A multipart body with one CSV file part, yielded as it is made (sent chunked)."""
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\n"
           "Content-Type: text/csv\r\n\r\n").encode()
    yield b"system_code,metric,day,value\n"
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == 5000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()
    yield f"\r\n--{boundary}--\r\n".encode()


def test_healthz_answers_while_a_large_metrics_import_runs(server):
    """The import parses hundreds of thousands of rows; /healthz must answer from another client while it
    runs (it stalled while the handler parsed on the event loop)."""
    base, world = server
    days = [(today() - timedelta(days=d)).isoformat() for d in range(1, 366)]
    lines = (f"S-{i},{m},{d},{0.5 if m in ('cpu_p95', 'memory_avg') else 7}\n"
             for i in range(SYSTEMS) for m in METRICS for d in days)
    sent, done, result = threading.Event(), threading.Event(), {}

    def body():
        yield from multipart(lines)
        sent.set()

    def run_import():
        try:
            result["response"] = httpx.post(f"{base}/api/v1/metrics/import", content=body(), timeout=600, headers={
                **world.headers("ops"), "content-type": "multipart/form-data; boundary=yzboundary"})
        finally:
            done.set()

    worker = threading.Thread(target=run_import)
    worker.start()
    answered_during_import = 0
    with httpx.Client(base_url=base, timeout=60) as probe:
        sent.wait(timeout=300)
        while not done.is_set():
            r = probe.get("/healthz")
            if r.status_code == 200 and not done.is_set():
                answered_during_import += 1
    worker.join()
    r = result["response"]
    assert r.status_code == 200, r.text
    assert r.json()["samples"] == SYSTEMS * len(METRICS) * len(days)
    # Parsing on the event loop, the probe got two or three answers: while the server still read the
    # body, and one queued behind the import as it finished. On a worker thread it gets hundreds.
    assert answered_during_import >= 20
