"""Zombie detection end to end: metrics in, a reference dataset with known verdicts, scans and their
comparison, the review per role through to clean-up, exports and /metrics."""
from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import openpyxl
import pytest
from sqlmodel import Session

from control.systems.models import InformationSystem
from control.zombies import usage as store
from control.zombies.enums import Metric
from control.zombies.models import UsageSummary
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



def test_a_case_of_a_system_the_scan_did_not_judge_stays_as_it_was(client, world, fleet):
    """A scan marks the open cases of the systems it judged with its id and moves only those: a system
    stopped since (not judged) keeps its candidate case and the scan that last judged it."""
    first = scan(client, world)
    r = client.patch(f"/api/v1/systems/{fleet['idle']['id']}", json={"status": "stopped"},
                     headers=world.headers("admin"))
    assert r.status_code == 200, r.text
    push(client, world, usage("EDU-QUIET", requests=900, logins=50, days=DAYS[:30]))   # back in use: judged, cleared
    second = scan(client, world)
    cases = {c["system_code"]: c for c in client.get("/api/v1/zombie-cases",
                                                     headers=world.headers("auditor")).json()["items"]}
    assert cases["HEALTH-IDLE"]["state"] == "candidate" and cases["HEALTH-IDLE"]["last_scan_id"] == first["id"]
    assert cases["EDU-QUIET"]["state"] == "cleared" and cases["EDU-QUIET"]["last_scan_id"] == second["id"]
    assert second["scanned"] == first["scanned"] - 1

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
    req = client.post(
        "/api/v1/cloud-requests",
        json=payload(world, new_system_name=None, system_id=fleet["quiet"]["id"]),
        headers=world.headers("edu"),
    ).json()
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
    r = act(client, world, "bureau", cid, "complete_cleanup", reason="已下线")         # who planned it does not
    assert r.status_code == 403 and r.json()["code"] == "own_item"                   # also complete it
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
    r = client.post("/api/v1/zombie-scans", json={"as_of": "2026-11-24"}, headers=world.headers("auditor"))
    assert r.status_code == 422 and r.json()["code"] == "as_of_in_future"       # days to come are not judged
    frozen_clock("2026-12-21 09:00")
    scan(client, world, as_of=date(2026, 12, 20))                 # still exempt (and idle data has run out)
    assert case_of(client, world, "HEALTH-IDLE")["state"] == "exempted"
    later = [date(2027, 1, 5) - timedelta(days=i) for i in range(30)]
    frozen_clock("2027-01-05 20:00")                              # a value may not be dated after tomorrow
    push(client, world, usage("HEALTH-IDLE", requests=20, logins=3, cpu=0.01, net=1e6, days=later))
    scan(client, world, as_of=date(2027, 1, 5))
    assert case_of(client, world, "HEALTH-IDLE")["state"] == "candidate"


def test_auditors_list_export(client, world, fleet):
    scan(client, world)
    r = client.get("/api/v1/zombie-cases/export.xlsx", headers=world.headers("auditor"))
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(wb["僵尸系统清单"].iter_rows(values_only=True))
    assert rows[0][:9] == (
        "部门",
        "系统名称",
        "系统编码",
        "系统功能",
        "使用范围",
        "使用频度",
        "审批单位",
        "审批时间",
        "经费来源",
    )
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



def test_auditors_list_export_holds_no_formulas_or_control_characters(app, client, world, fleet):
    """Names stored before input was cleaned (or written by a migration) still export: no live formula,
    no character that makes openpyxl refuse the cell (a 500 before)."""
    with Session(app.state.engine) as session:
        system = session.get(InformationSystem, fleet["quiet"]["id"])
        system.name, system.function_description = "=HYPERLINK(\"http://x\",\"点击\")\x1b", "@SUM(A1)\x07"
        system.approving_unit = "+1-2"
        session.add(system)
        session.commit()
    scan(client, world)
    r = client.get("/api/v1/zombie-cases/export.xlsx", headers=world.headers("auditor"))
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content))["僵尸系统清单"]
    row = next(row for row in ws.iter_rows(min_row=2) if str(row[1].value).startswith("=HYPERLINK"))
    assert row[1].value == '=HYPERLINK("http://x","点击")' and row[1].data_type == "s"
    assert (row[3].value, row[3].data_type) == ("@SUM(A1)", "s") and (row[6].value, row[6].data_type) == ("+1-2", "s")

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



# --- the usage store: tiles of 1024 systems × 32 days per metric --------------------------------------

EDGE = date.fromordinal(date(2026, 11, 1).toordinal() // 32 * 32 + 32)   # first day of a 32-day block
REQ, LOGINS, CPU = (store.METRIC_INDEX[m] for m in ("requests", "logins", "cpu_p95"))


def systems_with_ids(app, world, *ids):
    """Systems with the given ids (1023/1024/1025 straddle the edge of a 1024-system tile), code T-<id>."""
    with Session(app.state.engine) as session:
        session.add_all(InformationSystem(id=i, code=f"T-{i}", department_id=world.depts["edu"].id, name=f"系统{i}",
                                          status="running") for i in ids)
        session.commit()


def sample(system_id, metric, day, value):
    return {"system_code": f"T-{system_id}", "metric": metric, "day": day.isoformat(), "value": value}


def stored(app, *args, **kwargs):
    with Session(app.state.engine) as session:
        return store.window(session, *args, **kwargs)


def summary(app, system_id):
    with Session(app.state.engine) as session:
        s = session.get(UsageSummary, system_id)
        return s.first_day, s.last_day, s.last_deployment_day


def test_usage_window_across_block_and_chunk_edges(app, client, world):
    assert store.CHUNK_SYSTEMS == 1024 and EDGE.toordinal() % store.BLOCK_DAYS == 0
    systems_with_ids(app, world, 1023, 1024, 1025)
    day = lambda n: EDGE + timedelta(days=n)  # noqa: E731
    push(client, world, [sample(1023, "requests", day(-1), 5), sample(1023, "requests", day(0), 0),
                         sample(1024, "logins", day(0), 7), sample(1025, "cpu_p95", day(1), 0.5),
                         sample(1025, "requests", day(-40), 9)])              # outside the window below
    ids, values = stored(app, day(-2), day(2))
    assert ids.tolist() == [1023, 1024, 1025] and values.shape == (3, 7, 5)
    assert np.array_equal(values[0, REQ], [np.nan, 5, 0, np.nan, np.nan], equal_nan=True)
    assert np.array_equal(values[1, LOGINS], [np.nan, np.nan, 7, np.nan, np.nan], equal_nan=True)
    assert np.array_equal(values[2, CPU], [np.nan, np.nan, np.nan, 0.5, np.nan], equal_nan=True)
    assert np.isnan(values).sum() == values.size - 4
    # Only the metrics asked for, in that order; only the systems with a value of them.
    ids, values = stored(app, day(-2), day(2), metrics=["cpu_p95", "requests"])
    assert ids.tolist() == [1023, 1025] and values.shape == (2, 2, 5)
    assert values[0, 1, 1:3].tolist() == [5, 0] and values[1, 0, 3] == 0.5 and np.isnan(values).sum() == 20 - 3
    ids, values = stored(app, day(-2), day(2), metrics=["deployments"])
    assert ids.tolist() == [] and values.shape == (0, 1, 5)
    with pytest.raises(ValueError):
        stored(app, day(-2), day(2), metrics=["requests", "requests"])
    # Named systems: exactly those, sorted, whether or not anything was recorded.
    ids, values = stored(app, day(-2), day(2), system_ids=[1025, 7, 1023], metrics=["requests", "cpu_p95"])
    assert ids.tolist() == [7, 1023, 1025] and np.isnan(values[0]).all()
    assert values[1, 0, 1:3].tolist() == [5, 0] and values[2, 1, 3] == 0.5
    with Session(app.state.engine) as session:
        assert store.series(session, 1025, Metric.requests, day(-41), day(-40)) == [(day(-41), None), (day(-40), 9.0)]
    assert summary(app, 1025) == (day(-40), day(1), None)


def test_windows_read_each_metric_from_its_own_first_day(app, client, world):
    """A scan reads the 30-day criterion's metrics from 30 days back, not from the longest window: blocks
    wholly before a metric's first day are not read, the rest are read whole."""
    systems_with_ids(app, world, 1025)
    day = lambda n: EDGE + timedelta(days=n)  # noqa: E731
    push(client, world, [sample(1025, "requests", day(-40), 9), sample(1025, "cpu_p95", day(-40), 0.1),
                         sample(1025, "cpu_p95", day(-1), 0.2), sample(1025, "cpu_p95", day(0), 0.3),
                         sample(1025, "cpu_p95", day(1), 0.4)])
    with Session(app.state.engine) as session:
        [(ids, values)] = [(i.copy(), v.copy()) for i, v in store.windows(
            session, day(-40), day(1), ["requests", "cpu_p95"], since={"cpu_p95": day(1)})]
    row = ids.tolist().index(1025)
    assert values[row, 0, 0] == 9                                            # requests: from day -40
    assert np.isnan(values[row, 1, :40]).all()                               # cpu: blocks before day 0 unread
    assert values[row, 1, 40:].tolist() == [0.3, 0.4]                         # day 0 shares day 1's block


def test_push_to_one_system_leaves_its_tile_neighbours_alone(app, client, world):
    systems_with_ids(app, world, 1024, 1025)
    days = [EDGE + timedelta(days=n) for n in range(-3, 3)]
    push(client, world, [sample(s, "requests", d, s + n) for s in (1024, 1025) for n, d in enumerate(days)])
    _, before = stored(app, days[0], days[-1])
    neighbour = summary(app, 1025)
    r = push(client, world, [sample(1024, "requests", days[2], 0), sample(1024, "logins", days[0], 3)])
    assert r == {"samples": 2, "systems": 1, "system_days": 2}
    ids, values = stored(app, days[0], days[-1])
    assert ids.tolist() == [1024, 1025]
    assert np.array_equal(values[1], before[1], equal_nan=True) and summary(app, 1025) == neighbour
    expected = before[0].copy()
    expected[REQ, 2], expected[LOGINS, 0] = 0, 3
    assert np.array_equal(values[0], expected, equal_nan=True)
    push(client, world, [sample(1024, "requests", days[2], 0)])                  # the same again: no change
    assert np.array_equal(stored(app, days[0], days[-1])[1], values, equal_nan=True)


def test_last_deployment_is_recomputed_when_its_day_is_rewritten(app, client, world, frozen_clock):
    frozen_clock("2026-12-31 09:00")                                   # the latest day pushed is not ahead
    systems_with_ids(app, world, 1024, 1025)
    early, middle, late = EDGE - timedelta(days=20), EDGE + timedelta(days=2), EDGE + timedelta(days=9)
    push(client, world, [sample(1024, "deployments", d, 1) for d in (early, middle, late)]
         + [sample(1025, "deployments", EDGE + timedelta(days=30), 2)])       # a neighbour deploys later
    assert summary(app, 1024) == (early, late, late)
    push(client, world, [sample(1024, "deployments", late, 0)])            # same tile: the one before it
    assert summary(app, 1024) == (early, late, middle)
    push(client, world, [sample(1024, "deployments", middle, 0)])          # an earlier tile
    assert summary(app, 1024) == (early, late, early)
    push(client, world, [sample(1024, "deployments", early, 0), sample(1024, "requests", late, 4)])
    assert summary(app, 1024) == (early, late, None)
    push(client, world, [sample(1024, "requests", EDGE, 1)])               # no deployment written: kept
    assert summary(app, 1024) == (early, late, None)
    push(client, world, [sample(1024, "deployments", middle, 1)])
    push(client, world, [sample(1024, "requests", middle, 3), sample(1024, "deployments", early, 1)])
    assert summary(app, 1024) == (early, late, middle)                     # an older deployment keeps it
    assert summary(app, 1025)[2] == EDGE + timedelta(days=30)


def test_scan_counts_each_tile_of_systems_on_both_sides_of_its_edge(app, client, world):
    """A scan counts one tile of 1024 systems at a time: 1023 and 1025 land in different ones."""
    systems_with_ids(app, world, 1023, 1025, 2048)
    push(client, world, usage("T-1023", requests=0, cpu=0.01, net=1e6)
         + usage("T-1025", cpu=0.6, net=5e9) + [sample(1025, "requests", d, 500) for d in DAYS if d.day % 2])
    v = verdict_map(client, world, scan(client, world)["id"])
    quiet, busy, empty = v["T-1023"]["criteria"], v["T-1025"]["criteria"], v["T-2048"]["criteria"]
    assert quiet["business_disconnected"]["observed"]["days_with_requests"] == 90
    assert quiet["idle_resources"]["observed"] == {"days_with_data": 30, "idle_days": 30, "share_of_days_idle": 1.0}
    assert busy["business_disconnected"]["observed"]["days_with_requests"] == sum(d.day % 2 for d in DAYS)
    assert busy["idle_resources"]["observed"]["idle_days"] == 0
    assert empty["idle_resources"]["observed"]["days_with_data"] == 0
    assert [v[code]["status"] for code in ("T-1023", "T-1025", "T-2048")] == [
        "candidate",
        "healthy",
        "insufficient_data",
    ]
