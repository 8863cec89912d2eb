"""core/scope.py through the API: a department user reaches their department and those under it, in every
domain's lists and fetches; a missing row is 404, a row outside the subtree 403."""
from __future__ import annotations

from tests.api.test_cloud_requests import payload


def test_the_subtree_is_the_scope_in_every_domain(client, world):
    school, edu = world.depts["school"].id, world.depts["edu"].id
    r = client.post("/api/v1/cloud-requests", json=payload(world, department_id=school),
                    headers=world.headers("school"))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert client.put(f"/api/v1/cloud-quotas/{school}", json={"vcpu": 8},
                      headers=world.headers("infocenter")).status_code == 200

    def seen(user: str) -> dict:
        h = world.headers(user)
        return {
            "request": client.get(f"/api/v1/cloud-requests/{rid}", headers=h).status_code,
            "requests": client.get("/api/v1/cloud-requests", headers=h).json()["total"],
            "under_edu": client.get("/api/v1/cloud-requests", params={"department_id": edu}, headers=h).status_code,
            "quotas": [q["department_id"] for q in client.get("/api/v1/cloud-quotas", headers=h).json()],
            "departments": sorted(d["id"] for d in client.get("/api/v1/departments", headers=h).json()["items"]),
        }
    assert seen("edu") == {"request": 200, "requests": 1, "under_edu": 200, "quotas": [school],
                           "departments": sorted([edu, school])}           # the parent sees the school's row
    assert seen("school") == {"request": 200, "requests": 1, "under_edu": 403, "quotas": [school],
                              "departments": [school]}                      # never upwards
    assert seen("health") == {"request": 403, "requests": 0, "under_edu": 403, "quotas": [],
                              "departments": [world.depts["health"].id]}    # nor sideways
    h = world.headers("edu")
    missing = client.get(f"/api/v1/cloud-requests/{rid + 1000}", headers=h)
    assert (missing.status_code, missing.json()["detail"]) == (404, f"云资源申请 {rid + 1000} 不存在")
    assert client.get("/api/v1/zombie-cases/999999", headers=h).status_code == 404
    assert client.get("/api/v1/systems/999999", headers=h).status_code == 404
