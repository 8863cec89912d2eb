"""`yunzhang serve` as a real process on 127.0.0.1: a client rotating X-Forwarded-For from loopback is
still one address to the login throttle (uvicorn's own proxy-header handling, which trusted loopback,
is off; only YUNZHANG_TRUSTED_PROXIES counts), and real responses carry the security headers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import fresh_sqlite
from tests.integration.conftest import wait_for_health
from tests.pgserver import free_port

YUNZHANG = str(Path(sys.executable).parent / "yunzhang")


def test_rotating_forwarded_for_over_real_http(sqlite_template, tmp_path):
    port = free_port()
    env = {**os.environ, "YUNZHANG_DATABASE_URL": fresh_sqlite(sqlite_template, tmp_path),
           "YUNZHANG_SECRET_KEY": "serve-test", "YUNZHANG_SCHEDULER_ENABLED": "false",
           "YUNZHANG_VAR_DIR": str(tmp_path / "var")}
    server = subprocess.Popen([YUNZHANG, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base)
        codes = [httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": "guess"},
                            headers={"X-Forwarded-For": f"10.7.{i}.1"}).status_code for i in range(8)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        r = httpx.get(f"{base}/login")
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(timeout=10)
