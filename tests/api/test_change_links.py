"""What a change can serve besides its targets, over the API: a cloud delivery that creates its host-preparation
change (with the delivery, or not at all), a planned zombie clean-up whose clean-up change completes the case
when it succeeds, and every link checked when a change is created (a closed plan step, a request holding no
resources, a classified system: refused before anything is stored)."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import Session

from control.automation import links
from control.automation.models import Change
from control.systems.models import InformationSystem
from tests.api import test_zombies
from tests.api.helpers import login
from tests.api.test_cloud_requests import PATH, payload
from tests.api.test_zombies import act, case_of, scan

fleet = test_zombies.fleet          # the zombie tests' reference systems, a fixture here too

CAPACITY = {"vcpu": 100, "memory_gib": 400, "storage_gib": 5000, "extranet_ips": 50, "internet_ips": 10,
            "bandwidth_mbps": 1000}


def cloud_request(client, world, system_id: int, until: str, address: str = "10.53.1.10") -> dict:
    """A request for `system_id` taken along the path to `until` (its delivery at `address`)."""
    client.put("/api/v1/cloud-capacity/public", json=CAPACITY, headers=world.headers("infocenter"))
    req = client.post("/api/v1/cloud-requests", json=payload(world, new_system_name=None, system_id=system_id),
                      headers=world.headers("edu")).json()
    for user, action, body in PATH[until]:
        if action == "deliver":
            body = {"delivered": [{"name": "edu-app-01", "address": address}]}
        r = client.post(f"/api/v1/cloud-requests/{req['id']}/{action}", json=body, headers=world.headers(user))
        assert r.status_code == 200, (action, r.text)
        req = r.json()
    return req


def changes(app) -> list[Change]:
    with Session(app.state.engine) as session:
        return list(session.execute(select(Change).order_by(Change.id)).scalars())


def deliver(client, world, req, address: str):
    return client.post(f"/api/v1/cloud-requests/{req['id']}/deliver", headers=world.headers("infocenter"), json={
        "delivered": [{"name": "edu-app-01", "address": address}], "prepare_hosts": True})


def test_delivery_prepares_its_hosts_by_a_playbook_change(app, client, world, fleet):
    req = cloud_request(client, world, fleet["busy"]["id"], "delivery")
    r = deliver(client, world, req, "机房 A 柜")                 # no address the inventory can reach
    assert r.status_code == 422 and r.json()["code"] == "no_hosts"
    got = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=world.headers("infocenter")).json()
    assert got["status"] == "delivery" and got["delivered"] == [] and changes(app) == []   # nothing kept
    r = deliver(client, world, req, "10.53.1.10")
    assert r.status_code == 200 and r.json()["status"] == "in_use"
    [change] = changes(app)
    assert (change.kind.value, change.playbook, change.status.value, change.author) == (
        "playbook", "cloud_host_prepare", "draft", "infocenter")
    assert change.cloud_request_id == req["id"] and change.variables["system_code"] == "EDU-BUSY"
    detail = client.get(f"/api/v1/changes/{change.id}", headers=world.headers("infocenter")).json()
    assert [t["host"] for t in detail["targets"]] == ["10.53.1.10"]
    login(client, "infocenter")
    assert f'href="/changes/{change.id}"' in client.get(f"/cloud/{req['id']}").text
    assert f'href="/cloud/{req["id"]}"' in client.get(f"/changes/{change.id}").text     # what it serves


def test_links_are_checked_when_a_change_is_created(app, client, world, fleet):
    draft = client.post("/api/v1/cloud-requests", json=payload(world, new_system_name=None,
                                                               system_id=fleet["quiet"]["id"]),
                        headers=world.headers("edu")).json()
    in_use = cloud_request(client, world, fleet["busy"]["id"], "in_use")
    body = {"kind": "playbook", "playbook": "cloud_host_prepare", "hosts": ["10.53.1.10"],
            "variables": {"yz_root": "/srv/yunzhang", "system_code": "EDU-BUSY", "service_name": "yz-busy"}}

    def create(user="infocenter", **link):
        return client.post("/api/v1/changes", json={**body, **link}, headers=world.headers(user))

    r = create(cloud_request_id=draft["id"])
    assert r.status_code == 409 and r.json()["code"] == "not_delivered"
    r = create(plan_step_id=999_999)
    assert r.status_code == 404
    r = create(zombie_case_id=999_999)
    assert r.status_code == 404
    assert changes(app) == []
    r = create(cloud_request_id=in_use["id"])
    assert r.status_code == 201 and r.json()["cloud_request_id"] == in_use["id"]
    # The system is found to be classified (its record cut to the minimal fields, here straight in the table):
    # automation refuses it from then on, whatever names it.
    with Session(app.state.engine) as session:
        session.execute(update(InformationSystem).where(InformationSystem.id == fleet["busy"]["id"])
                        .values(is_classified=True))
        session.commit()
    r = create(cloud_request_id=in_use["id"])
    assert r.status_code == 422 and r.json()["code"] == "classified"
    r = create()
    assert r.status_code == 422 and r.json()["code"] in ("classified", "unknown_host")
    with Session(app.state.engine) as session:
        assert session.execute(select(func.count()).select_from(Change)).scalar_one() == 1


def test_a_planned_clean_up_runs_by_its_change(app, client, world, fleet):
    req = cloud_request(client, world, fleet["quiet"]["id"], "in_use")
    scan(client, world)
    cid = case_of(client, world, "EDU-QUIET")["id"]
    r = client.post(f"/api/v1/zombie-cases/{cid}/cleanup-change", headers=world.headers("infocenter"))
    assert r.status_code == 409 and r.json()["code"] == "cleanup_not_planned"          # not confirmed yet
    assert act(client, world, "auditor", cid, "confirm", reason="连续 90 天无业务请求、无登录").status_code == 200
    assert act(client, world, "bureau", cid, "plan_cleanup", plan={"archive": "数据移交档案馆"}).status_code == 200
    r = client.post(f"/api/v1/zombie-cases/{cid}/cleanup-change", headers=world.headers("bureau"))
    assert r.status_code == 403                                        # the Bureau planned it: not it who runs it
    login(client, "infocenter")
    assert 'id="cleanup-change"' in client.get(f"/zombies/cases/{cid}").text
    r = client.post(f"/api/v1/zombie-cases/{cid}/cleanup-change", headers=world.headers("infocenter"))
    assert r.status_code == 201, r.text
    change = r.json()
    page = client.get(f"/zombies/cases/{cid}").text
    assert f'href="/changes/{change["id"]}"' in page
    # the card once, in the page body; the title is the system's name, no markup (it once held the card too)
    assert page.count('id="cleanup-changes"') == 1 and "<" not in page.split("<title>")[1].split("</title>")[0]
    assert change["playbook"] == "zombie_cleanup" and change["zombie_case_id"] == cid
    assert [t["host"] for t in change["targets"]] == ["10.53.1.10"]
    assert change["variables"]["app_dir"] == "/srv/yunzhang/opt/EDU-QUIET"
    # The change succeeded (its playbook runs in tests/integration): the clean-up completes as by hand.
    with Session(app.state.engine, expire_on_commit=False) as session:
        told = links.succeeded(session, links.Done(change["id"], "infocenter", [3, 4]), {"zombie_case_id": cid})
    assert told == [f"僵尸系统事项 #{cid} 已完成清理"]
    case = client.get(f"/api/v1/zombie-cases/{cid}", headers=world.headers("auditor")).json()
    assert case["state"] == "cleaned_up" and f"清理剧本变更 #{change['id']} 执行成功" in case["reason"]
    system = client.get(f"/api/v1/systems/{fleet['quiet']['id']}", headers=world.headers("admin")).json()
    assert system["status"] == "decommissioned"
    got = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=world.headers("admin")).json()
    assert got["status"] == "reclaimed" and got["reclaim_reason"] == "zombie_cleanup"
