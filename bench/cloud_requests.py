"""Benchmark: 50,000 open cloud requests (or SIZE). Times (a) a full recomputation of their SLA states and
(b) the Bureau's queue endpoint (p50/p95 over 200 requests). Targets: (a) < 1 s, (b) p95 < 25 ms.
Prints the figures; asserts nothing. `bench/cloud_requests.py [SIZE] [--db sqlite|postgresql]`."""
from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session

from bench.harness import arguments, database, figure, settle, time_recompute
from control.app import create_app
from control.cloud.enums import RequestStatus, SlaState, Zone
from control.cloud.models import CloudRequest, ResourceLine
from control.core import clock
from control.core.accounts import Department, Level, User
from control.core.auth import hash_password
from control.core.migrate import upgrade
from control.core.roles import Role
from control.core.workflow import WorkflowAuthor, WorkflowStage
from control.org.codes import uscc_check_char
from control.settings import Settings

ARGS = arguments(__doc__, 50_000)
REQUESTS = ARGS.size
DEPARTMENTS = 500
STAGES = [("review:department_head", "本单位负责人审核", RequestStatus.review, 3),
          ("acceptance", "受理审批", RequestStatus.acceptance, 5),
          ("assessment", "评估", RequestStatus.assessment, 5),
          ("delivery", "交付", RequestStatus.delivery, 15)]


def populate(url: str, tmp: Path) -> None:
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    engine = app.state.engine
    rng = random.Random(7)
    cal = app.state.calendars.get(Session(engine))
    now = datetime(2026, 6, 15, 1, tzinfo=UTC)
    with engine.begin() as conn:
        depts = []
        for i in range(1, DEPARTMENTS + 1):
            body = f"1153092100{i:07d}"
            depts.append({"id": i, "code": body + uscc_check_char(body), "name": f"第{i}局", "level": Level.county,
                          "parent_id": None, "path": f"/{i}/", "active": True, "created_at": now})
        conn.execute(insert(Department), depts)
        conn.execute(insert(User), [{"username": "bureau", "display_name": "bureau", "role": Role.bureau,
                                     "password_hash": hash_password("bench-password"), "active": True,
                                     "created_at": now}])
        requests, lines, stages = [], [], []
        for i in range(1, REQUESTS + 1):
            key, name, status, days = STAGES[i % 4]
            start = date(2026, 5, 1) + timedelta(days=rng.randrange(60))
            requests.append({"id": i, "number": f"YZCR-2026-{i:06d}", "department_id": 1 + i % DEPARTMENTS,
                             "new_system_name": f"系统{i}", "contact_name": "张三", "contact_phone": "0870-1",
                             "purpose": "扩容", "zone": Zone.public, "status": status, "review_plan": [],
                             "review_index": 0, "created_by": "bench", "created_at": now, "updated_at": now})
            lines.append({"request_id": i, "kind": "vm", "count": 1, "vcpu": 4, "memory_gib": 8, "system_disk_gib": 50})
            stages.append({"subject": "cloud_request", "subject_id": i, "stage": key, "name": name, "started_at": now,
                           "start_date": start, "working_days": days, "due_date": cal.add_working_days(start, days),
                           "active": True, "sla_state": SlaState.on_time, "sla_working_days": 0})
        conn.execute(insert(CloudRequest), requests)
        conn.execute(insert(ResourceLine), lines)
        conn.execute(insert(WorkflowStage), stages)
        conn.execute(insert(WorkflowAuthor), [{"subject": "cloud_request", "subject_id": i, "username": "bench"}
                                              for i in range(1, REQUESTS + 1)])
    engine.dispose()
    # Statistics and visibility, as a deployment's autovacuum keeps them: without statistics PostgreSQL
    # takes the 12,500 open acceptance stages for a dozen and sorts them all for each page.
    settle(url)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yz-bench-cloud-"))
    try:
        with database(ARGS.db, tmp, "cloud") as url:
            run(url, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path) -> None:
    upgrade(url)
    t = time.perf_counter()
    populate(url, tmp)
    print(f"populate: {REQUESTS} open requests with their active stages in {time.perf_counter() - t:.1f} s")

    clock.set_now(datetime(2026, 6, 15, 1, tzinfo=UTC))
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    time_recompute(app, "SLA recompute", ("first run (states change)", "steady state (nothing changes)"), REQUESTS)

    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", data={"username": "bureau", "password": "bench-password"}
                            ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(10):
            client.get("/api/v1/cloud-requests", params={"queue": "acceptance"}, headers=headers)
        times = []
        for i in range(200):
            params = {"queue": "acceptance", "offset": (i % 10) * 50}
            if i % 4 == 0:
                params["overdue"] = "true"
            t = time.perf_counter()
            r = client.get("/api/v1/cloud-requests", params=params, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        print(f"bureau queue GET /api/v1/cloud-requests?queue=acceptance ({r.json()['total']} matching): "
              f"p50 {statistics.median(times):.1f} ms, p95 {times[189]:.1f} ms  target p95 < 25 ms")
        figure("bureau queue, p95", times[189], "ms", 25, size=REQUESTS)
    clock.set_now(None)


if __name__ == "__main__":
    main()
