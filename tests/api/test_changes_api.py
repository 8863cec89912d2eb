"""The change API's rules on SQLite and PostgreSQL, no device contacted: templates listed, variables typed and
refused by field, the author cannot approve (403), actions out of turn are 409 with the zh-CN reason, a
department sees only its devices' changes (403 on another's), classified refused, every action audited."""
from __future__ import annotations

from sqlalchemy import text

from tests.integration.changes_helpers import add_device, join_variables


def new_change(client, world, device_ids, user="infocenter", **extra):
    return client.post("/api/v1/changes", headers=world.headers(user), json={
        "kind": "device", "template": "join_extranet", "variables": join_variables(320),
        "device_ids": device_ids, **extra})


def test_templates_are_listed_with_typed_variables(client, world):
    r = client.get("/api/v1/automation/templates", headers=world.headers("edu"))
    assert r.status_code == 200
    items = {t["key"]: t for t in r.json()["items"]}
    assert set(items) == {"join_extranet", "withdraw_network", "interconnect_update"}
    assert items["join_extranet"]["variables"]["vlan_id"]["type"] == "vlan"
    assert items["withdraw_network"]["name"] == "撤除业务专网"


def test_create_refusals_name_the_field(client, world):
    edu = add_device(client, world, "api-sw-1", 2201)
    bad = new_change(client, world, [edu], variables={**join_variables(320), "vlan_id": 9999,
                                                      "vlan_name": "教育专网", "extra": 1})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"variables.vlan_id", "variables.vlan_name", "variables.extra"}
    assert new_change(client, world, [edu], template="nope").json()["errors"][0]["field"] == "template"
    assert new_change(client, world, [999999]).status_code == 422
    assert new_change(client, world, [edu], user="edu").status_code == 403          # departments do not author
    classified = new_change(client, world, [edu], on_classified_network=True)
    assert classified.status_code == 422 and classified.json()["code"] == "classified"
    playbook = client.post("/api/v1/changes", headers=world.headers("infocenter"), json={
        "kind": "playbook", "playbook": "cloud_host_prepare", "hosts": ["10.9.9.9"],
        "variables": {"ansible_become": True}})
    assert playbook.status_code == 422 and playbook.json()["errors"][0]["field"] == "variables"


def test_author_cannot_approve_and_actions_out_of_turn_are_409(client, world, app):
    edu = add_device(client, world, "api-sw-2", 2202)
    change = new_change(client, world, [edu]).json()
    assert change["status"] == "draft" and change["digest"] is None and change["actions"] == ["check", "cancel"]
    url = f"/api/v1/changes/{change['id']}"
    r = client.post(f"{url}/apply", headers=world.headers("infocenter"))
    assert r.status_code == 409 and r.json()["detail"].startswith("变更当前为“草稿”，不能“执行”")
    assert client.post(f"{url}/approve", headers=world.headers("bureau")).status_code == 409
    assert client.post(f"{url}/frobnicate", headers=world.headers("infocenter")).status_code == 422
    # a checked change (as a check run leaves it), approved by its author: refused by the duties rule
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE automation_change SET status = 'checked' WHERE id = :i"), {"i": change["id"]})
        conn.execute(text("UPDATE automation_change_target SET status = 'checked', backup_digest = 'x' "
                          "WHERE change_id = :i"), {"i": change["id"]})
    own = client.post(f"{url}/approve", headers=world.headers("infocenter"))
    assert own.status_code == 403 and "不得审批自己的事项" in own.json()["detail"]
    assert client.post(f"{url}/approve", headers=world.headers("edu")).status_code == 403      # not an approver
    assert client.post(f"{url}/approve", headers=world.headers("auditor")).status_code == 403
    approved = client.post(f"{url}/approve", headers=world.headers("bureau"), json={"comment": "已看差异"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "bureau"
    assert client.post(f"{url}/rollback", headers=world.headers("infocenter")).status_code == 409
    cancelled = client.post(f"{url}/cancel", headers=world.headers("infocenter"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    r = client.post(f"{url}/resume", headers=world.headers("infocenter"))
    assert r.status_code == 409 and "已取消" in r.json()["detail"]
    with app.state.engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_entry WHERE entity_type = 'change' ORDER BY id")
                               ).scalars().all()
    assert actions == ["create", "approve", "cancel"]
    metrics = client.get("/metrics").text
    assert 'yunzhang_automation_changes{kind="device",status="cancelled"} 1.0' in metrics
    assert 'yunzhang_automation_changes{kind="playbook",status="succeeded"} 0.0' in metrics


def test_a_department_sees_only_its_devices_changes(client, world):
    edu = add_device(client, world, "api-sw-edu", 2203)
    health = add_device(client, world, "api-sw-health", 2204, department="health")
    school = add_device(client, world, "api-sw-school", 2205, department="school")
    mine = new_change(client, world, [school]).json()
    theirs = new_change(client, world, [health]).json()
    both = new_change(client, world, [edu, health]).json()
    assert mine["department_id"] == world.depts["school"].id
    assert both["department_id"] == world.depts["county"].id       # their common parent

    def listed(user):
        r = client.get("/api/v1/changes", headers=world.headers(user))
        assert r.status_code == 200
        return {c["id"] for c in r.json()["items"]}

    assert listed("edu") == {mine["id"]}
    assert listed("health") == {theirs["id"]}
    assert listed("countyoffice") == {mine["id"], theirs["id"], both["id"]}
    assert client.get(f"/api/v1/changes/{theirs['id']}", headers=world.headers("edu")).status_code == 403
    assert client.get(f"/api/v1/changes/{mine['id']}", headers=world.headers("edu")).status_code == 200
    assert client.get("/api/v1/changes/999999", headers=world.headers("admin")).status_code == 404
    assert client.get("/api/v1/changes", params={"device_id": health},
                      headers=world.headers("infocenter")).json()["total"] == 2


def test_per_device_variables_are_typed_kept_per_target_and_audited(client, world):
    one, two = add_device(client, world, "api-sw-own-1", 2206), add_device(client, world, "api-sw-own-2", 2207)
    common = {k: v for k, v in join_variables(321).items() if k != "svi_address"}
    own = {str(one): {"svi_address": "10.21.0.1/24"}, str(two): {"svi_address": "10.21.0.2/24",
                                                                  "ports": ["FastEthernet0/5"]}}
    # a device without its address and no common one: refused naming the common variable
    missing = new_change(client, world, [one, two], variables=common, device_variables={str(one): own[str(one)]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "variables.svi_address"
    # a device's own value is typed like the common ones, and named by device
    bad = new_change(client, world, [one, two], variables=common,
                     device_variables={**own, str(two): {"svi_address": "10.21.0.2", "nope": 1}})
    assert bad.status_code == 422 and "api-sw-own-2" in bad.json()["detail"]
    assert {e["field"] for e in bad.json()["errors"]} == {f"device_variables.{two}.svi_address",
                                                          f"device_variables.{two}.nope"}
    for key in ("³", "x"):                # keys that are no id: 422 naming the place (`'³'.isdigit()` held)
        odd = new_change(client, world, [one], variables=join_variables(321), device_variables={key: {}})
        assert odd.status_code == 422, odd.text
    stranger = new_change(client, world, [one], variables=join_variables(321), device_variables=own)
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == f"device_variables.{two}"
    playbook = client.post("/api/v1/changes", headers=world.headers("infocenter"), json={
        "kind": "playbook", "playbook": "cloud_host_prepare", "hosts": ["10.9.9.9"], "variables": {},
        "device_variables": own})
    assert playbook.status_code == 422
    created = new_change(client, world, [one, two], variables=common, device_variables=own)
    assert created.status_code == 201, created.text
    change = created.json()
    assert [t["variables"] for t in change["targets"]] == [own[str(one)], own[str(two)]]
    assert change["variables"] == common
    shown = client.get(f"/api/v1/changes/{change['id']}", headers=world.headers("edu")).json()
    assert shown["targets"][1]["variables"]["ports"] == ["FastEthernet0/5"]
    entry = client.get("/api/v1/audit", headers=world.headers("auditor"), params={
        "entity_type": "change", "entity_id": change["id"], "action": "create"}).json()["items"][0]
    assert entry["changes"]["device_variables"] == [None, {"api-sw-own-1": own[str(one)],
                                                           "api-sw-own-2": own[str(two)]}]
