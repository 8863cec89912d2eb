"""The inventory API: CRUD, filters, sorting, paging, lifecycle, scope, classified and vertical rules."""
from __future__ import annotations

import pytest

from tests.api.helpers import create_system, system_payload


def test_create_read_update_delete(client, world):
    h = world.headers("edu")
    created = create_system(client, h, world.depts["edu"].id)
    assert created["code"].startswith("YZ-")
    assert created["department_name"] == "示范县教育局"
    assert created["networks"] == ["extranet", "internet"]
    assert created["sharing"][0]["method"] == "api"
    sid = created["id"]

    r = client.get(f"/api/v1/systems/{sid}", headers=h)
    assert r.status_code == 200 and r.json()["build_cost"] in ("52.5", "52.5000")

    r = client.patch(f"/api/v1/systems/{sid}", json={"user_count": None, "user_count_varies": True}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["user_count_varies"] is True

    r = client.get(f"/api/v1/systems/by-code/{created['code']}", headers=h)
    assert r.json()["id"] == sid

    # A running system is not deleted: stop it first.
    assert client.delete(f"/api/v1/systems/{sid}", headers=h).status_code == 409
    assert client.post(f"/api/v1/systems/{sid}/stop", json={"comment": "停用"}, headers=h).status_code == 200
    assert client.delete(f"/api/v1/systems/{sid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/systems/{sid}", headers=h).status_code == 404
    # The name is free again, the code is not.
    again = create_system(client, h, world.depts["edu"].id)
    assert again["code"] != created["code"]
    r = client.post("/api/v1/systems", json=system_payload(world.depts["edu"].id, name="另一个", code=created["code"]),
                    headers=h)
    assert r.status_code == 409 and r.json()["code"] == "duplicate_code"


def test_given_code_is_kept_and_validated(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, code="EDU-XJ-01")
    assert s["code"] == "EDU-XJ-01"
    r = client.post("/api/v1/systems", json=system_payload(world.depts["edu"].id, name="x", code="坏 编码"), headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "code"


def test_duplicate_name_in_department_is_409(client, world):
    h = world.headers("edu")
    create_system(client, h, world.depts["edu"].id)
    r = client.post("/api/v1/systems", json=system_payload(world.depts["edu"].id), headers=h)
    assert r.status_code == 409 and r.json()["code"] == "duplicate_name"
    # The same name in another department is another system.
    create_system(client, world.headers("health"), world.depts["health"].id)


@pytest.mark.parametrize("action,start,expected", [
    ("start", "registered", 200), ("stop", "registered", 409), ("decommission", "registered", 409),
    ("stop", "running", 200), ("start", "running", 409), ("decommission", "running", 409),
    ("start", "stopped", 200), ("decommission", "stopped", 200), ("stop", "stopped", 409),
    ("start", "decommissioned", 409), ("stop", "decommissioned", 409), ("decommission", "decommissioned", 409),
])
def test_lifecycle_transitions(client, world, action, start, expected):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, status=start)
    r = client.post(f"/api/v1/systems/{s['id']}/{action}", json={"comment": "测试"}, headers=h)
    assert r.status_code == expected, r.text
    if expected == 409:
        body = r.json()
        assert body["code"] == "illegal_transition" and body["detail"]


def test_status_through_patch_follows_lifecycle(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, status="running")
    r = client.patch(f"/api/v1/systems/{s['id']}", json={"status": "decommissioned"}, headers=h)
    assert r.status_code == 409 and "只能变更为" in r.json()["detail"]
    assert client.patch(f"/api/v1/systems/{s['id']}", json={"status": "stopped"}, headers=h).status_code == 200


def test_unknown_action_is_404(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id)
    assert client.post(f"/api/v1/systems/{s['id']}/explode", headers=h).status_code == 404


def test_consistency_rules(client, world):
    h = world.headers("edu")
    dept = world.depts["edu"].id
    r = client.post("/api/v1/systems", json=system_payload(dept, can_reach_external=False, reach_method=None),
                    headers=h)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"no_reach_reason"}
    r = client.post("/api/v1/systems", json=system_payload(dept, protection_level=6), headers=h)
    assert r.status_code == 422
    r = client.post("/api/v1/systems", json=system_payload(dept, user_count_varies=True), headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "contradiction"


def test_classified_system_keeps_minimal_fields(client, world):
    h = world.headers("edu")
    dept = world.depts["edu"].id
    r = client.post("/api/v1/systems", json=system_payload(dept, name="涉密系统", is_classified=True), headers=h)
    assert r.status_code == 422
    assert all(e["code"] == "classified_minimal" for e in r.json()["errors"])
    r = client.post("/api/v1/systems", json={"department_id": dept, "name": "涉密系统", "is_classified": True,
                                             "classified_grade": "confidential"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["is_classified"] is True


def test_vertical_system_has_reduced_fields(client, world):
    h = world.headers("edu")
    dept = world.depts["edu"].id
    r = client.post("/api/v1/systems", json=system_payload(dept, kind="vertical"), headers=h)
    assert r.status_code == 422
    assert all(e["code"] == "vertical_reduced" for e in r.json()["errors"])
    r = client.post("/api/v1/systems", json={"department_id": dept, "name": "全国学籍系统", "kind": "vertical",
                                             "networks": ["extranet"], "function_description": "部署于教育部",
                                             "other_notes": "垂直管理"}, headers=h)
    assert r.status_code == 201, r.text


def test_list_filters_sort_and_paging(client, world):
    admin = world.headers("admin")
    edu, health, school = world.depts["edu"].id, world.depts["health"].id, world.depts["school"].id
    create_system(client, admin, edu, name="甲系统", networks=["private"], usage_frequency="yearly",
                  protection_level=3)
    create_system(client, admin, school, name="乙系统", networks=["extranet"], status="stopped")
    create_system(client, admin, health, name="丙系统", networks=["intranet", "internet"],
                  function_description="疫苗接种登记")

    def names(**params):
        r = client.get("/api/v1/systems", params=params, headers=admin)
        assert r.status_code == 200, r.text
        return [i["name"] for i in r.json()["items"]]

    assert set(names(department_id=edu)) == {"甲系统", "乙系统"}          # the subtree
    assert names(network="private") == ["甲系统"]
    assert names(network="internet") == ["丙系统"]
    assert names(status="stopped") == ["乙系统"]
    assert names(protection_level=3) == ["甲系统"]
    assert names(usage_frequency="yearly") == ["甲系统"]
    assert names(q="疫苗") == ["丙系统"]
    assert names(q="卫生健康") == ["丙系统"]                                # department name
    assert names(sort="-name") == sorted(names(sort="name"), reverse=True)
    r = client.get("/api/v1/systems", params={"limit": 2, "offset": 2, "sort": "name"}, headers=admin)
    assert r.json()["total"] == 3 and len(r.json()["items"]) == 1
    assert client.get("/api/v1/systems", params={"sort": "password"}, headers=admin).status_code == 422
    assert client.get("/api/v1/systems", params={"network": "satellite"}, headers=admin).status_code == 422


def test_free_text_search_follows_every_change(client, world):
    """Three characters or more go through the SQLite trigram index, shorter ones through LIKE; both
    see creates and edits at once, and both find name, code, function and O&M vendor."""
    admin = world.headers("admin")
    edu = world.depts["edu"].id
    a = create_system(client, admin, edu, name="学籍管理系统", code="EDU-XJ-01", function_description="学生转学办理",
                      om_vendors="云岭数据科技有限公司")
    create_system(client, admin, edu, name="校车调度平台", function_description="校车线路")

    def names(q: str) -> list[str]:
        r = client.get("/api/v1/systems", params={"q": q}, headers=admin)
        assert r.status_code == 200, r.text
        return sorted(i["name"] for i in r.json()["items"])

    assert names("学籍管理") == ["学籍管理系统"] and names("edu-xj") == ["学籍管理系统"]
    assert names("转学办理") == ["学籍管理系统"] and names("云岭数据") == ["学籍管理系统"]
    assert names("校车") == ["校车调度平台"] and names("籍") == ["学籍管理系统"]
    assert names('"引号" OR x') == []                                   # taken as text, not as a query
    r = client.patch(f"/api/v1/systems/{a['id']}", json={"name": "学生综合服务平台"}, headers=admin)
    assert r.status_code == 200, r.text
    assert names("学籍管理") == [] and names("综合服务") == ["学生综合服务平台"]


def test_department_user_sees_its_subtree_only(client, world):
    admin = world.headers("admin")
    create_system(client, admin, world.depts["edu"].id, name="教育局系统")
    create_system(client, admin, world.depts["school"].id, name="学校系统")
    create_system(client, admin, world.depts["health"].id, name="卫健系统")
    r = client.get("/api/v1/systems", headers=world.headers("edu"))
    assert {i["name"] for i in r.json()["items"]} == {"教育局系统", "学校系统"}
    r = client.get("/api/v1/systems", headers=world.headers("school"))
    assert {i["name"] for i in r.json()["items"]} == {"学校系统"}
    for role in ("bureau", "infocenter", "auditor", "ops"):
        assert client.get("/api/v1/systems", headers=world.headers(role)).json()["total"] == 3


@pytest.mark.parametrize("role,expected", [("admin", 201), ("infocenter", 201), ("bureau", 403),
                                           ("auditor", 403), ("ops", 403)])
def test_write_roles(client, world, role, expected):
    r = client.post("/api/v1/systems", json=system_payload(world.depts["health"].id), headers=world.headers(role))
    assert r.status_code == expected, r.text


def test_every_cross_department_read_and_write_is_403(client, world):
    foreign = create_system(client, world.headers("health"), world.depts["health"].id)
    sid, h = foreign["id"], world.headers("edu")
    attempts = [
        client.get(f"/api/v1/systems/{sid}", headers=h),
        client.get(f"/api/v1/systems/by-code/{foreign['code']}", headers=h),
        client.patch(f"/api/v1/systems/{sid}", json={"user_count": 1}, headers=h),
        client.delete(f"/api/v1/systems/{sid}", headers=h),
        client.post(f"/api/v1/systems/{sid}/stop", headers=h),
        client.post("/api/v1/systems", json=system_payload(world.depts["health"].id, name="冒名"), headers=h),
        client.get("/api/v1/systems", params={"department_id": world.depts["health"].id}, headers=h),
        client.get(f"/api/v1/departments/{world.depts['health'].id}", headers=h),
        # Moving one's own system into another department is a write there too.
        client.patch(f"/api/v1/systems/{create_system(client, h, world.depts['edu'].id)['id']}",
                     json={"department_id": world.depts["health"].id}, headers=h),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    # The parent's user reaches the child; the child's user does not reach the parent.
    own = create_system(client, world.headers("school"), world.depts["school"].id, name="学校系统")
    assert client.get(f"/api/v1/systems/{own['id']}", headers=h).status_code == 200
    edu_sys = client.get("/api/v1/systems", params={"department_id": world.depts["edu"].id}, headers=h).json()
    first_edu = next(i for i in edu_sys["items"] if i["department_id"] == world.depts["edu"].id)
    assert client.get(f"/api/v1/systems/{first_edu['id']}", headers=world.headers("school")).status_code == 403


def test_writes_are_audited_with_diff(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id)
    client.patch(f"/api/v1/systems/{s['id']}", json={"user_count": 300}, headers=h)
    client.post(f"/api/v1/systems/{s['id']}/stop", json={"comment": "迁移上云"}, headers=h)
    r = client.get("/api/v1/audit", params={"entity_type": "system", "entity_id": str(s["id"])},
                   headers=world.headers("auditor"))
    entries = r.json()["items"]
    assert [e["action"] for e in entries] == ["stop", "update", "create"]
    assert entries[0]["changes"] == {"status": ["running", "stopped"], "comment": "迁移上云"}
    assert entries[1]["changes"] == {"user_count": [120, 300]}
    assert entries[2]["actor"] == "edu" and entries[2]["changes"]["name"] == [None, "县中小学学籍管理系统"]


def test_patch_without_change_writes_no_audit(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id)
    client.patch(f"/api/v1/systems/{s['id']}", json={"user_count": 120}, headers=h)
    r = client.get("/api/v1/audit", params={"entity_id": str(s["id"]), "entity_type": "system"},
                   headers=world.headers("auditor"))
    assert r.json()["total"] == 1


def test_code_is_stable(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, code="EDU-01")
    r = client.patch(f"/api/v1/systems/{s['id']}", json={"code": "EDU-02"}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "code_immutable"
    assert client.patch(f"/api/v1/systems/{s['id']}", json={"code": "EDU-01", "user_count": 5},
                        headers=h).status_code == 200
