"""The bulk paths that differ by database (control/core/dialect.py: binary reads of the usage tiles, COPY
for verdicts and audit entries, SLA updates by id arrays) give the same results on PostgreSQL as on
SQLite: the same census import, zombie scan and SLA recompute run on one database of each kind."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlmodel import Session

from control.app import create_app
from control.cloud.enums import RequestStatus, SlaState, Zone
from control.cloud.models import CloudRequest
from control.cloud.service import Context, recompute_sla
from control.core import audit, clock
from control.core.workflow import WorkflowStage
from control.systems.enums import SystemKind, SystemStatus
from control.systems.models import InformationSystem
from control.zombies import service as zombies
from control.zombies import usage
from control.zombies.models import ZombieVerdict
from tests.api.helpers import fill_self_built_sheet
from tests.conftest import build_world, create_database, fresh_sqlite, make_settings

AS_OF = date(2026, 11, 22)
NOW = datetime(2026, 11, 23, 1, tzinfo=UTC)
ZOMBIE_IDS = range(1000, 1100)          # across the tile edge at 1024
STAGES = 6_000                          # more ids in one SLA group than SQLite's IN list takes at once


def census_rows(changed: bool = False) -> list[dict]:
    return [{"部门名称": "示范县教育局", "系统名称": f"县教育业务系统{i:02d}", "运行状态": "正在运行",
             "系统功能描述": f"第{i}项教育业务\t受理\\审批" + ("（已更新）" if changed and i % 3 == 0 else ""),
             "运行网络": "电子政务外网、互联网", "使用范围": "纵向到基层", "使用频度": "每日",
             "建设资金（万元）": f"{i}.5万元", "运维单位": "示范信息技术有限公司"} for i in range(30)]


def usage_csv(rng: np.random.Generator) -> bytes:
    out = io.StringIO()
    out.write("system_code,metric,day,value\n")
    for sid in ZOMBIE_IDS:
        kind = sid % 4                       # 0 quiet, 1 idle, 2 busy, 3 sparse
        for d in range(90):
            day = (AS_OF - timedelta(days=d)).isoformat()
            if kind == 3 and rng.random() < 0.6:
                continue
            values = {"requests": 0 if kind == 0 else int(rng.integers(5, 900)),
                      "logins": 0 if kind == 0 else int(rng.integers(1, 90)),
                      "cpu_p95": round(float(rng.uniform(0, 0.04 if kind == 1 else 0.9)), 4),
                      "network_bytes": 1e6 if kind == 1 else float(rng.integers(10**7, 10**9)),
                      "active_users": int(rng.integers(0, 400))}
            out.write("".join(f"SYS-{sid},{m},{day},{v:g}\n" for m, v in values.items()))
    return out.getvalue().encode()


def run_everything(url: str, tmp_path) -> dict:
    """Import a census twice, store usage, scan, recompute SLA; everything the database holds after."""
    app = create_app(make_settings(url, tmp_path))
    try:
        with TestClient(app) as client:
            world = build_world(client, app.state.engine)
            edu = world.depts["edu"].id
            template = client.get("/api/v1/systems/template.xlsx", headers=world.headers("edu")).content
            for changed in (False, True):
                r = client.post("/api/v1/systems/import", headers=world.headers("edu"),
                                files={"file": ("c.xlsx", fill_self_built_sheet(template, census_rows(changed)),
                                                "application/octet-stream")})
                assert r.status_code == 200, r.text
            with app.state.engine.begin() as conn:
                conn.execute(insert(InformationSystem), [
                    {"id": sid, "code": f"SYS-{sid}", "department_id": edu, "name": f"运行系统{sid}",
                     "kind": SystemKind.self_built, "status": SystemStatus.running, "networks": ["extranet"],
                     "use_scopes": ["office"] if sid % 5 == 0 else ["department"], "is_classified": False,
                     "user_count_varies": False, "function_description": f"第{sid % 7}类档案管理",
                     "usage_frequency": "quarterly" if sid % 5 == 0 else "daily",
                     "om_vendors": None if sid % 6 == 0 else "示范信息技术有限公司",
                     "created_at": NOW, "updated_at": NOW} for sid in ZOMBIE_IDS])
                conn.execute(insert(CloudRequest), [
                    {"id": i, "number": f"YZCR-2026-{i:06d}", "department_id": edu, "new_system_name": f"系统{i}",
                     "contact_name": "张三", "contact_phone": "0870-1", "purpose": "扩容", "zone": Zone.public,
                     "status": RequestStatus.acceptance, "review_plan": [], "review_index": 0, "created_by": "t",
                     "created_at": NOW, "updated_at": NOW} for i in range(1, STAGES + 1)])
            session = world.session
            usage.import_csv(session, world.actor("ops"), io.BytesIO(usage_csv(np.random.default_rng(3))),
                             usage.Limits.of(app.state.settings))
            calendar = app.state.calendars.get(session)
            with app.state.engine.begin() as conn:
                conn.execute(insert(WorkflowStage), [
                    {"subject": "cloud_request", "subject_id": i, "stage": "acceptance", "name": "受理审批",
                     "started_at": NOW, "start_date": start, "working_days": 5, "active": True,
                     "sla_state": SlaState.on_time, "sla_working_days": 0,
                     "due_date": None if i % 50 == 0 else calendar.add_working_days(start, 5)}
                    for i in range(1, STAGES + 1)
                    for start in [date(2026, 10, 1) + timedelta(days=0 if i % 2 else i % 60)]])
            scan = zombies.run_scan(session, world.actor("auditor"), app.state.policy.zombies, AS_OF)
            clock.set_now(datetime(2026, 11, 20, 1, tzinfo=UTC))
            try:
                sla = recompute_sla(session, Context(calendar=calendar, policy=app.state.policy))
            finally:
                clock.set_now(None)
            world.session.close()
        with Session(app.state.engine) as s:
            skip = {"id", "scan_id", "created_at", "updated_at"}
            systems = [{k: v for k, v in row._asdict().items() if k not in skip | {"code"}}   # codes are random
                       for row in s.execute(select(InformationSystem.__table__).order_by(InformationSystem.id))]
            verdicts = [{k: v for k, v in row._asdict().items() if k not in skip}
                        for row in s.execute(select(ZombieVerdict.__table__).where(ZombieVerdict.scan_id == scan.id)
                                             .order_by(ZombieVerdict.system_id))]
            stages = s.execute(select(WorkflowStage.subject_id, WorkflowStage.sla_state, WorkflowStage.sla_working_days,
                                      WorkflowStage.due_date).order_by(WorkflowStage.subject_id)).all()
            chain = audit.verify_chain(s)
            return {"systems": systems, "verdicts": verdicts, "stages": [tuple(r) for r in stages], "sla": sla,
                    "scan": (scan.scanned, scan.candidates, scan.insufficient), "chain_ok": chain.ok,
                    "entries": chain.count}
    finally:
        app.state.engine.dispose()


@pytest.mark.postgres
def test_census_scan_and_sla_agree_on_both_databases(pg_server, sqlite_template, tmp_path):
    lite = run_everything(fresh_sqlite(sqlite_template, tmp_path), tmp_path / "lite")
    pg = run_everything(create_database(pg_server), tmp_path / "pg")
    assert lite["chain_ok"] and pg["chain_ok"] and lite["entries"] == pg["entries"]
    assert len(lite["systems"]) == 130 and lite["systems"] == pg["systems"]
    assert any("（已更新）" in s["function_description"] for s in pg["systems"])
    assert lite["scan"] == pg["scan"] and lite["scan"][1] > 0 and lite["scan"][2] > 0
    assert len(lite["verdicts"]) == 130 and lite["verdicts"] == pg["verdicts"]
    assert lite["sla"] == pg["sla"] and lite["sla"]["changed"] > 5_000
    assert lite["stages"] == pg["stages"]
    assert {state for _, state, _, _ in pg["stages"]} >= {SlaState.overdue, SlaState.on_time}
