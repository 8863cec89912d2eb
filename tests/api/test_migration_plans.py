"""Migration plans over the API: both kinds, scope (403 across departments), classified refusal, the plan
procedure with separation of duties, per-system states, in-house exceptions, versioned documents,
behind-plan filters, and audit entries for every write."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from control.core.audit import AuditEntry
from control.core.clock import today
from control.scheduled import run_cloud_sla
from tests.api.helpers import create_system

RESPONSIBLE = {"leader_name": "王强", "leader_title": "副局长", "leader_phone": "0870-6100100",
               "office": "办公室", "liaison_name": "李丽", "liaison_phone": "13800000000"}


def cloud_payload(world, systems, **extra) -> dict:
    body = {"kind": "cloud", "department_id": world.depts["edu"].id, "name": "教育局系统上云计划",
            "content": "学籍、资助两个系统迁移上云", "completion_date": str(today() + timedelta(days=180)),
            "systems": [{"system_id": s, "target_date": str(today() + timedelta(days=90))} for s in systems],
            **RESPONSIBLE}
    body.update(extra)
    return body


def post(client, world, user, path, body=None):
    return client.post(f"/api/v1/migration-plans{path}", json=body or {}, headers=world.headers(user))


@pytest.fixture
def systems(client, world):
    h = world.headers("edu")
    return [create_system(client, h, world.depts["edu"].id, name=n)["id"] for n in ("学籍管理系统", "学生资助系统")]


def new_plan(client, world, systems, **extra) -> dict:
    r = post(client, world, "edu", "", cloud_payload(world, systems, **extra))
    assert r.status_code == 201, r.text
    return r.json()


def test_cloud_plan_created_with_its_systems_and_audited(client, world, systems):
    plan = new_plan(client, world, systems)
    assert plan["status"] == "draft" and plan["kind"] == "cloud" and plan["system_count"] == 2
    assert {s["state"] for s in plan["systems"]} == {"pending"}
    assert plan["number"].startswith("YZMP-")
    entry = world.session.execute(select(AuditEntry).where(AuditEntry.entity_type == "migration_plan")).scalars().one()
    assert entry.action == "create" and entry.changes["leader_name"][1] == "王强"
    got = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=world.headers("auditor"))
    assert got.status_code == 200 and got.json()["systems"][0]["system_name"] == "学籍管理系统"


def test_kind_rules_and_duplicate_names(client, world, systems):
    r = post(client, world, "edu", "", cloud_payload(world, systems, target="intranet"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target"
    pn = {**cloud_payload(world, [], kind="private_network"), "name": "教育专网迁移计划"}
    r = post(client, world, "edu", "", pn)
    assert r.status_code == 422 and "迁移目标" in r.json()["detail"]
    r = post(client, world, "edu", "", {**pn, "target": "extranet_dedicated"})
    assert r.status_code == 201, r.text
    new_plan(client, world, systems)
    r = post(client, world, "edu", "", cloud_payload(world, []))
    assert r.status_code == 409 and r.json()["code"] == "duplicate_name"


def test_classified_system_refused_and_nothing_stored(client, world):
    secret = client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "涉密办公系统",
                                                  "status": "running", "is_classified": True},
                         headers=world.headers("edu")).json()
    r = post(client, world, "edu", "", cloud_payload(world, [secret["id"]]))
    assert r.status_code == 422 and "保密局" in r.json()["detail"]
    listed = client.get("/api/v1/migration-plans", headers=world.headers("admin")).json()
    assert listed["total"] == 0


def test_cross_department_reads_and_writes_are_403(client, world, systems):
    plan = new_plan(client, world, systems)
    h = world.headers("health")
    assert client.get(f"/api/v1/migration-plans/{plan['id']}", headers=h).status_code == 403
    assert client.patch(f"/api/v1/migration-plans/{plan['id']}", json={"content": "x"}, headers=h).status_code == 403
    assert post(client, world, "health", f"/{plan['id']}/submit").status_code == 403
    r = post(client, world, "health", "", cloud_payload(world, []))
    assert r.status_code == 403
    # A system of another department cannot enter a plan.
    other = create_system(client, h, world.depts["health"].id, name="卫生系统")
    r = post(client, world, "edu", "", cloud_payload(world, [other["id"]], name="另一个计划"))
    assert r.status_code == 422 and r.json()["code"] == "other_department"
    # The parent department sees the plan; a sibling's list does not hold it.
    assert client.get(f"/api/v1/migration-plans/{plan['id']}", headers=world.headers("countyoffice")).status_code == 200
    assert client.get("/api/v1/migration-plans", headers=h).json()["total"] == 0


def approve_all(client, world, pid) -> dict:
    """Submitted by 教育局: its designated reviewer, the county office's, then the Bureau."""
    for user in ("edu2", "countyoffice", "bureau"):
        r = post(client, world, user, f"/{pid}/approve", {"comment": "同意"})
        assert r.status_code == 200, r.text
    return r.json()


def test_cloud_procedure_with_separation_of_duties(client, world, systems):
    plan = new_plan(client, world, systems)
    pid = plan["id"]
    r = post(client, world, "bureau", f"/{pid}/approve")
    assert r.status_code == 409 and "草稿" in r.json()["detail"]
    submitted = post(client, world, "edu", f"/{pid}/submit").json()
    assert submitted["status"] == "review" and submitted["reviewer_department_id"] == world.depts["edu"].id
    assert [s["stage"] for s in submitted["stages"]] == ["self_check", "review:department_head"]
    assert submitted["stages"][1]["due_date"] is not None
    r = client.patch(f"/api/v1/migration-plans/{pid}", json={"content": "改"}, headers=world.headers("edu"))
    assert r.status_code == 409
    assert post(client, world, "countyoffice", f"/{pid}/approve").status_code == 403   # not this level's reviewer
    assert post(client, world, "bureau", f"/{pid}/approve").status_code == 403
    assert post(client, world, "edu2", f"/{pid}/return").status_code == 422
    assert post(client, world, "edu2", f"/{pid}/return", {"comment": "补充技术方案"}).json()["status"] == "returned"
    assert post(client, world, "edu", f"/{pid}/submit").status_code == 200
    approved = approve_all(client, world, pid)
    assert approved["status"] == "migration" and approved["planned_date"] == plan["completion_date"]
    assert post(client, world, "bureau", f"/{pid}/nonsense").status_code == 404
    r = post(client, world, "infocenter", f"/{pid}/complete", {"evidence": "验收单"})
    assert r.status_code == 409 and r.json()["code"] == "not_ready"
    for sid in systems:
        r = post(client, world, "infocenter", f"/{pid}/systems/{sid}/start", {"note": "已交付资源"})
        assert r.status_code == 200
        r = post(client, world, "edu", f"/{pid}/systems/{sid}/finish", {"note": "已切换"})
        assert r.status_code == 200, r.text
    r = post(client, world, "infocenter", f"/{pid}/systems/{systems[0]}/finish")
    assert r.status_code == 409
    assert post(client, world, "infocenter", f"/{pid}/complete").status_code == 422     # evidence required
    assert post(client, world, "health", f"/{pid}/complete", {"evidence": "x"}).status_code == 403
    done = post(client, world, "infocenter", f"/{pid}/complete", {"evidence": "迁移验收单 2026-01"}).json()
    assert done["status"] == "completed" and {s["state"] for s in done["systems"]} == {"migrated"}
    assert done["stages"][-1]["stage"] == "migration" and "验收单" in done["stages"][-1]["comment"]
    assert not any(s["active"] for s in done["stages"])
    actions = world.session.execute(select(AuditEntry.action).where(
        AuditEntry.entity_type.in_(("migration_plan", "migration_plan_system")))).scalars().all()
    assert actions.count("start_migration") == 2 and actions.count("approve") == 3 and "complete" in actions


def test_author_never_signs_own_plan(client, world, systems):
    """edu2 is 教育局's designated reviewer, but wrote this plan: the level is refused to them."""
    r = post(client, world, "edu2", "", cloud_payload(world, systems))
    assert r.status_code == 201
    pid = r.json()["id"]
    assert post(client, world, "edu", f"/{pid}/submit").status_code == 200
    r = post(client, world, "edu2", f"/{pid}/approve")
    assert r.status_code == 403 and r.json()["code"] == "own_item"
    queue = client.get("/api/v1/migration-plans", params={"awaiting_me": True}, headers=world.headers("edu2"))
    assert queue.json()["total"] == 0


def test_exception_requested_by_department_decided_by_bureau(client, world, systems):
    plan = new_plan(client, world, systems)
    pid, sid = plan["id"], systems[1]
    r = post(client, world, "edu", f"/{pid}/systems/{sid}/exception",
             {"reason": "very_large", "justification": "数据量 200TB，须本地部署"})
    assert r.status_code == 200, r.text
    assert r.json()["systems"][1]["exception"]["status"] == "requested"
    assert post(client, world, "edu", f"/{pid}/systems/{sid}/exception",
                {"reason": "very_large", "justification": "again"}).status_code == 409
    assert post(client, world, "edu", f"/{pid}/systems/{sid}/exception/decide", {"approve": True}).status_code == 403
    r = post(client, world, "bureau", f"/{pid}/systems/{sid}/exception/decide", {"approve": True})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"interfaces", "later_target_date"}
    later = str(today() + timedelta(days=720))
    r = post(client, world, "bureau", f"/{pid}/systems/{sid}/exception/decide",
             {"approve": True, "comment": "同意逐步迁移", "later_target_date": later,
              "interfaces": [{"name": "学生资助信息查询接口", "evidence": "接口文档 v1.2，已在共享平台注册"}]})
    assert r.status_code == 200, r.text
    row = r.json()["systems"][1]
    assert row["state"] == "exception" and row["planned_date"] == later and row["target_date"] != later
    assert row["exception"]["interfaces"][0]["name"] == "学生资助信息查询接口"
    r = client.patch(f"/api/v1/migration-plans/{pid}", json={"systems": [
        {"system_id": systems[0], "target_date": str(today() + timedelta(days=90))}]}, headers=world.headers("edu"))
    assert r.status_code == 422 and r.json()["code"] == "has_exception"


def test_documents_are_versioned(client, world, systems):
    plan = new_plan(client, world, systems)
    path = f"/api/v1/migration-plans/{plan['id']}/documents"
    h = world.headers("edu")
    for body in (b"%PDF-1.4 v1", b"%PDF-1.4 v2"):
        r = client.post(path, files={"file": ("方案.pdf", body, "application/pdf")}, headers=h)
        assert r.status_code == 201, r.text
    assert r.json()["version"] == 2
    r = client.post(path, files={"file": ("a.exe", b"MZ", "application/x-msdownload")}, headers=h)
    assert r.status_code == 422
    r = client.post(path, files={"file": ("a.pdf", b"%PDF", "application/pdf")}, headers=world.headers("health"))
    assert r.status_code == 403
    docs = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=h).json()["documents"]
    assert [d["version"] for d in docs] == [2, 1]
    got = client.get(f"{path}/{docs[1]['id']}", headers=world.headers("auditor"))
    assert got.status_code == 200 and got.content == b"%PDF-1.4 v1"


def test_behind_plan_filter_and_days(client, world, systems, frozen_clock):
    plan = new_plan(client, world, systems)
    post(client, world, "edu", f"/{plan['id']}/submit")
    approve_all(client, world, plan["id"])
    h = world.headers("bureau")
    on = client.get("/api/v1/migration-plans", params={"schedule": "on_plan"}, headers=h).json()
    assert on["total"] == 1 and on["items"][0]["days_behind"] == 0
    frozen_clock(f"{today() + timedelta(days=95)} 09:00")
    behind = client.get("/api/v1/migration-plans", params={"schedule": "behind_plan", "kind": "cloud"},
                        headers=h).json()
    assert behind["total"] == 1 and behind["items"][0]["days_behind"] == 5
    assert client.get("/api/v1/migration-plans", params={"schedule": "on_plan"}, headers=h).json()["total"] == 0
    detail = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=h).json()
    assert [s["days_behind"] for s in detail["systems"]] == [5, 5]
    sub = client.get("/api/v1/migration-plans", params={"department_id": world.depts["health"].id}, headers=h).json()
    assert sub["total"] == 0
    assert client.get("/api/v1/migration-plans", params={"schedule": "late"}, headers=h).status_code == 422


def network(client, world, name, fiscal=True) -> dict:
    r = client.post("/api/v1/private-networks", json={"department_id": world.depts["edu"].id, "name": name,
                                                      "purpose": "教育专网", "fiscal_funded": fiscal,
                                                      "sites": ["县教育局机房"], "lines": []},
                    headers=world.headers("edu"))
    assert r.status_code == 201, r.text
    return r.json()


def network_step(client, world, nid, action, **body):
    r = client.post(f"/api/v1/private-networks/{nid}/{action}", json={"note": "完成", **body},
                    headers=world.headers("edu"))
    assert r.status_code == 200, r.text


def test_private_network_plan_stages_behind_plan_and_funding_stop(app, client, world, frozen_clock):
    frozen_clock("2026-03-02 09:00")
    fiscal, own = network(client, world, "县教育城域网"), network(client, world, "校园视频专网", fiscal=False)
    body = {**cloud_payload(world, []), "kind": "private_network", "name": "教育专网迁移计划",
            "target": "extranet_dedicated", "network_ids": [fiscal["id"], own["id"]],
            "connect_by": "2026-05-01", "migrate_by": "2026-08-01", "completion_date": "2026-10-31"}
    r = post(client, world, "edu", "", {**body, "connect_by": "2026-09-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "migrate_by"
    r = post(client, world, "edu", "", {**body, "network_ids": [fiscal["id"], fiscal["id"]]})
    assert r.status_code == 422 and r.json()["code"] == "duplicate"
    plan = post(client, world, "edu", "", body).json()
    assert [n["name"] for n in plan["networks"]] == ["县教育城域网", "校园视频专网"]
    assert post(client, world, "edu", "", {**body, "name": "另一个"}).json()["code"] == "in_other_plan"
    pid = plan["id"]
    post(client, world, "edu", f"/{pid}/submit")
    approved = approve_all(client, world, pid)
    assert approved["status"] == "connect" and approved["planned_date"] == "2026-05-01"
    assert post(client, world, "edu", f"/{pid}/connect").status_code == 422          # evidence required
    frozen_clock("2026-03-25 09:00")
    network_step(client, world, own["id"], "connect", on="2026-03-19")              # recorded on the network
    r = post(client, world, "edu", f"/{pid}/connect", {"evidence": "联通测试记录", "on": "2026-03-20"})
    assert r.status_code == 200 and r.json()["status"] == "migrate"
    states = {n["name"]: n["state"] for n in r.json()["networks"]}
    assert states == {"县教育城域网": "connected", "校园视频专网": "connected"}
    got = client.get(f"/api/v1/private-networks/{fiscal['id']}", headers=world.headers("edu")).json()
    assert got["connected_on"] == "2026-03-20"
    frozen_clock("2026-08-11 09:00")            # migrate planned by 08-01: 10 days behind
    h = world.headers("auditor")
    got = client.get("/api/v1/migration-plans", params={"schedule": "behind_plan"}, headers=h).json()
    assert got["total"] == 1 and got["items"][0]["days_behind"] == 10 and got["items"][0]["status"] == "migrate"
    run_cloud_sla(app)                          # the hourly recompute stores the open stage's days behind
    stage = client.get(f"/api/v1/migration-plans/{pid}", headers=h).json()["stages"][-1]
    assert stage["stage"] == "migrate" and stage["active"] and stage["behind_days"] == 10
    assert post(client, world, "infocenter", f"/{pid}/migrate", {"evidence": "迁移验收单"}).status_code == 200
    network_step(client, world, own["id"], "merge", note="并入教育局政务外网专区")
    r = post(client, world, "edu", f"/{pid}/withdraw", {"evidence": "撤销文件"})
    assert r.status_code == 409 and "县教育城域网" in r.json()["detail"]         # its outcome not yet recorded
    assert client.get("/api/v1/migration-plans", params={"funding_stop": True}, headers=h).json()["total"] == 0
    frozen_clock("2026-11-01 09:00")            # past the completion date with the fiscal network not withdrawn
    stop = client.get("/api/v1/migration-plans", params={"funding_stop": True}, headers=h).json()
    assert stop["total"] == 1
    detail = client.get(f"/api/v1/migration-plans/{pid}", headers=h).json()
    assert {n["name"]: n["funding_stop"] for n in detail["networks"]} == {"县教育城域网": True, "校园视频专网": False}
    network_step(client, world, fiscal["id"], "withdraw", note="线路已退租")
    done = post(client, world, "edu", f"/{pid}/withdraw", {"evidence": "撤销文件"}).json()
    assert done["status"] == "completed"
    assert [s["stage"] for s in done["stages"]][-3:] == ["connect", "migrate", "withdraw"]
    assert done["stages"][-2]["behind_days"] == 10 and done["stages"][-1]["behind_days"] == 1
    assert client.get("/api/v1/migration-plans", params={"funding_stop": True}, headers=h).json()["total"] == 0


def test_review_deadline_counts_working_days_across_national_day(client, world, systems, frozen_clock):
    """Submitted on 2026-09-30: 国庆 1–7 October are holidays and Saturday 10 October a make-up working day,
    so the three working days of the first review level end on 10 October; the Bureau's ten run from the
    day the last level signs."""
    frozen_clock("2026-09-30 10:00")
    plan = new_plan(client, world, systems)
    stage = post(client, world, "edu", f"/{plan['id']}/submit").json()["stages"][-1]
    assert stage["stage"] == "review:department_head" and stage["working_days"] == 3
    assert stage["due_date"] == "2026-10-10" and stage["sla_state"] == "on_time"
    frozen_clock("2026-10-12 10:00")
    for user in ("edu2", "countyoffice"):
        post(client, world, user, f"/{plan['id']}/approve")
    detail = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=world.headers("bureau")).json()
    assert detail["stages"][1]["sla_state"] == "done_late" and detail["stages"][1]["sla_working_days"] == 1
    assert detail["stage_name"] == "大数据发展局审批" and detail["due_date"] == "2026-10-26"
    queue = client.get("/api/v1/migration-plans", params={"awaiting_me": True}, headers=world.headers("bureau"))
    assert [p["id"] for p in queue.json()["items"]] == [plan["id"]]


def test_update_scope_and_filters_across_departments(client, world, systems):
    plan = new_plan(client, world, systems)
    h = world.headers("edu")
    r = client.patch(f"/api/v1/migration-plans/{plan['id']}", json={"systems": [
        {"system_id": systems[0], "target_date": str(today() + timedelta(days=30))}], "content": "只迁学籍"}, headers=h)
    assert r.status_code == 200 and r.json()["system_count"] == 1 and r.json()["content"] == "只迁学籍"
    assert client.patch(f"/api/v1/migration-plans/{plan['id']}", json={"name": None}, headers=h).status_code == 422
    assert client.patch(f"/api/v1/migration-plans/{plan['id']}", json={"connect_by": "2026-01-01"},
                        headers=h).status_code == 422                  # not on a cloud plan
    entry = world.session.execute(select(AuditEntry).where(AuditEntry.action == "update")).scalars().one()
    assert entry.changes["content"][1] == "只迁学籍"
    # A department user asking for another subtree, or exporting it, is refused.
    other = {"department_id": world.depts["health"].id}
    assert client.get("/api/v1/migration-plans", params=other, headers=h).status_code == 403
    assert client.get("/api/v1/migration-plans/export.xlsx", params=other, headers=h).status_code == 403
    # The Information Center may enter a plan for a department; only the department submits it.
    r = post(client, world, "infocenter", "", cloud_payload(world, [systems[1]], name="代填的计划"))
    assert r.status_code == 201
    assert post(client, world, "infocenter", f"/{r.json()['id']}/submit").status_code == 403
    assert post(client, world, "edu", f"/{r.json()['id']}/submit").status_code == 200
    assert post(client, world, "auditor", "", cloud_payload(world, [], name="x")).status_code == 403
