"""A system or a network that turns classified (涉密) after it joined plans and networks: the system leaves
every plan and network (audited with the reason, ids only), the network is removed with everything hanging
on it; and every refusal of a classified system or network gives the one message of control/core/classified,
on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from control.core import classified
from control.core.clock import today
from tests.api.helpers import csrf, login
from tests.api.test_census import fill as census_fill
from tests.api.test_census import template as census_template
from tests.api.test_census import upload as census_upload
from tests.api.test_cloud_requests import payload as cloud_request
from tests.api.test_migration_plans import RESPONSIBLE, cloud_payload
from tests.api.test_private_networks import create as create_network
from tests.api.test_private_networks import payload as network_payload

SECRET = "机要指挥专网甲"


def plain_system(client, world, name: str) -> dict:
    r = client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": name},
                    headers=world.headers("edu"))
    assert r.status_code == 201, r.text
    return r.json()


def mark_classified(client, world, system_id: int):
    return client.patch(f"/api/v1/systems/{system_id}", json={"is_classified": True, "classified_grade": "secret"},
                        headers=world.headers("edu"))


def count(app, sql: str, **params) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_a_system_marked_classified_leaves_its_plans_and_networks(client, world, app):
    h = world.headers("edu")
    kept, secret = plain_system(client, world, "学籍管理系统"), plain_system(client, world, "指挥调度系统")
    r = client.post("/api/v1/migration-plans", json=cloud_payload(world, [kept["id"], secret["id"]]), headers=h)
    assert r.status_code == 201, r.text
    plan = r.json()
    r = client.post(f"/api/v1/migration-plans/{plan['id']}/systems/{secret['id']}/exception",
                    json={"reason": "high_security", "justification": "安全要求高"}, headers=h)
    assert r.status_code == 200, r.text
    network = create_network(client, h, world.depts["edu"].id, system_ids=[kept["id"], secret["id"]])

    r = mark_classified(client, world, secret["id"])
    assert r.status_code == 200 and r.json()["is_classified"] is True, r.text

    got = client.get(f"/api/v1/migration-plans/{plan['id']}", headers=h).json()
    assert [s["system_id"] for s in got["systems"]] == [kept["id"]]
    got = client.get(f"/api/v1/private-networks/{network['id']}", headers=h).json()
    assert [s["id"] for s in got["systems"]] == [kept["id"]]
    assert count(app, "SELECT count(*) FROM migration_plan_system WHERE system_id = :s", s=secret["id"]) == 0
    assert count(app, "SELECT count(*) FROM private_network_system WHERE system_id = :s", s=secret["id"]) == 0
    assert count(app, "SELECT count(*) FROM migration_exception") == 0
    with app.state.engine.connect() as conn:
        entries = conn.execute(text("SELECT entity_type, entity_id, changes FROM audit_entry WHERE action = 'update'"
                                    " AND entity_type IN ('migration_plan', 'private_network')")).all()
    assert {(e.entity_type, e.entity_id) for e in entries} == {("migration_plan", str(plan["id"])),
                                                               ("private_network", str(network["id"]))}
    assert all(classified.LEFT in str(e.changes) and "指挥调度" not in str(e.changes) for e in entries)
    # The plan's history reads why, in words.
    csv = client.get("/api/v1/audit/export.csv", params={"entity_type": "migration_plan"},
                     headers=world.headers("auditor"))
    assert csv.status_code == 200 and classified.LEFT in csv.text and "原因" in csv.text


def test_a_census_reimport_marking_a_system_classified_takes_it_out_of_plans_and_networks(client, world, app):
    h = world.headers("edu")
    kept, secret = plain_system(client, world, "学籍管理系统"), plain_system(client, world, "档案管理系统")
    plan = client.post("/api/v1/migration-plans", json=cloud_payload(world, [kept["id"], secret["id"]]), headers=h)
    network = create_network(client, h, world.depts["edu"].id, system_ids=[secret["id"]])
    wb = census_template(client, world)
    census_fill(wb["自建系统"], 2, {"部门名称": "示范县教育局", "系统名称": "档案管理系统", "系统编码": secret["code"],
                                  "运行状态": "正在运行", "是否属于涉密网": "是", "涉密等级": "机密"})
    r = census_upload(client, world, wb)
    assert r.status_code == 200 and r.json()["updated"] == 1, r.text
    got = client.get(f"/api/v1/migration-plans/{plan.json()['id']}", headers=h).json()
    assert [s["system_id"] for s in got["systems"]] == [kept["id"]]
    assert client.get(f"/api/v1/private-networks/{network['id']}", headers=h).json()["systems"] == []
    left = count(app, "SELECT count(*) FROM audit_entry WHERE CAST(changes AS TEXT) LIKE :m", m=f"%{classified.LEFT}%")
    assert left == 2


def test_a_network_marked_classified_is_removed_with_its_dependents(client, world, app):
    h = world.headers("edu")
    system = plain_system(client, world, "教育视频系统")
    network = create_network(client, h, world.depts["edu"].id, system_ids=[system["id"]])
    r = client.post("/api/v1/migration-plans", headers=h, json={
        "kind": "private_network", "department_id": world.depts["edu"].id, "name": "教育专网迁移计划",
        "target": "extranet_dedicated", "completion_date": str(today() + timedelta(days=180)),
        "network_ids": [network["id"]], **RESPONSIBLE})
    assert r.status_code == 201, r.text
    plan = r.json()

    r = client.patch(f"/api/v1/private-networks/{network['id']}", json={"is_classified": True, "name": SECRET},
                     headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": network["id"], "removed": True, "detail": classified.REFUSAL}
    assert client.get(f"/api/v1/private-networks/{network['id']}", headers=h).status_code == 404
    for table in ("private_network", "private_network_line", "private_network_system", "migration_plan_network"):
        assert count(app, f"SELECT count(*) FROM {table}") == 0, table
    assert client.get(f"/api/v1/migration-plans/{plan['id']}", headers=h).json()["networks"] == []
    with app.state.engine.connect() as conn:
        removal = conn.execute(text("SELECT entity_label, changes FROM audit_entry WHERE action = 'remove_classified'"
                                    )).one()
        entries = conn.execute(text("SELECT entity_label, changes FROM audit_entry")).all()
    changes = json.loads(removal.changes) if isinstance(removal.changes, str) else removal.changes
    assert removal.entity_label == "" and changes == {"reason": classified.LEFT}
    assert not any(SECRET in str(e) for e in entries)


def test_marking_a_network_classified_from_its_form_removes_it(client, world):
    login(client, "edu")
    network = create_network(client, world.headers("edu"), world.depts["edu"].id)
    form = {**{k: v for k, v in network_payload(world.depts["edu"].id).items() if k not in ("lines", "sites")},
            "is_classified": "true", "fiscal_funded": "true", "line_rows": "0", "csrf_token": csrf(client)}
    r = client.post(f"/networks/{network['id']}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/networks"
    assert client.get(f"/networks/{network['id']}").status_code == 404


def test_every_classified_refusal_gives_the_one_message(client, world):
    h = world.headers("edu")
    r = client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "涉密办公系统",
                                             "is_classified": True, "classified_grade": "secret"}, headers=h)
    secret = r.json()["id"]
    refusals = [
        client.post("/api/v1/private-networks", json=network_payload(world.depts["edu"].id, is_classified=True),
                    headers=h),
        client.post("/api/v1/private-networks", json=network_payload(world.depts["edu"].id, system_ids=[secret]),
                    headers=h),
        client.post("/api/v1/migration-plans", json=cloud_payload(world, [secret]), headers=h),
        client.post("/api/v1/cloud-requests", json=cloud_request(world, new_system_name=None, system_id=secret),
                    headers=h),
    ]
    for r in refusals:
        assert r.status_code == 422, r.text
        assert r.json()["code"] == classified.CODE and r.json()["detail"] == classified.REFUSAL, r.text
