"""The real server (`yunzhang serve`, a process of its own on 127.0.0.1, SQLite, default limits) takes the
hostile census uploads one after another: each is refused with 413 or 422, the process's peak resident
memory (VmHWM) stays under a bound, and /healthz still answers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import census_bombs as bombs
from tests.integration.conftest import wait_for_health
from tests.pgserver import free_port

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")
PASSWORD = "Census-bombs-1"
PEAK_BOUND_MB = 400
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "YUNZHANG_DATABASE_URL": f"sqlite:///{tmp_path / 'yz.db'}",
           "YUNZHANG_SECRET_KEY": "census-memory-test", "YUNZHANG_VAR_DIR": str(tmp_path / "var"),
           "YUNZHANG_SCHEDULER_ENABLED": "false"}
    for args in (["db", "upgrade"], ["user", "add", "infocenter", "--role", "infocenter", "--password-stdin"]):
        r = subprocess.run([YUNZHANG, *args], input=PASSWORD + "\n", capture_output=True, text=True, env=env,
                           timeout=120)
        assert r.returncode == 0, r.stderr
    port = free_port()
    proc = subprocess.Popen([YUNZHANG, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base)
    except BaseException:
        proc.kill()
        raise
    yield base, proc.pid
    proc.terminate()
    proc.wait(timeout=30)


def test_hostile_uploads_are_refused_with_bounded_memory(server):
    base, pid = server
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "infocenter", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    uploads = {
        "1 GB of rows": (bombs.rows_bomb(), 413),
        "one 1 GB cell": (bombs.cell_bomb(), 413),
        "a thousandfold ratio": (bombs.ratio_bomb(), 413),
        "sizes that lie": (bombs.lying_bomb(), None),
        "billion laughs": (bombs.laughs_in_shared_strings(), 422),
        "60,000 rows": (bombs.many_rows(60_000), 422),
        "past the upload size": (b"PK" + os.urandom(33 * 1024 * 1024), 413),
    }
    for label, (data, status) in uploads.items():
        r = httpx.post(f"{base}/api/v1/systems/import", headers=headers, files={"file": ("c.xlsx", data, XLSX)},
                       timeout=120)
        assert r.status_code == status if status else r.status_code in (413, 422), (label, r.status_code, r.text)
        assert r.json()["detail"], label
        assert peak_mb(pid) < PEAK_BOUND_MB, (label, peak_mb(pid))
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200, label
