"""Two `yunzhang serve` processes on one PostgreSQL run each scheduled job once per period (issue 13,
point 4). Real processes: a throw-away PostgreSQL, `yunzhang db upgrade`, two servers on two ports with the SLA
recompute every few seconds and the catch-up at start, then the database's job_run rows (and the scans the
job wrote) against what each process says it did on its /metrics."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from control.core.db import make_engine
from tests.conftest import create_database
from tests.integration.conftest import wait_for_health
from tests.pgserver import free_port

pytestmark = pytest.mark.postgres
YUNZHANG = str(Path(sys.executable).parent / "yunzhang")
EVERY = 4          # seconds between SLA recomputes; a tick may start up to half of it late
METRIC = re.compile(r'^yunzhang_job_runs_total\{job="(\w+)",outcome="(\w+)"\} (\S+)$', re.M)


def job_counts(base: str) -> dict[tuple[str, str], int]:
    return {(job, outcome): int(float(n)) for job, outcome, n in METRIC.findall(httpx.get(f"{base}/metrics").text)}


def job_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT job, tick, outcome, pid FROM job_run ORDER BY job, tick")).all()


def snapshot(engine, bases: list[str], seconds: float = 60) -> tuple[list[dict], list[tuple]]:
    """Each process's counts and the database's rows, read while no tick happened in between and no run was in
    flight (counts read before and after the rows agree, no row says running)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = [job_counts(b) for b in bases]
        rows = job_rows(engine)
        if before == [job_counts(b) for b in bases] and all(r.outcome != "running" for r in rows):
            return before, rows
        time.sleep(0.3)
    pytest.fail("the processes never held still between two ticks")


def test_two_serve_processes_run_each_period_once(pg_server, tmp_path):
    url = create_database(pg_server, template=None)
    env = {**os.environ, "YUNZHANG_DATABASE_URL": url, "YUNZHANG_SECRET_KEY": "replicas-test",
           "YUNZHANG_AUDIT_KEY": "env:YZ_REPLICAS_AUDIT_KEY", "YZ_REPLICAS_AUDIT_KEY": "replicas-audit-key",
           "YUNZHANG_VAR_DIR": str(tmp_path / "var"), "YUNZHANG_SCHEDULER_ENABLED": "true",
           "YUNZHANG_SLA_RECOMPUTE_SECONDS": str(EVERY), "YUNZHANG_SCHEDULER_CATCH_UP": "true"}
    subprocess.run([YUNZHANG, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True)
    bases, servers = [], []
    try:
        for k in range(2):
            port = free_port()
            log = open(tmp_path / f"serve-{k}.log", "wb")   # noqa: SIM115 (closed with the process)
            servers.append((subprocess.Popen([YUNZHANG, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                                             stdout=log, stderr=subprocess.STDOUT), log))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            wait_for_health(base, 60)
        engine = make_engine(url)
        try:
            deadline = time.monotonic() + 120
            while sum(r.job == "cloud_sla" and r.outcome == "succeeded" for r in job_rows(engine)) < 5:
                assert time.monotonic() < deadline, "fewer than 5 SLA periods ran in 2 minutes"
                time.sleep(0.5)
            counts, rows = snapshot(engine, bases)
            with engine.connect() as conn:
                zombie_scans = conn.execute(text("SELECT count(*) FROM zombie_scan")).scalar_one()
        finally:
            engine.dispose()
    finally:
        for server, log in servers:
            server.terminate()
            server.wait(timeout=20)
            log.close()
    logs = "\n".join((tmp_path / f"serve-{k}.log").read_text(errors="replace") for k in range(2))

    pids = {server.pid for server, _ in servers}
    by_job = {job: [r for r in rows if r.job == job] for job in ("cloud_sla", "cloud_reclaim", "zombie_scan")}
    assert {r.outcome for r in rows} == {"succeeded"}, logs
    assert {r.pid for r in rows} <= pids
    # Every SLA period from the first one on ran, each once (the unique row), none left out.
    ticks = [r.tick for r in by_job["cloud_sla"]]
    assert [b - a for a, b in zip(ticks, ticks[1:], strict=False)] == [timedelta(seconds=EVERY)] * (len(ticks) - 1)
    # The daily jobs were caught up at start by both processes: one ran each, once; one zombie scan exists.
    assert len(by_job["cloud_reclaim"]) == len(by_job["zombie_scan"]) == 1 and zombie_scans == 1
    # Both processes were up and tried every job; what they say they ran is what the database holds.
    for job, job_rows_ in by_job.items():
        ran = [c.get((job, "succeeded"), 0) for c in counts]
        tried = [sum(n for (j, _), n in c.items() if j == job) for c in counts]
        assert sum(ran) == len(job_rows_), (job, counts)
        assert min(tried) >= (3 if job == "cloud_sla" else 1), (job, counts)
        assert sum(c.get((job, "elsewhere"), 0) for c in counts) >= (2 if job == "cloud_sla" else 1), (job, counts)
        assert all(c.get((job, o), 0) == 0 for c in counts for o in ("failed", "skipped")), (job, counts)
