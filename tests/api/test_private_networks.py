"""The private-network API (业务专网): records, scope, the classified refusal, every state change and a
refused one, on SQLite and PostgreSQL."""
from __future__ import annotations

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
