"""Zombie detection end to end: metrics in, a reference dataset with known verdicts, scans and their
comparison, the review per role through to clean-up, exports and /metrics."""
from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest

from tests.api.helpers import create_system

AS_OF = date(2026, 11, 22)
DAYS = [AS_OF - timedelta(days=i) for i in range(90)]


def usage(code: str, requests=None, logins=None, cpu=None, net=None, users=None, deployments=None,
          days=DAYS) -> list[dict]:
    out = []
    for d in days:
        for metric, value in (("requests", requests), ("logins", logins), ("cpu_p95", cpu),
                              ("network_bytes", net), ("active_users", users), ("deployments", deployments)):
            if value is not None:
                out.append({"system_code": code, "metric": metric, "day": d.isoformat(),
                            "value": value(d) if callable(value) else value})
    return out


def push(client, world, samples, user="ops"):
    r = client.post("/api/v1/metrics/samples", json={"samples": samples}, headers=world.headers(user))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def fleet(client, world):
    """A reference dataset with known verdicts."""
    edu, health = world.depts["edu"].id, world.depts["health"].id
    h = world.headers("admin")
    s = {
        "quiet": create_system(client, h, edu, name="县教育宣传网站", code="EDU-QUIET",
                               function_description="教育新闻发布"),
        "busy": create_system(client, h, edu, name="县中小学学籍管理系统", code="EDU-BUSY",
                              function_description="学籍登记、转学、毕业"),
        "idle": create_system(client, h, health, name="县卫生应急指挥系统", code="HEALTH-IDLE",
                              function_description="应急指挥调度"),
        "blind": create_system(client, h, health, name="县妇幼保健信息系统", code="HEALTH-BLIND",
                               function_description="妇幼保健档案"),
        "stopped": create_system(client, h, edu, name="已停用系统", code="EDU-STOPPED", status="stopped"),
    }
    client.post("/api/v1/systems", json={"department_id": edu, "name": "涉密办公系统", "code": "EDU-SECRET",
                                         "is_classified": True, "status": "running"}, headers=h)
    weekly = lambda d: 1 if d.weekday() == 2 else 0  # noqa: E731
    push(client, world,
         usage("EDU-QUIET", requests=0, logins=0, cpu=0.2, net=2e8, users=0)
         + usage("EDU-BUSY", requests=800, logins=120, cpu=0.45, net=3e9, users=300, deployments=weekly)
         + usage("HEALTH-IDLE", requests=20, logins=3, cpu=0.01, net=1e6, users=3)
         + usage("EDU-STOPPED", requests=0, logins=0))
    return s


def scan(client, world, as_of=AS_OF, user="auditor"):
    r = client.post("/api/v1/zombie-scans", json={"as_of": as_of.isoformat()}, headers=world.headers(user))
    assert r.status_code == 201, r.text
    return r.json()


def verdict_map(client, world, scan_id, user="auditor") -> dict[str, dict]:
    items = client.get(f"/api/v1/zombie-scans/{scan_id}/verdicts", headers=world.headers(user)).json()["items"]
    return {v["system_code"]: v for v in items}


def test_reference_dataset_verdicts(client, world, fleet):
    result = scan(client, world)
    assert result["scanned"] == 5 and result["classified_scanned"] == 1      # running systems only
    assert result["candidates"] == 2 and result["insufficient"] == 1
    v = verdict_map(client, world, result["id"])
    assert set(v) == {"EDU-QUIET", "EDU-BUSY", "HEALTH-IDLE", "HEALTH-BLIND"}  # no stopped, no classified
    assert v["EDU-QUIET"]["status"] == "candidate" and "business_disconnected" in v["EDU-QUIET"]["held"]
    assert v["HEALTH-IDLE"]["status"] == "candidate" and "idle_resources" in v["HEALTH-IDLE"]["held"]
    assert v["EDU-BUSY"]["status"] == "healthy"
    assert v["HEALTH-BLIND"]["status"] == "insufficient_data"
    c1 = v["EDU-QUIET"]["criteria"]["business_disconnected"]
    assert c1["observed"]["days_with_requests"] == 90 and c1["thresholds"]["max_requests_per_day"] == 1
    assert c1["window"] == {"from": "2026-08-25", "to": "2026-11-22", "days": 90} and "90/90" in c1["sentence"]
    assert v["EDU-BUSY"]["criteria"]["maintenance_stopped"]["status"] == "not_held"
    # Filters.
    h = world.headers("auditor")
    only = client.get(f"/api/v1/zombie-scans/{result['id']}/verdicts", params={"candidate": True,
                                                                              "criterion": "idle_resources"},
                      headers=h).json()
    assert [i["system_code"] for i in only["items"]] == ["HEALTH-IDLE"]
    mine = client.get(f"/api/v1/zombie-scans/{result['id']}/verdicts", headers=world.headers("edu")).json()
    assert {i["system_code"] for i in mine["items"]} == {"EDU-QUIET", "EDU-BUSY"}


def test_metrics_csv_import_errors_and_idempotence(client, world, fleet):
    h = world.headers("ops")
    bad = ("system_code,metric,day,value\nEDU-BUSY,requests,2026-11-01,5\nNOPE,requests,2026-11-01,1\n"
           "EDU-BUSY,cpu_p95,2026-11-01,1.5\nEDU-BUSY,bogus,2026-11-01,1\nEDU-BUSY,logins,2026/11/01,1\n"
           "EDU-BUSY,logins,2026-11-02,-3\nEDU-BUSY,requests,2026-11-01,6\n")
    r = client.post("/api/v1/metrics/import", files={"file": ("m.csv", bad.encode(), "text/csv")}, headers=h)
    assert r.status_code == 422
    errors = {(e["row"], e["code"]) for e in r.json()["errors"]}
    assert errors == {(3, "unknown_system"), (4, "out_of_range"), (5, "unknown_metric"), (6, "invalid_date"),
                      (7, "invalid_value"), (8, "duplicate_row")}
    series = client.get(f"/api/v1/systems/{fleet['busy']['id']}/usage",
                        params={"metric": "requests", "days": 1, "end": "2026-11-01"}, headers=h).json()
    assert series["points"][0]["value"] == 800                              # nothing of the bad file was written
    good = "system_code,metric,day,value\nEDU-BUSY,requests,2026-11-01,5\nEDU-BUSY,logins,2026-11-01,2\n"
    for _ in range(2):
        r = client.post("/api/v1/metrics/import", files={"file": ("m.csv", good.encode(), "text/csv")}, headers=h)
        assert r.status_code == 200 and r.json()["samples"] == 2
    series = client.get(f"/api/v1/systems/{fleet['busy']['id']}/usage",
                        params={"metric": "requests", "days": 1, "end": "2026-11-01"}, headers=h).json()
    assert series["points"] == [{"day": "2026-11-01", "value": 5.0}]
    r = client.post("/api/v1/metrics/import", files={"file": ("m.csv", b"code,metric\n", "text/csv")}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "bad_header"
    assert client.post("/api/v1/metrics/import", files={"file": ("m.csv", good.encode(), "text/csv")},
                       headers=world.headers("auditor")).status_code == 403


def test_scans_compare_and_a_candidate_leaves_by_itself(client, world, fleet):
    first = scan(client, world)
    # HEALTH-IDLE wakes up for the last 30 days.
    push(client, world, usage("HEALTH-IDLE", cpu=0.6, net=5e9, requests=900, days=DAYS[:30]))
    second = scan(client, world)
    diff = client.get(f"/api/v1/zombie-scans/{second['id']}/compare", params={"with": first["id"]},
                      headers=world.headers("auditor")).json()
    assert [i["system_name"] for i in diff["gone"]] == ["县卫生应急指挥系统"]
    assert [i["system_name"] for i in diff["unchanged"]] == ["县教育宣传网站"] and diff["new"] == []
    cases = {c["system_name"]: c for c in client.get("/api/v1/zombie-cases",
                                                     headers=world.headers("auditor")).json()["items"]}
    assert cases["县卫生应急指挥系统"]["state"] == "cleared"
    assert cases["县卫生应急指挥系统"]["cleared_scan_id"] == second["id"]
    assert cases["县教育宣传网站"]["state"] == "candidate"


def case_of(client, world, code) -> dict:
    items = client.get("/api/v1/zombie-cases", headers=world.headers("auditor")).json()["items"]
    return next(c for c in items if c["system_code"] == code)


def act(client, world, user, case_id, action, **body):
    return client.post(f"/api/v1/zombie-cases/{case_id}/{action}", json=body, headers=world.headers(user))


def test_review_per_role_through_clean_up(client, world, fleet):
    # The quiet system holds a cloud allocation that the clean-up must reclaim.
    from tests.api.test_cloud_requests import PATH, payload
    for zone in ("public",):
        client.put(f"/api/v1/cloud-capacity/{zone}", json={"vcpu": 100, "memory_gib": 400, "storage_gib": 5000,
                                                          "extranet_ips": 5, "internet_ips": 5, "bandwidth_mbps": 100},
                   headers=world.headers("infocenter"))
    req = client.post("/api/v1/cloud-requests", json=payload(world, new_system_name=None, system_id=fleet["quiet"]["id"]),
                      headers=world.headers("edu")).json()
    for user, action, body in PATH["in_use"]:
        assert act_cloud(client, world, user, req["id"], action, body).status_code == 200

    scan(client, world)
    case = case_of(client, world, "EDU-QUIET")
    cid = case["id"]
    assert act(client, world, "edu", cid, "confirm", reason="x").status_code == 403
    assert act(client, world, "health", cid, "respond", reason="x").status_code == 403   # not their system
    assert act(client, world, "auditor", cid, "confirm").status_code == 422               # reason required
    r = act(client, world, "edu", cid, "respond", reason="网站内容已并入县政府门户")
    assert r.status_code == 200 and r.json()["state"] == "candidate"
    assert act(client, world, "bureau", cid, "plan_cleanup").status_code == 409           # not confirmed yet
    r = act(client, world, "auditor", cid, "confirm", reason="连续 90 天无业务请求、无登录")
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    assert act(client, world, "auditor", cid, "plan_cleanup").status_code == 403          # the Bureau plans
    r = act(client, world, "bureau", cid, "plan_cleanup", plan={"archive": "数据移交档案馆", "reclaim_cloud": True})
    assert r.status_code == 200 and r.json()["state"] == "cleanup_planned"
    assert act(client, world, "edu", cid, "complete_cleanup").status_code == 403
    r = act(client, world, "infocenter", cid, "complete_cleanup", reason="已下线")
    assert r.status_code == 200 and r.json()["state"] == "cleaned_up"
    system = client.get(f"/api/v1/systems/{fleet['quiet']['id']}", headers=world.headers("admin")).json()
    assert system["status"] == "decommissioned"
    cloud = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=world.headers("admin")).json()
    assert cloud["status"] == "reclaimed" and cloud["reclaim_reason"] == "zombie_cleanup"
    assert act(client, world, "bureau", cid, "complete_cleanup").status_code == 409
    trail = client.get("/api/v1/audit", params={"entity_type": "zombie_case", "entity_id": str(cid)},
                       headers=world.headers("auditor")).json()["items"]
    assert [e["action"] for e in reversed(trail)] == ["open", "respond", "confirm", "plan_cleanup",
                                                      "complete_cleanup"]


def act_cloud(client, world, user, rid, action, body):
    return client.post(f"/api/v1/cloud-requests/{rid}/{action}", json=body, headers=world.headers(user))


def test_confirmed_system_whose_usage_returns_is_flagged_not_cleaned(client, world, fleet):
    scan(client, world)
    cid = case_of(client, world, "EDU-QUIET")["id"]
    act(client, world, "auditor", cid, "confirm", reason="无业务")
    push(client, world, usage("EDU-QUIET", requests=300, logins=40, days=DAYS[:30]))
    push(client, world, usage("EDU-QUIET", requests=300, logins=40, days=DAYS[30:]))
    scan(client, world)
    case = case_of(client, world, "EDU-QUIET")
    assert case["state"] == "confirmed" and case["needs_rereview"] is True and "已不再满足" in case["rereview_reason"]
    scan(client, world)                                               # still flagged: nothing new to record
    trail = client.get("/api/v1/audit", params={"entity_type": "zombie_case", "entity_id": str(cid)},
                       headers=world.headers("auditor")).json()["items"]
    assert [e["action"] for e in reversed(trail)] == ["open", "confirm", "scan-update"]
    r = act(client, world, "bureau", cid, "plan_cleanup")
    assert r.status_code == 409 and r.json()["code"] == "needs_rereview"
    r = act(client, world, "auditor", cid, "exempt", reason="已恢复使用")
    assert r.json()["state"] == "exempted" and r.json()["needs_rereview"] is False


def test_seasonal_exemption_comes_back_after_its_date(client, world, fleet, frozen_clock):
    frozen_clock("2026-11-23 09:00")
    scan(client, world)
    cid = case_of(client, world, "HEALTH-IDLE")["id"]
    assert act(client, world, "bureau", cid, "exempt", reason="汛期使用", exempt_until="2026-11-20").status_code == 422
    r = act(client, world, "bureau", cid, "exempt", reason="防汛季节性系统", exempt_until="2026-12-31")
    assert r.json()["state"] == "exempted"
    scan(client, world, as_of=date(2026, 12, 20))                 # still exempt (and idle data has run out)
    assert case_of(client, world, "HEALTH-IDLE")["state"] == "exempted"
    later = [date(2027, 1, 5) - timedelta(days=i) for i in range(30)]
    push(client, world, usage("HEALTH-IDLE", requests=20, logins=3, cpu=0.01, net=1e6, days=later))
    scan(client, world, as_of=date(2027, 1, 5))
    assert case_of(client, world, "HEALTH-IDLE")["state"] == "candidate"


def test_auditors_list_export(client, world, fleet):
    scan(client, world)
    r = client.get("/api/v1/zombie-cases/export.xlsx", headers=world.headers("auditor"))
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(wb["僵尸系统清单"].iter_rows(values_only=True))
    assert rows[0][:9] == ("部门", "系统名称", "系统编码", "系统功能", "使用范围", "使用频度", "审批单位", "审批时间", "经费来源")
    names = {row[1] for row in rows[1:]}
    assert names == {"县教育宣传网站", "县卫生应急指挥系统"}
    quiet = next(row for row in rows if row[1] == "县教育宣传网站")
    assert quiet[5] == "每日" and quiet[6] == "示范县发展和改革局" and quiet[7] == "2017-01-10"
    assert "建设：县级财政预算" in quiet[8] and "使用与实际业务流程长期脱节" in quiet[9] and "90/90" in quiet[10]
    summary = {row[0]: row for row in wb["部门汇总"].iter_rows(values_only=True)}
    assert summary["示范县教育局"][2] == 1
    assert "涉密办公系统" not in str(rows)
    edu = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/zombie-cases/export.xlsx",
                                                       headers=world.headers("health")).content))
    assert {row[1] for row in list(edu["僵尸系统清单"].iter_rows(values_only=True))[1:]} == {"县卫生应急指挥系统"}


def test_zombie_metrics(client, world, fleet):
    scan(client, world)
    text = client.get("/metrics").text
    code = world.depts["edu"].code
    assert f'yunzhang_zombie_systems{{department="{code}",state="candidate"}} 1.0' in text
    assert f'yunzhang_zombie_systems{{department="{code}",state="cleaned_up"}} 0.0' in text
    assert "yunzhang_zombie_scan_duration_seconds" in text and "yunzhang_zombie_scan_candidates 2.0" in text


def test_scan_roles(client, world, fleet):
    assert client.post("/api/v1/zombie-scans", json={}, headers=world.headers("edu")).status_code == 403
    assert client.post("/api/v1/zombie-scans", json={}, headers=world.headers("ops")).status_code == 403
