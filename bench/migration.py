"""Benchmark: migration plans over 20,000 systems in cloud plans (or SIZE), with SIZE / 10 departments and
SIZE / 4 private networks. Times (a) the progress board for the whole province (GET
/api/v1/migration-plans/board: totals, region and level rows, the first page of department rows and the
funding-stop list; p50/p95 over 100 requests) and (b) the behind-plan recompute of every open stage.
Targets: (a) p95 < 50 ms, (b) < 1 s. Prints the figures; asserts nothing.
`bench/migration.py [SIZE] [--db sqlite|postgresql]`."""
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
from control.core import clock
from control.core.accounts import Department, Level, User
from control.core.auth import hash_password
from control.core.migrate import upgrade
from control.core.roles import Role
from control.core.workflow import WorkflowAuthor, WorkflowStage
from control.migration import schedule
from control.migration.enums import PlanKind, PlanStatus, SystemState
from control.migration.models import MigrationPlan, PlanNetwork, PlanSystem
from control.networks.enums import NetworkState
from control.networks.models import PrivateNetwork
from control.org.codes import uscc_check_char
from control.settings import Settings
from control.systems.enums import SystemKind, SystemStatus
from control.systems.models import InformationSystem

ARGS = arguments(__doc__, 20_000)
SYSTEMS = ARGS.size
DEPARTMENTS = max(SYSTEMS // 10, 30)
NETWORKS = SYSTEMS // 4
PER_CLOUD_PLAN, PER_NETWORK_PLAN = 10, 2
NOW = datetime(2026, 6, 15, 1, tzinfo=UTC)
TODAY = date(2026, 6, 15)
CLOUD_STATUSES = [PlanStatus.draft, PlanStatus.review, PlanStatus.approval, PlanStatus.migration,
                  PlanStatus.migration, PlanStatus.migration, PlanStatus.completed]
NETWORK_STATUSES = [PlanStatus.draft, PlanStatus.review, PlanStatus.approval, PlanStatus.connect,
                    PlanStatus.migrate, PlanStatus.withdraw, PlanStatus.completed]
# The open stage a plan at this status has: (stage key, name, deadline kind).
OPEN_STAGE = {PlanStatus.review: ("review:department_head", "本单位负责人审核", "due"),
              PlanStatus.approval: ("approval", "大数据发展局审批", "due"),
              PlanStatus.connect: ("connect", "联通", "planned"), PlanStatus.migrate: ("migrate", "迁移", "planned"),
              PlanStatus.withdraw: ("withdraw", "撤并改", "planned"),
              PlanStatus.migration: ("migration", "系统迁移上云", "planned")}


def departments() -> list[dict]:
    """A province, 1 in 10 departments a city under it, 1 in 3 a county under a city, the rest townships
    under a county; each county's region code goes to its townships."""
    rows: list[dict] = []
    cities, counties = [], []
    for i in range(1, DEPARTMENTS + 1):
        if i == 1:
            parent, level, region = None, Level.province, "530000"
        elif i % 10 == 2 or not cities:
            parent, level, region = 1, Level.city, f"53{len(cities) + 1:02d}00"
        elif i % 3 == 0 or not counties:
            city = cities[i % len(cities)]
            parent, level, region = city["id"], Level.county, city["region"][:4] + f"{i % 97 + 1:02d}"
        else:
            county = counties[i % len(counties)]
            parent, level, region = county["id"], Level.township, county["region"]
        body = f"1153000000{i:07d}"
        path = (rows[parent - 1]["path"] if parent else "/") + f"{i}/"
        row = {"id": i, "code": body + uscc_check_char(body), "name": f"第{i}单位", "level": level,
               "parent_id": parent, "path": path, "region": region, "active": True, "created_at": NOW}
        rows.append(row)
        (cities if level == Level.city else counties if level == Level.county else []).append(row)
    return rows


def populate(url: str, tmp: Path) -> dict[str, int]:
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    engine = app.state.engine
    rng = random.Random(14)
    cal = app.state.calendars.get(Session(engine))
    depts = departments()
    systems = [{"id": i, "code": f"SYS-{i:06d}", "department_id": 1 + i % DEPARTMENTS, "name": f"业务系统{i:06d}",
                "kind": SystemKind.self_built, "status": SystemStatus.running, "networks": ["extranet"],
                "is_classified": False, "user_count_varies": False, "use_scopes": ["department"],
                "created_at": NOW, "updated_at": NOW}
               for i in range(1, SYSTEMS + 1)]
    networks = [{"id": i, "department_id": 1 + (i * 7) % DEPARTMENTS, "name": f"业务专网{i:05d}",
                 "fiscal_funded": i % 3 != 0, "sites": [], "state": list(NetworkState)[i % 6],
                 "created_at": NOW, "updated_at": NOW} for i in range(1, NETWORKS + 1)]
    plans, plan_systems, plan_networks, stages = [], [], [], []

    def plan(kind: PlanKind, department_id: int, status: PlanStatus) -> int:
        pid = len(plans) + 1
        completion = TODAY + timedelta(days=rng.randrange(-120, 360))
        plans.append({"id": pid, "number": f"YZMP-2026-{pid:06d}", "kind": kind, "department_id": department_id,
                      "name": f"迁移计划{pid}", "content": "", "completion_date": completion,
                      "target": "extranet_public" if kind == PlanKind.private_network else None,
                      "leader_name": "王强", "leader_title": "副局长", "leader_phone": "0870-1", "office": "办公室",
                      "liaison_name": "李丽", "liaison_phone": "138", "status": status, "review_plan": [],
                      "review_index": 0, "created_by": "bench", "created_at": NOW, "updated_at": NOW})
        if status in OPEN_STAGE:
            key, name, deadline = OPEN_STAGE[status]
            start = TODAY - timedelta(days=rng.randrange(90))
            planned = completion if deadline == "planned" else None
            stages.append({"subject": "migration_plan", "subject_id": pid, "stage": key, "name": name,
                           "started_at": NOW, "start_date": start, "planned_date": planned,
                           "working_days": 10 if deadline == "due" else None,
                           "due_date": cal.add_working_days(start, 10) if deadline == "due" else None,
                           "active": True, "sla_state": "on_time", "sla_working_days": 0, "behind_days": 0})
        return pid

    for n, first in enumerate(range(1, SYSTEMS + 1, PER_CLOUD_PLAN)):
        status = CLOUD_STATUSES[n % len(CLOUD_STATUSES)]
        pid = plan(PlanKind.cloud, 1 + first % DEPARTMENTS, status)
        for sid in range(first, min(first + PER_CLOUD_PLAN, SYSTEMS + 1)):
            target = TODAY + timedelta(days=rng.randrange(-90, 300))
            state = (SystemState.migrated if status == PlanStatus.completed else
                     list(SystemState)[sid % 4] if status == PlanStatus.migration else SystemState.pending)
            plan_systems.append({"plan_id": pid, "system_id": sid, "target_date": target, "planned_date": target,
                                 "state": state})
    for n, first in enumerate(range(1, NETWORKS + 1, PER_NETWORK_PLAN)):
        pid = plan(PlanKind.private_network, networks[first - 1]["department_id"],
                   NETWORK_STATUSES[n % len(NETWORK_STATUSES)])
        plan_networks += [{"plan_id": pid, "network_id": nid}
                          for nid in range(first, min(first + PER_NETWORK_PLAN, NETWORKS + 1))]
    with engine.begin() as conn:
        conn.execute(insert(Department), depts)
        conn.execute(insert(User), [{"username": "auditor", "display_name": "审计", "role": Role.auditor,
                                     "password_hash": hash_password("bench-password"), "active": True,
                                     "created_at": NOW}])
        conn.execute(insert(InformationSystem), systems)
        conn.execute(insert(PrivateNetwork), networks)
        conn.execute(insert(MigrationPlan), plans)
        conn.execute(insert(PlanSystem), plan_systems)
        conn.execute(insert(PlanNetwork), plan_networks)
        conn.execute(insert(WorkflowStage), stages)
        conn.execute(insert(WorkflowAuthor), [{"subject": "migration_plan", "subject_id": p["id"],
                                               "username": "bench"} for p in plans])
    with Session(engine) as session:       # the bulk inserts went past the flush hook that keeps late_from
        schedule.refresh(session, [p["id"] for p in plans])
        session.commit()
    engine.dispose()
    settle(url)               # statistics and visibility, as a deployment's autovacuum keeps them
    return {"plans": len(plans), "stages": len(stages)}


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yz-bench-migration-"))
    try:
        with database(ARGS.db, tmp, "migration") as url:
            run(url, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: Path) -> None:
    upgrade(url)
    t = time.perf_counter()
    made = populate(url, tmp)
    print(f"populate: {DEPARTMENTS} departments, {NETWORKS} private networks, {SYSTEMS} systems in "
          f"{made['plans']} plans ({made['stages']} open stages) in {time.perf_counter() - t:.1f} s")

    clock.set_now(NOW)
    app = create_app(Settings(database_url=url, secret_key="bench", scheduler_enabled=False, var_dir=tmp))
    time_recompute(app, "behind-plan recompute", ("first run (days behind change)", "steady state"), SYSTEMS)

    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", data={"username": "auditor", "password": "bench-password"}
                            ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(10):
            client.get("/api/v1/migration-plans/board", headers=headers)
        times = []
        for _ in range(100):
            t = time.perf_counter()
            r = client.get("/api/v1/migration-plans/board", headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        total = r.json()["total"]
        print(f"board GET /api/v1/migration-plans/board, whole province ({len(r.json()['departments'])} of "
              f"{r.json()['departments_total']} department rows, {len(r.json()['regions'])} regions, "
              f"{total['plans']} plans, {total['behind_plan']} behind, {len(r.json()['funding_stop'])} "
              f"funding stops): p50 {statistics.median(times):.1f} ms, p95 {times[94]:.1f} ms  target p95 < 50 ms")
        figure("board, whole province, p95", times[94], "ms", 50, size=SYSTEMS)
    clock.set_now(None)


if __name__ == "__main__":
    main()
