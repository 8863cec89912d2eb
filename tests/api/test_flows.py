"""Flows across domains and steps (issue 11, point 10): the zombie clean-up goes through the systems and
cloud services, the daily reclaim isolates each request, and the cloud request page saves and submits in
one transaction."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from control.cloud.models import CloudRequest
from control.core.clock import today
from control.scheduled import JOB_LOCK_IDS, run_cloud_reclaim, run_zombie_scan
from control.zombies.enums import CaseState
from control.zombies.models import ZombieCase, ZombieScan
from tests.api.helpers import create_system, csrf
from tests.api.test_cloud_requests import PATH, do, file_request
from tests.conftest import PASSWORD


def give_capacity(client, world) -> None:
    r = client.put("/api/v1/cloud-capacity/public", json={"vcpu": 200, "memory_gib": 800, "storage_gib": 9000,
                                                          "extranet_ips": 50, "internet_ips": 10,
                                                          "bandwidth_mbps": 1000}, headers=world.headers("infocenter"))
    assert r.status_code == 200, r.text


def in_use(client, world, **extra) -> dict:
    req = file_request(client, world, **extra)
    for user, action, body in PATH["in_use"]:
        assert do(client, world, user, req["id"], action, **body).status_code == 200
    return req


def sql(app, statement: str, **params) -> None:
    with app.state.engine.begin() as conn:
        conn.execute(text(statement), params)


def audit_actions(client, world, entity_type: str, entity_id: int) -> list[str]:
    items = client.get("/api/v1/audit", params={"entity_type": entity_type, "entity_id": str(entity_id)},
                       headers=world.headers("auditor")).json()["items"]
    return [e["action"] for e in reversed(items)]


# --- zombie clean-up -----------------------------------------------------------------------------------

def planned_case(app, world, system_id: int) -> int:
    with Session(app.state.engine) as session:
        scan = ZombieScan(as_of=date(2026, 11, 22), actor="auditor")
        session.add(scan)
        session.flush()
        case = ZombieCase(system_id=system_id, department_id=world.depts["edu"].id, state=CaseState.cleanup_planned,
                          opened_scan_id=scan.id, last_scan_id=scan.id, reason="连续 90 天无访问",
                          cleanup_plan={"stop": True, "reclaim_cloud": True})
        session.add(case)
        session.commit()
        return case.id


def test_zombie_clean_up_goes_through_the_lifecycle_and_the_reclaim(app, client, world):
    give_capacity(client, world)
    system = create_system(client, world.headers("admin"), world.depts["edu"].id, name="县教育宣传网站",
                           code="EDU-QUIET")
    req = in_use(client, world, new_system_name=None, system_id=system["id"])
    case_id = planned_case(app, world, system["id"])

    # A system the lifecycle cannot take to decommissioned: 409 with the lifecycle's own reason, nothing moves.
    sql(app, "UPDATE information_system SET status = 'registered' WHERE id = :id", id=system["id"])
    r = client.post(f"/api/v1/zombie-cases/{case_id}/complete_cleanup", json={"reason": "已下线"},
                    headers=world.headers("infocenter"))
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert "只能变更为：正在运行" in r.json()["detail"]
    assert client.get(f"/api/v1/cloud-requests/{req['id']}", headers=world.headers("admin")).json()["status"] \
        == "in_use"
    assert client.get(f"/api/v1/zombie-cases/{case_id}", headers=world.headers("auditor")).json()["state"] \
        == "cleanup_planned"

    sql(app, "UPDATE information_system SET status = 'running' WHERE id = :id", id=system["id"])
    r = client.post(f"/api/v1/zombie-cases/{case_id}/complete_cleanup", json={"reason": "已下线"},
                    headers=world.headers("bureau"))
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/systems/{system['id']}", headers=world.headers("admin")).json()["status"] \
        == "decommissioned"
    cloud = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=world.headers("admin")).json()
    assert (cloud["status"], cloud["reclaim_reason"]) == ("reclaimed", "zombie_cleanup")
    assert audit_actions(client, world, "system", system["id"])[-2:] == ["stop", "decommission"]
    assert audit_actions(client, world, "cloud_request", req["id"])[-1] == "reclaim"


# --- the daily reclaim -----------------------------------------------------------------------------------

def test_daily_reclaim_goes_on_past_a_failing_request(app, client, world, frozen_clock):
    frozen_clock("2026-03-02 09:00")
    give_capacity(client, world)
    ids = [in_use(client, world, use_until="2026-06-30")["id"] for _ in range(3)]
    # The first one cannot be read any more (its zone was retired from the enumeration): it must fail alone.
    sql(app, "UPDATE cloud_request SET zone = 'retired' WHERE id = :id", id=ids[0])
    frozen_clock("2026-07-01 01:00")
    assert run_cloud_reclaim(app) == {"reclaimed": 2, "failed": 1}
    with Session(app.state.engine) as session:
        status = dict(session.execute(select(CloudRequest.id, CloudRequest.status)
                                      .where(CloudRequest.id.in_(ids))).all())
    assert [status[i].value for i in ids] == ["in_use", "reclaimed", "reclaimed"]


# --- the cloud request page ------------------------------------------------------------------------------

REFUSE_STAGES = {
    "sqlite": ["CREATE TRIGGER refuse_stage BEFORE INSERT ON workflow_stage "
               "BEGIN SELECT RAISE(ABORT, 'stage store unavailable'); END"],
    "postgresql": ["CREATE FUNCTION refuse_stage() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'stage store unavailable'; END $$",
                   "CREATE TRIGGER refuse_stage BEFORE INSERT ON workflow_stage "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_stage()"],
}
ALLOW_STAGES = {"sqlite": ["DROP TRIGGER refuse_stage"],
                "postgresql": ["DROP TRIGGER refuse_stage ON workflow_stage", "DROP FUNCTION refuse_stage()"]}


def request_count(app) -> int:
    with Session(app.state.engine) as session:
        return session.execute(select(func.count()).select_from(CloudRequest)).scalar_one()


def test_page_saves_and_submits_in_one_transaction(app, world):
    dialect = app.state.engine.dialect.name
    with TestClient(app, raise_server_exceptions=False) as page:
        assert page.post("/login", data={"username": "edu", "password": PASSWORD, "csrf_token": csrf(page, "/login")},
                         follow_redirects=False).status_code == 303
        token = csrf(page, "/cloud/new")
        form = {"csrf_token": token, "department_id": world.depts["edu"].id, "new_system_name": "智慧教育平台",
                "contact_name": "李明", "contact_phone": "0870-6100001", "purpose": "新建平台部署", "zone": "public",
                "protection_level": "2", "needed_by": str(today() + timedelta(days=30)),
                "lines-0-kind": "vm", "lines-0-count": "1",
                "lines-0-vcpu": "4", "lines-0-memory_gib": "8", "lines-0-system_disk_gib": "50", "submit_now": "1"}
        for statement in REFUSE_STAGES[dialect]:
            sql(app, statement)
        r = page.post("/cloud/new", data=form, follow_redirects=False)
        assert r.status_code >= 500                   # the submit could not open its first stage…
        assert request_count(app) == 0                # …so not even the draft was kept
        for statement in ALLOW_STAGES[dialect]:
            sql(app, statement)
        r = page.post("/cloud/new", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
    assert request_count(app) == 1                    # the retry left no duplicate behind
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    assert client_status(app, rid) == "review"


def client_status(app, request_id: int) -> str:
    with Session(app.state.engine) as session:
        return session.get(CloudRequest, request_id).status.value


def test_a_failed_job_releases_its_lock(app, world):
    """The advisory lock belongs to a PostgreSQL connection: a job that fails mid-way must still release it,
    or no replica runs the job again."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only")
    sql(app, "CREATE FUNCTION refuse_scan() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN RAISE EXCEPTION 'scan store unavailable'; END $$")
    sql(app, "CREATE TRIGGER refuse_scan BEFORE INSERT ON zombie_scan FOR EACH ROW EXECUTE FUNCTION refuse_scan()")
    with pytest.raises(DBAPIError, match="scan store unavailable"):
        run_zombie_scan(app)
    other = create_engine(app.state.engine.url)
    try:
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": JOB_LOCK_IDS["zombie_scan"]}).scalar()
    finally:
        other.dispose()
