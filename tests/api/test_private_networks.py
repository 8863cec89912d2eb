"""The private-network API (业务专网): records, scope, the classified refusal, every state change and a
refused one, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import text

from tests.api.helpers import create_system


def payload(department_id: int, name: str = "县教育城域网", **extra) -> dict:
    body = {"department_id": department_id, "name": name, "purpose": "连接全县中小学的教育专网",
            "fiscal_funded": True, "sites": ["县教育局机房", "城关镇中心校"],
            "lines": [{"carrier": "中国电信", "count": 12, "bandwidth_mbps": 100, "yearly_rent": "18.6"},
                      {"carrier": "中国移动", "count": 3, "bandwidth_mbps": 50, "yearly_rent": "2.4"}]}
    body.update(extra)
    return body


def create(client, headers, department_id: int, **extra) -> dict:
    r = client.post("/api/v1/private-networks", json=payload(department_id, **extra), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_and_read(client, world):
    h = world.headers("edu")
    system = create_system(client, h, world.depts["school"].id, name="城关镇中心校门户")
    created = create(client, h, world.depts["edu"].id, system_ids=[system["id"]])
    assert created["state"] == "in_use" and created["department_name"] == "示范县教育局"
    assert created["systems"] == [{"id": system["id"], "code": system["code"], "name": "城关镇中心校门户"}]
    assert float(created["yearly_rent_total"]) == 21.0 and created["actions"] == ["connect"]
    r = client.get(f"/api/v1/private-networks/{created['id']}", headers=h)
    assert r.status_code == 200 and r.json()["lines"][0]["carrier"] == "中国电信"
    assert r.json()["sites"] == ["县教育局机房", "城关镇中心校"]


def test_list_filters_and_paging(client, world):
    h = world.headers("countyoffice")
    create(client, h, world.depts["edu"].id)
    create(client, h, world.depts["health"].id, name="县卫生专网", fiscal_funded=False, purpose="医共体")
    create(client, h, world.depts["school"].id, name="校园视频专网")

    def names(**params) -> list[str]:
        r = client.get("/api/v1/private-networks", params=params, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(r.json()["items"]) or "limit" in params
        return sorted(item["name"] for item in r.json()["items"])

    assert names() == ["县卫生专网", "县教育城域网", "校园视频专网"]
    assert names(department_id=world.depts["edu"].id) == ["县教育城域网", "校园视频专网"]
    assert names(fiscal=False) == ["县卫生专网"]
    assert names(q="医共") == ["县卫生专网"]
    assert names(state="connected") == []
    r = client.get("/api/v1/private-networks", params={"limit": 1, "offset": 1}, headers=h)
    assert r.json()["total"] == 3 and len(r.json()["items"]) == 1
    assert client.get("/api/v1/private-networks", params={"state": "nope"}, headers=h).status_code == 422


def test_scope_cross_department_reads_and_writes_are_forbidden(client, world):
    edu = create(client, world.headers("edu"), world.depts["edu"].id)
    h = world.headers("health")
    assert client.get(f"/api/v1/private-networks/{edu['id']}", headers=h).status_code == 403
    assert client.patch(f"/api/v1/private-networks/{edu['id']}", json={"purpose": "改"}, headers=h).status_code == 403
    assert client.post(f"/api/v1/private-networks/{edu['id']}/connect", json={}, headers=h).status_code == 403
    r = client.post("/api/v1/private-networks", json=payload(world.depts["edu"].id, name="别人的"), headers=h)
    assert r.status_code == 403
    assert client.get("/api/v1/private-networks", params={"department_id": world.depts["edu"].id},
                      headers=h).status_code == 403
    assert client.get("/api/v1/private-networks", headers=h).json()["total"] == 0
    # The school sees nothing above it; the county office sees its subtree; bureau and auditor see all.
    assert client.get(f"/api/v1/private-networks/{edu['id']}", headers=world.headers("school")).status_code == 403
    for user in ("countyoffice", "bureau", "auditor", "infocenter"):
        assert client.get(f"/api/v1/private-networks/{edu['id']}", headers=world.headers(user)).status_code == 200
    # The auditor and the bureau read only.
    for user in ("auditor", "bureau"):
        hu = world.headers(user)
        assert client.patch(f"/api/v1/private-networks/{edu['id']}", json={"purpose": "改"},
                            headers=hu).status_code == 403
        assert client.post(f"/api/v1/private-networks/{edu['id']}/connect", json={}, headers=hu).status_code == 403
        assert client.post("/api/v1/private-networks", json=payload(world.depts["edu"].id, name="审计的"),
                           headers=hu).status_code == 403


def test_classified_network_is_refused_and_nothing_is_stored(client, world, app):
    h = world.headers("edu")
    secret = "涉密指挥专网XYZ"
    r = client.post("/api/v1/private-networks", json=payload(world.depts["edu"].id, name=secret, is_classified=True,
                                                             purpose="机要通信"), headers=h)
    assert r.status_code == 422 and r.json()["code"] == "classified"
    assert "保密局" in r.json()["detail"]
    existing = create(client, h, world.depts["edu"].id)
    r = client.patch(f"/api/v1/private-networks/{existing['id']}", json={"is_classified": True, "name": secret},
                     headers=h)
    assert r.status_code == 200 and r.json()["removed"] is True and "保密局" in r.json()["detail"]
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM private_network")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM private_network WHERE name = :n"), {"n": secret}).scalar() == 0
        entries = conn.execute(text("SELECT entity_label, changes FROM audit_entry")).all()
    assert not any(secret in str(e) or "机要" in str(e) for e in entries)


def test_systems_on_a_network_are_checked(client, world):
    h = world.headers("countyoffice")
    own = create_system(client, h, world.depts["edu"].id, name="学籍系统")
    other = create_system(client, h, world.depts["health"].id, name="医保系统")
    secret = client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "涉密系统",
                                                  "is_classified": True}, headers=h)
    assert secret.status_code == 201, secret.text
    for ids, code in (([other["id"]], "other_department"), ([secret.json()["id"]], "classified"),
                      ([987654], "not_found")):
        r = client.post("/api/v1/private-networks", json=payload(world.depts["edu"].id, system_ids=ids), headers=h)
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    net = create(client, h, world.depts["edu"].id, system_ids=[own["id"], own["id"]])
    assert [s["name"] for s in net["systems"]] == ["学籍系统"]
    # Moving the network to the health bureau re-checks the systems it carries.
    r = client.patch(f"/api/v1/private-networks/{net['id']}", json={"department_id": world.depts["health"].id},
                     headers=h)
    assert r.status_code == 422 and r.json()["code"] == "other_department"
    r = client.patch(f"/api/v1/private-networks/{net['id']}", json={"department_id": world.depts["health"].id,
                                                                    "system_ids": [other["id"]]}, headers=h)
    assert r.status_code == 200 and [s["name"] for s in r.json()["systems"]] == ["医保系统"]


def test_update_is_audited_before_and_after(client, world):
    h = world.headers("edu")
    net = create(client, h, world.depts["edu"].id)
    r = client.patch(f"/api/v1/private-networks/{net['id']}", json={
        "purpose": "教育专网（含视频会议）", "lines": [{"carrier": "中国电信", "count": 10, "bandwidth_mbps": 200,
                                                "yearly_rent": "20"}]}, headers=h)
    assert r.status_code == 200 and float(r.json()["yearly_rent_total"]) == 20
    for field in ("name", "lines", "system_ids", "fiscal_funded"):
        r = client.patch(f"/api/v1/private-networks/{net['id']}", json={field: None}, headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field
    assert client.patch(f"/api/v1/private-networks/{net['id']}", json={"state": "merged"}, headers=h).status_code == 422
    other = create(client, h, world.depts["edu"].id, name="另一张网")
    r = client.patch(f"/api/v1/private-networks/{other['id']}", json={"name": "县教育城域网"}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "duplicate_name"
    r = client.get("/api/v1/audit", params={"entity_type": "private_network", "entity_id": net["id"]},
                   headers=world.headers("auditor"))
    assert r.status_code == 200, r.text
    actions = [e["action"] for e in r.json()["items"]]
    assert sorted(actions) == ["create", "update"]
    update = next(e for e in r.json()["items"] if e["action"] == "update")
    assert update["changes"]["purpose"] == ["连接全县中小学的教育专网", "教育专网（含视频会议）"]
    assert update["changes"]["lines"][0][0]["carrier"] == "中国电信" and len(update["changes"]["lines"][0]) == 2


def test_every_transition_and_a_refused_one(client, world, frozen_clock):
    frozen_clock("2026-06-01 10:00")
    h = world.headers("edu")
    for outcome, state in (("withdraw", "withdrawn"), ("merge", "merged"), ("convert", "converted")):
        net = create(client, h, world.depts["edu"].id, name=f"专网-{outcome}")
        url = f"/api/v1/private-networks/{net['id']}"
        # Not yet connected: migrating is refused with the reason.
        r = client.post(f"{url}/migrate", json={}, headers=h)
        assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
        assert "在用" in r.json()["detail"] and "联通" in r.json()["detail"]
        r = client.post(f"{url}/connect", json={"on": "2026-03-02", "note": "已接入政务外网"}, headers=h)
        assert r.status_code == 200 and r.json()["state"] == "connected" and r.json()["connected_on"] == "2026-03-02"
        r = client.post(f"{url}/migrate", json={"on": "2026-03-01"}, headers=h)
        assert r.status_code == 422  # before the connection
        r = client.post(f"{url}/migrate", json={}, headers=h)
        assert r.status_code == 200 and r.json()["migrating_on"] == "2026-06-01"
        assert r.json()["actions"] == ["withdraw", "merge", "convert"]
        assert client.post(f"{url}/{outcome}", json={"on": "2026-06-01"}, headers=h).status_code == 422  # no note
        assert client.post(f"{url}/{outcome}", json={"on": "2026-06-02", "note": "x"}, headers=h).status_code == 422
        r = client.post(f"{url}/{outcome}", json={"on": "2026-06-01", "note": "业务并入政务外网专用区"}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == state and r.json()["outcome_on"] == "2026-06-01" and r.json()["actions"] == []
        assert r.json()["outcome_note"] == "业务并入政务外网专用区"
        r = client.post(f"{url}/connect", json={}, headers=h)
        assert r.status_code == 409 and "不能再联通" in r.json()["detail"]
    assert client.post(f"{url}/explode", json={}, headers=h).status_code == 404
    r = client.get("/api/v1/private-networks", params={"state": "merged"}, headers=h)
    assert [i["name"] for i in r.json()["items"]] == ["专网-merge"]
    r = client.get("/api/v1/audit", params={"entity_type": "private_network", "action": "merge"},
                   headers=world.headers("auditor"))
    entry = r.json()["items"][0]
    assert entry["changes"]["state"] == ["migrating", "merged"] and entry["changes"]["outcome_on"][1] == "2026-06-01"


def test_metric_counts_networks_by_state_with_every_state_present(client, world):
    h = world.headers("edu")
    net = create(client, h, world.depts["edu"].id)
    create(client, h, world.depts["edu"].id, name="第二张网")
    assert client.post(f"/api/v1/private-networks/{net['id']}/connect", json={}, headers=h).status_code == 200
    metrics = client.get("/metrics").text
    assert 'yunzhang_private_networks{state="in_use"} 1.0' in metrics
    assert 'yunzhang_private_networks{state="connected"} 1.0' in metrics
    for state in ("migrating", "withdrawn", "merged", "converted"):
        assert f'yunzhang_private_networks{{state="{state}"}} 0.0' in metrics


def test_a_system_deleted_since_does_not_block_other_edits(client, world):
    h = world.headers("edu")
    system = create_system(client, h, world.depts["edu"].id, name="旧系统", status="registered")
    net = create(client, h, world.depts["edu"].id, system_ids=[system["id"]])
    assert client.delete(f"/api/v1/systems/{system['id']}", headers=h).status_code == 204
    r = client.patch(f"/api/v1/private-networks/{net['id']}", json={"purpose": "新的用途"}, headers=h)
    assert r.status_code == 200 and r.json()["purpose"] == "新的用途"
    r = client.patch(f"/api/v1/private-networks/{net['id']}", json={"system_ids": [system["id"]]}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "not_found"
