"""Input that answered 500 now gets a 4xx naming the field (or a page with a zh-CN message): integers
past 2^63−1 in ids, offsets and limits; null for a field whose column cannot be empty; dates whose
arithmetic overflows; bad values in page query strings and forms. And timestamps carry their offset."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.api.helpers import create_system, csrf, login
from tests.api.test_cloud_requests import cloud, reach  # noqa: F401  (the fixture is used by name)

HUGE = str(2**64)


def fields(r) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


@pytest.mark.parametrize("path", [
    f"/api/v1/departments/{HUGE}", f"/api/v1/users/{HUGE}", f"/api/v1/systems/{HUGE}",
    f"/api/v1/cloud-requests/{HUGE}", f"/api/v1/cloud-requests/1/attachments/{HUGE}",
    f"/api/v1/zombie-scans/{HUGE}", f"/api/v1/zombie-scans/1/compare?with={HUGE}", f"/api/v1/zombie-cases/{HUGE}",
    f"/api/v1/departments?offset={HUGE}", f"/api/v1/departments?parent_id={HUGE}", f"/api/v1/users?offset={HUGE}",
    f"/api/v1/systems?offset={HUGE}", f"/api/v1/systems?department_id={HUGE}", f"/api/v1/audit?offset={HUGE}",
    f"/api/v1/cloud-requests?offset={HUGE}", f"/api/v1/cloud-requests?department_id={HUGE}",
    f"/api/v1/zombie-cases?department_id={HUGE}", f"/api/v1/zombie-scans?offset={HUGE}",
    f"/api/v1/departments?limit={HUGE}", "/api/v1/departments?level=0.1.0", "/api/v1/zombie-cases?state=bogus",
])
def test_huge_or_bogus_parameters_are_422(client, world, path):
    r = client.get(path, headers=world.headers("admin"))
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] and re.search("[\u4e00-\u9fff]", error["message"]), error  # zh-CN, not pydantic's English


def test_huge_ids_in_bodies_are_422(client, world):
    admin = world.headers("admin")
    r = client.post("/api/v1/departments", json={"code": "11450000MB0000001X", "name": "x", "level": "county",
                                                 "parent_id": 2**64}, headers=admin)
    assert r.status_code == 422 and "parent_id" in fields(r)
    r = client.put("/api/v1/cloud-capacity/public", json={"vcpu": 2**40, "memory_gib": 0, "storage_gib": 0,
                                                          "extranet_ips": 0, "internet_ips": 0, "bandwidth_mbps": 0},
                   headers=world.headers("infocenter"))
    assert r.status_code == 422 and "vcpu" in fields(r)


@pytest.mark.parametrize("body,field", [
    ({"level": None}, "level"), ({"active": None}, "active"), ({"name": None}, "name"), ({"code": None}, "code"),
])
def test_null_for_a_department_field_that_cannot_be_empty(client, world, body, field):
    r = client.patch(f"/api/v1/departments/{world.depts['edu'].id}", json=body, headers=world.headers("admin"))
    assert r.status_code == 422 and field in fields(r), r.text


def test_null_clears_a_department_field_that_may_be_empty(client, world):
    r = client.patch(f"/api/v1/departments/{world.depts['edu'].id}", json={"region": None},
                     headers=world.headers("admin"))
    assert r.status_code == 200 and r.json()["region"] is None


@pytest.mark.parametrize("body,field", [
    ({"display_name": None}, "display_name"), ({"active": None}, "active"), ({"role": None}, "role"),
    ({"password": None}, "password"),
])
def test_null_for_a_user_field_that_cannot_be_empty(client, world, body, field):
    r = client.patch(f"/api/v1/users/{world.users['edu'].id}", json=body, headers=world.headers("admin"))
    assert r.status_code == 422 and field in fields(r), r.text


def test_null_for_system_and_cloud_request_fields(client, world, cloud):  # noqa: F811
    system = create_system(client, world.headers("admin"), world.depts["edu"].id)
    for body, field in [({"name": None}, "name"), ({"networks": None}, "networks"), ({"status": None}, "status")]:
        r = client.patch(f"/api/v1/systems/{system['id']}", json=body, headers=world.headers("admin"))
        assert r.status_code == 422 and field in fields(r), r.text
    r = client.patch(f"/api/v1/systems/{system['id']}", json={"approving_unit": None}, headers=world.headers("admin"))
    assert r.status_code == 200 and r.json()["approving_unit"] is None
    req = reach(client, world, "draft")
    for body, field in [({"purpose": None}, "purpose"), ({"zone": None}, "zone"), ({"lines": None}, "lines")]:
        r = client.patch(f"/api/v1/cloud-requests/{req['id']}", json=body, headers=world.headers("edu"))
        assert r.status_code == 422 and field in fields(r), r.text


def test_lone_surrogates_and_controls_are_cleaned_not_a_500(client, world):
    # Sent as JSON text: the escapes decode to a lone surrogate and ESC on the server.
    body = ('{"code": "11450000MB0000001X", "name": "示范\\ud800县\\u001b局", "level": "county", '
            f'"parent_id": {world.depts["county"].id}}}')
    r = client.post("/api/v1/departments", content=body.encode(),
                    headers={**world.headers("admin"), "content-type": "application/json"})
    assert r.status_code in (201, 422), r.text
    if r.status_code == 201:
        assert r.json()["name"] == "示范县局"
    r = client.patch(f"/api/v1/users/{world.users['edu'].id}", content=b'{"password": "' + b"\\ud800" * 10 + b'"}',
                     headers={**world.headers("admin"), "content-type": "application/json"})
    assert r.status_code == 422 and "password" in fields(r)


@pytest.mark.parametrize("method,path,body", [
    ("get", "/api/v1/systems/1/usage?metric=requests&end=0001-01-05", None),
    ("get", "/api/v1/systems/1/usage?metric=requests&end=9999-12-31", None),
    ("get", "/api/v1/audit?since=0001-01-01", None),
    ("get", "/api/v1/audit?until=9999-12-31", None),
    ("post", "/api/v1/zombie-scans", {"as_of": "0001-01-05"}),
    ("post", "/api/v1/metrics/pull", {"start": "0001-01-01", "end": "0001-01-05"}),
    ("post", "/api/v1/zombie-cases/1/exempt", {"reason": "季节性", "exempt_until": "9999-12-31"}),
])
def test_dates_whose_arithmetic_would_overflow_are_422(client, world, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    r = getattr(client, method)(path, headers=world.headers("admin"), **kwargs)
    assert r.status_code == 422, r.text


def utc(text: str) -> bool:
    """An RFC 3339 UTC time: pydantic writes the zero offset as "Z", the same instant as "+00:00"."""
    return text.endswith(("Z", "+00:00")) and datetime.fromisoformat(text).utcoffset() == timedelta(0)


def test_timestamps_carry_their_offset(client, world):
    """SQLite hands back naive datetimes, which went out without an offset; now every database gives UTC."""
    me = client.get("/api/v1/me", headers=world.headers("edu")).json()
    assert utc(me["created_at"]), me
    system = create_system(client, world.headers("admin"), world.depts["edu"].id)
    assert utc(system["created_at"]) and utc(system["updated_at"])
    system = client.get(f"/api/v1/systems/{system['id']}", headers=world.headers("edu")).json()
    assert utc(system["created_at"]) and utc(system["updated_at"]), system


# --- pages ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/calendar?month=13", "/calendar?year=0", f"/calendar?year={HUGE}", "/zombies?state=bogus",
    "/zombies/scans/1?criterion=bogus", "/cloud?status=bogus", "/cloud?queue=bogus", "/cloud?overdue=maybe",
    f"/systems/{HUGE}", f"/audit?offset={HUGE}", "/cloud/line?i=99999999999",
    "/cloud/line?kind=bogus",
])
def test_bad_page_query_is_a_4xx_page_in_chinese(client, world, path):
    login(client, "admin")
    r = client.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code)
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/zombies?state=", "/cloud?status=&queue=&overdue=", "/audit?since=0001-01-01",
                                  "/systems?status=&network=&offset=",
                                  # the systems list ignores a filter it cannot read (a stale bookmark)
                                  "/systems?status=bogus&network=bogus", f"/systems?department_id={HUGE}",
                                  "/systems?offset=²", f"/systems?offset={HUGE}&protection_level=9"])
def test_blank_or_unusable_filters_mean_no_filter(client, world, path):
    login(client, "admin")
    assert client.get(path).status_code == 200


def test_bad_numbers_and_dates_in_forms(client, cloud):  # noqa: F811
    req = reach(client, cloud, "assessment")
    line = req["lines"][0]["id"]
    login(client, "infocenter")
    token = csrf(client)
    for count in ("abc", HUGE, "-1"):
        r = client.post(f"/cloud/{req['id']}/assess", data={"csrf_token": token, f"trim-{line}-count": count},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        assert "核减后数量" in client.get(f"/cloud/{req['id']}").text
    for path, data in [("/cloud/capacity/public", {"vcpu": "abc"}), ("/cloud/quotas", {"department_id": HUGE}),
                       ("/cloud/quotas", {"department_id": "1", "vcpu": "-5"})]:
        r = client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303, (path, r.text)
        assert re.search("应为整数|应在", client.get("/cloud/capacity").text), path
    login(client, "edu")
    token = csrf(client)
    r = client.post("/cloud/new", data={"csrf_token": token, "lines-x-kind": "vm", "lines-99999999999-kind": "vm"})
    assert r.status_code == 422
    login(client, "auditor")
    token = csrf(client)
    r = client.post("/zombies/scan", data={"csrf_token": token, "as_of": "2026-02-30"}, follow_redirects=False)
    assert r.status_code == 422 and "评估基准日" in r.text
    r = client.post("/zombies/cases/1/exempt", data={"csrf_token": token, "reason": "x", "exempt_until": "明年"},
                    follow_redirects=False)
    assert r.status_code in (303, 404)


def test_metrics_csv_with_carriage_returns_is_read_not_a_500(client, world):
    """Found by schemathesis: a lone \\r made csv raise (500) instead of reading a line break."""
    data = b"system_code,metric,day,value\rNOPE,requests,2026-01-05,3\r"
    r = client.post("/api/v1/metrics/import", files={"file": ("m.csv", data, "text/csv")},
                    headers=world.headers("ops"))
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == 2, r.text


def test_non_finite_usage_values_are_422(client, world):
    body = b'{"samples": [{"system_code": "X", "metric": "requests", "day": "2026-01-05", "value": NaN}]}'
    r = client.post("/api/v1/metrics/samples", content=body,
                    headers={**world.headers("ops"), "content-type": "application/json"})
    assert r.status_code == 422 and "samples.0.value" in fields(r), r.text
