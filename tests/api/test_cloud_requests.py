"""Cloud resource requests: the workflow per role, scope, stored deadlines, SLA states at set clock
times, capacity and quota refusals, attachments, metrics."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from control.cloud.rules import TRANSITIONS
from control.core.clock import today
from control.core.policy import load_policy
from control.scheduled import run_cloud_sla

VM = {"kind": "vm", "count": 2, "vcpu": 4, "memory_gib": 8, "system_disk_gib": 50, "data_disk_gib": 100,
      "os_image": "麒麟 V10"}


def payload(world, **extra) -> dict:
    body = {"department_id": world.depts["edu"].id, "new_system_name": "智慧教育平台", "contact_name": "李明",
            "contact_phone": "0870-6100001", "purpose": "新建平台部署", "zone": "public", "protection_level": 2,
            "needed_by": str(today() + timedelta(days=30)),
            "lines": [VM, {**VM, "count": 1, "vcpu": 8, "memory_gib": 16}]}
    body.update(extra)
    return body


@pytest.fixture
def cloud(client, world):
    """The Information Center has registered capacity in every zone."""
    for zone in ("public", "dedicated", "internet_access"):
        r = client.put(f"/api/v1/cloud-capacity/{zone}", json={"vcpu": 100, "memory_gib": 400, "storage_gib": 5000,
                                                               "extranet_ips": 50, "internet_ips": 10,
                                                               "bandwidth_mbps": 1000},
                       headers=world.headers("infocenter"))
        assert r.status_code == 200, r.text
    return world


def do(client, world, user, rid, action, **body):
    return client.post(f"/api/v1/cloud-requests/{rid}/{action}", json=body, headers=world.headers(user))


def file_request(client, world, **extra) -> dict:
    r = client.post("/api/v1/cloud-requests", json=payload(world, **extra), headers=world.headers("edu"))
    assert r.status_code == 201, r.text
    return r.json()


# The path to each state: (user, action, body) steps from a fresh draft.
PATH = {
    "draft": [],
    "review": [("edu", "submit", {})],
    "acceptance": [("edu", "submit", {}), ("edu2", "approve", {}), ("countyoffice", "approve", {})],
}
PATH["assessment"] = PATH["acceptance"] + [("bureau", "approve", {"comment": "同意"})]
PATH["delivery"] = PATH["assessment"] + [("infocenter", "assess", {})]
PATH["in_use"] = PATH["delivery"] + [("infocenter", "deliver", {"delivered": [{"name": "edu-app-01",
                                                                                "address": "10.53.1.10"}]})]
PATH["returned"] = PATH["acceptance"] + [("bureau", "return", {"comment": "请补充等保备案"})]
PATH["rejected"] = PATH["acceptance"] + [("bureau", "reject", {"comment": "应使用已有平台"})]
PATH["cancelled"] = [("edu", "cancel", {})]
PATH["reclaimed"] = PATH["in_use"] + [("edu", "reclaim", {})]


def reach(client, world, state: str) -> dict:
    req = file_request(client, world)
    for user, action, body in PATH[state]:
        r = do(client, world, user, req["id"], action, **body)
        assert r.status_code == 200, (user, action, r.text)
        req = r.json()
    assert req["status"] == state
    return req


def test_full_workflow_with_timeline(client, cloud, frozen_clock):
    world = cloud
    frozen_clock("2026-02-12 09:00")                      # a Thursday before the Spring Festival
    req = reach(client, world, "acceptance")
    stages = req["stages"]
    assert [s["stage"] for s in stages] == ["review:department_head", "review:superior_office", "acceptance"]
    assert stages[2]["start_date"] == "2026-02-12" and stages[2]["due_date"] == "2026-02-26"
    assert stages[2]["working_days"] == 5 and stages[2]["sla_state"] == "on_time"

    frozen_clock("2026-02-24 10:00")
    req = do(client, world, "bureau", req["id"], "approve", comment="同意").json()
    frozen_clock("2026-02-25 10:00")
    line_id = req["lines"][0]["id"]
    req = do(client, world, "infocenter", req["id"], "assess", comment="核减一台",
             trims=[{"line_id": line_id, "count": 1, "reason": "测试环境用量小"}]).json()
    assert req["lines"][0]["count"] == 1 and req["lines"][0]["trimmed_from"]["count"] == 2
    assert (
        req["stages"][-1]["stage"] == "delivery" and req["stages"][-1]["due_date"] == "2026-03-17"
    )  # 26 27 28(make-up) …
    frozen_clock("2026-03-02 10:00")
    req = do(client, world, "infocenter", req["id"], "deliver", delivery_note="账号密码已线下移交",
             delivered=[{"line_id": line_id, "name": "edu-app-01", "address": "10.53.1.10", "spec": "4C8G"}]).json()
    assert req["status"] == "in_use" and req["delivered"][0]["name"] == "edu-app-01"
    assert all(s["sla_state"] == "done_on_time" for s in req["stages"])
    assert [s["actor"] for s in req["stages"]] == ["edu2", "countyoffice", "bureau", "infocenter", "infocenter"]

    audit = client.get("/api/v1/audit", params={"entity_type": "cloud_request", "entity_id": str(req["id"])},
                       headers=world.headers("auditor")).json()["items"]
    assert [e["action"] for e in reversed(audit)] == ["create", "submit", "approve", "approve", "approve", "assess",
                                                        "deliver"]
    assert audit[1]["changes"]["trims"][0]["reason"] == "测试环境用量小"


def test_submitter_cannot_review_own_request(client, cloud):
    req = reach(client, cloud, "review")
    r = do(client, cloud, "edu", req["id"], "approve")
    assert r.status_code == 403 and "指定审核人" in r.json()["detail"]


def test_top_level_department_skips_the_parent_review(client, cloud):
    # The province bureau has no parent: only its own head reviews. A user there is made by the admin.
    admin = cloud.headers("admin")
    for name in ("prov1", "prov2"):
        r = client.post("/api/v1/users", json={"username": name, "password": "long-enough-1", "role": "department",
                                               "department_id": cloud.depts["province"].id,
                                               "reviewer": name == "prov2"}, headers=admin)
        assert r.status_code == 201
    h1 = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", data={
        "username": "prov1", "password": "long-enough-1"}).json()["access_token"]}
    r = client.post("/api/v1/cloud-requests", json=payload(cloud, department_id=cloud.depts["province"].id), headers=h1)
    rid = r.json()["id"]
    assert client.post(f"/api/v1/cloud-requests/{rid}/submit", json={}, headers=h1).json()["review_plan"][0]["key"] \
        == "department_head"
    h2 = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", data={
        "username": "prov2", "password": "long-enough-1"}).json()["access_token"]}
    assert client.post(f"/api/v1/cloud-requests/{rid}/approve", json={}, headers=h2).json()["status"] == "acceptance"


LEGAL = {  # (state, action) → users who may take it (others in scope get 403)
    ("draft", "submit"): {"edu", "edu2", "countyoffice"}, ("draft", "cancel"): {"edu", "edu2", "countyoffice"},
    ("returned", "submit"): {"edu", "edu2", "countyoffice"}, ("returned", "cancel"): {"edu", "edu2", "countyoffice"},
    ("review", "approve"): {"edu2"}, ("review", "return"): {"edu2"}, ("review", "reject"): {"edu2"},
    ("review", "cancel"): {"edu"},                                        # the applicant withdraws
    ("acceptance", "approve"): {"bureau"}, ("acceptance", "return"): {"bureau"}, ("acceptance", "reject"): {"bureau"},
    ("acceptance", "cancel"): {"edu"},
    ("assessment", "assess"): {"infocenter"}, ("assessment", "return"): {"infocenter"},
    ("assessment", "reject"): {"infocenter"}, ("assessment", "cancel"): {"edu"},
    ("delivery", "deliver"): {"infocenter"},
    ("in_use", "reclaim"): {"infocenter", "edu", "edu2", "countyoffice"},
}
USERS = ["edu", "edu2", "countyoffice", "health", "school", "bureau", "infocenter", "auditor", "ops", "admin"]
ACTIONS = ["submit", "cancel", "approve", "return", "reject", "assess", "deliver", "reclaim"]


@pytest.mark.parametrize("state", list(PATH))
def test_every_illegal_transition_per_role(client, cloud, state):
    """In each state, every user × action that is not legal is refused — 403 for a user outside the
    department's scope or the wrong role, 409 for an action the state does not allow — and changes nothing."""
    req = reach(client, cloud, state)
    for user in USERS:
        for action in ACTIONS:
            allowed = LEGAL.get((state, action), set())
            if user in allowed:
                continue
            r = do(cloud.client, cloud, user, req["id"], action, comment="理由")
            if user in ("health", "school"):
                expected = 403                                    # outside the requester's subtree
            elif (state, action) not in {(s.value, a) for s, a in TRANSITIONS}:
                expected = 409
            else:
                expected = 403
            assert r.status_code == expected, (state, user, action, r.status_code, r.text)
    after = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=cloud.headers("auditor")).json()
    assert after["status"] == state and len(after["stages"]) == len(req["stages"])


@pytest.mark.parametrize("state,user,action", [(s, sorted(u)[0], a) for (s, a), u in LEGAL.items()])
def test_every_legal_transition(client, cloud, state, user, action):
    req = reach(client, cloud, state)
    body = {"comment": "理由"}
    if action == "deliver":
        body["delivered"] = [{"name": "vm-1"}]
    r = do(client, cloud, user, req["id"], action, **body)
    assert r.status_code == 200, r.text


def test_return_and_reject_need_a_reason(client, cloud):
    req = reach(client, cloud, "acceptance")
    r = do(client, cloud, "bureau", req["id"], "return")
    assert r.status_code == 422 and r.json()["code"] == "comment_required"


def test_returned_request_is_edited_and_goes_back_to_the_stage_that_returned_it(client, cloud, frozen_clock):
    frozen_clock("2026-03-02 09:00")
    req = reach(client, cloud, "returned")
    r = client.patch(f"/api/v1/cloud-requests/{req['id']}", json={"purpose": "补充了等保备案"},
                     headers=cloud.headers("edu"))
    assert r.status_code == 200
    frozen_clock("2026-03-04 09:00")
    req = do(client, cloud, "edu", req["id"], "submit").json()
    assert req["status"] == "acceptance"
    current = req["stages"][-1]
    assert current["stage"] == "acceptance" and current["start_date"] == "2026-03-04"  # clock restarted
    assert current["due_date"] == "2026-03-11"
    # Not editable once submitted.
    r = client.patch(f"/api/v1/cloud-requests/{req['id']}", json={"purpose": "x"}, headers=cloud.headers("edu"))
    assert r.status_code == 409


def test_policy_can_keep_the_clock_on_return(app, client, cloud, frozen_clock):
    app.state.policy = app.state.policy.model_copy(update={"cloud_requests": app.state.policy.cloud_requests
                                                           .model_copy(update={"restart_clock_on_return": False})})
    frozen_clock("2026-03-02 09:00")
    req = reach(client, cloud, "returned")
    frozen_clock("2026-03-05 09:00")
    req = do(client, cloud, "edu", req["id"], "submit").json()
    assert req["stages"][-1]["start_date"] == "2026-03-02" and req["stages"][-1]["due_date"] == "2026-03-09"


def test_deadlines_stored_at_stage_start_survive_a_policy_change(app, client, cloud, tmp_path, frozen_clock):
    frozen_clock("2026-03-02 09:00")
    old = reach(client, cloud, "acceptance")
    text = Path(load_policy().source).read_text(encoding="utf-8")
    other = tmp_path / "nantong.yaml"
    other.write_text(text.replace("working_days: 5      # 第十七条（二）", "working_days: 10     # 第十七条（二）"),
                     encoding="utf-8")
    app.state.policy = load_policy(other)
    new = reach(client, cloud, "acceptance")
    again = client.get(f"/api/v1/cloud-requests/{old['id']}", headers=cloud.headers("edu")).json()
    assert again["stages"][-1]["due_date"] == "2026-03-09" == old["stages"][-1]["due_date"]
    assert new["stages"][-1]["due_date"] == "2026-03-16"
    run_cloud_sla(app)
    again = client.get(f"/api/v1/cloud-requests/{old['id']}", headers=cloud.headers("edu")).json()
    assert again["stages"][-1]["due_date"] == "2026-03-09"


def test_sla_states_at_set_clock_times(app, client, cloud, frozen_clock):
    frozen_clock("2026-03-02 09:00")                   # acceptance due 2026-03-09 (Mon)
    req = reach(client, cloud, "acceptance")

    def state():
        run_cloud_sla(app)
        return client.get(f"/api/v1/cloud-requests/{req['id']}", headers=cloud.headers("bureau")).json()

    frozen_clock("2026-03-05 09:00")
    assert state()["sla_state"] == "on_time"
    frozen_clock("2026-03-06 17:00")                   # one working day left: within the margin
    assert state()["sla_state"] == "due_soon"
    frozen_clock("2026-03-09 23:00")                   # the end of the due day: still in time
    body = state()
    assert body["sla_state"] == "due_soon" and body["stages"][-1]["working_days_left"] == 0
    frozen_clock("2026-03-10 08:00")
    body = state()
    assert body["sla_state"] == "overdue" and body["sla_working_days"] == 1
    frozen_clock("2026-03-16 08:00")
    assert state()["sla_working_days"] == 5
    queue = client.get("/api/v1/cloud-requests", params={"queue": "acceptance", "overdue": True},
                       headers=cloud.headers("bureau")).json()
    assert [i["id"] for i in queue["items"]] == [req["id"]]
    metrics = client.get("/metrics").text
    assert 'yunzhang_cloud_requests{sla_state="overdue",stage="acceptance"} 1.0' in metrics
    assert 'yunzhang_cloud_request_overdue_working_days{stage="acceptance"} 5.0' in metrics
    assert 'yunzhang_cloud_requests{sla_state="on_time",stage="delivery"} 0.0' in metrics
    done = do(client, cloud, "bureau", req["id"], "approve").json()
    acceptance = [s for s in done["stages"] if s["stage"] == "acceptance"][0]
    assert acceptance["sla_state"] == "done_late" and acceptance["sla_working_days"] == 5


def test_queue_is_sorted_by_due_date(client, cloud, frozen_clock):
    frozen_clock("2026-03-05 09:00")
    later = reach(client, cloud, "acceptance")
    frozen_clock("2026-03-02 09:00")
    earlier = reach(client, cloud, "acceptance")
    items = client.get("/api/v1/cloud-requests", params={"queue": "acceptance"},
                       headers=cloud.headers("bureau")).json()["items"]
    assert [i["id"] for i in items] == [earlier["id"], later["id"]]
    mine = client.get("/api/v1/cloud-requests", params={"awaiting_me": True}, headers=cloud.headers("edu2")).json()
    assert mine["total"] == 0


def test_unknown_calendar_year_is_shown_on_the_request_and_filled_in_later(app, client, cloud, frozen_clock):
    frozen_clock("2026-12-15 09:00")
    req = reach(client, cloud, "delivery")             # delivery: 15 working days, reaching into 2027
    stage = req["stages"][-1]
    assert stage["due_date"] is None and "2027" in stage["calendar_error"]
    assert req["sla_state"] == "calendar_unknown"
    known_until = re.search(r"^yunzhang_calendar_known_until_timestamp_seconds (\S+)$", client.get("/metrics").text,
                            re.M).group(1)
    assert float(known_until) == datetime(2027, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    from tests.calendar_samples import ARRANGEMENT_2027 as arrangement
    r = client.put("/api/v1/calendar/years/2027", json=arrangement, headers=cloud.headers("infocenter"))
    assert r.status_code == 403
    r = client.put("/api/v1/calendar/years/2027", json=arrangement, headers=cloud.headers("admin"))
    assert r.status_code == 200, r.text
    run_cloud_sla(app)
    req = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=cloud.headers("edu")).json()
    assert req["stages"][-1]["due_date"] == "2027-01-06" and req["sla_state"] == "on_time"


def test_capacity_refusal(client, cloud):
    client.put("/api/v1/cloud-capacity/public", json={"vcpu": 10, "memory_gib": 400, "storage_gib": 5000,
                                                      "extranet_ips": 0, "internet_ips": 0, "bandwidth_mbps": 0},
               headers=cloud.headers("infocenter"))
    req = reach(client, cloud, "assessment")           # asks for 2×4 + 8 = 16 vCPU
    r = do(client, cloud, "infocenter", req["id"], "assess")
    assert r.status_code == 409 and r.json()["code"] == "capacity_exceeded" and "vCPU" in r.json()["detail"]
    # Trimming to fit passes; the capacity is then held.
    line = req["lines"][1]["id"]
    r = do(client, cloud, "infocenter", req["id"], "assess", trims=[{"line_id": line, "count": 0, "reason": "容量"}])
    assert r.status_code == 200, r.text
    pools = {p["zone"]: p for p in client.get("/api/v1/cloud-capacity", headers=cloud.headers("edu")).json()}
    assert pools["public"]["used"]["vcpu"] == 8 and pools["public"]["free"]["vcpu"] == 2
    second = reach(client, cloud, "assessment")
    assert do(client, cloud, "infocenter", second["id"], "assess").status_code == 409


def test_quota_refusal_and_quota_roles(client, cloud):
    dept = cloud.depts["edu"].id
    assert client.put(f"/api/v1/cloud-quotas/{dept}", json={"vcpu": 12},
                      headers=cloud.headers("edu")).status_code == 403
    assert client.put(f"/api/v1/cloud-quotas/{dept}", json={"vcpu": 12},
                      headers=cloud.headers("infocenter")).status_code == 200
    req = reach(client, cloud, "assessment")
    r = do(client, cloud, "infocenter", req["id"], "assess")
    assert r.status_code == 409 and "部门配额" in r.json()["detail"]
    quotas = client.get("/api/v1/cloud-quotas", headers=cloud.headers("edu")).json()
    assert quotas[0]["vcpu"] == 12 and quotas[0]["used"]["vcpu"] == 0


def test_department_cannot_see_or_act_on_another_departments_requests(client, cloud):
    req = reach(client, cloud, "draft")
    h = cloud.headers("health")
    assert client.get(f"/api/v1/cloud-requests/{req['id']}", headers=h).status_code == 403
    assert client.get("/api/v1/cloud-requests", headers=h).json()["total"] == 0
    assert client.patch(f"/api/v1/cloud-requests/{req['id']}", json={"purpose": "x"}, headers=h).status_code == 403
    r = client.post("/api/v1/cloud-requests", json=payload(cloud), headers=h)   # filing for another department
    assert r.status_code == 403
    assert client.get("/api/v1/cloud-requests", headers=cloud.headers("bureau")).json()["total"] == 1


def test_request_for_an_inventory_system(client, cloud):
    from tests.api.helpers import create_system
    own = create_system(client, cloud.headers("edu"), cloud.depts["edu"].id)
    other = create_system(client, cloud.headers("health"), cloud.depts["health"].id)
    secret = client.post("/api/v1/systems", json={"department_id": cloud.depts["edu"].id, "name": "涉密",
                                                  "is_classified": True}, headers=cloud.headers("edu")).json()
    base = payload(cloud, new_system_name=None)
    assert client.post("/api/v1/cloud-requests", json={**base, "system_id": own["id"]},
                       headers=cloud.headers("edu")).status_code == 201
    assert client.post("/api/v1/cloud-requests", json={**base, "system_id": other["id"]},
                       headers=cloud.headers("edu")).status_code == 403
    r = client.post("/api/v1/cloud-requests", json={**base, "system_id": secret["id"]}, headers=cloud.headers("edu"))
    assert r.status_code == 422 and r.json()["code"] == "classified"
    assert client.post("/api/v1/cloud-requests", json=base, headers=cloud.headers("edu")).status_code == 422


def test_resource_lines_are_validated(client, cloud):
    bad = payload(cloud, lines=[{"kind": "vm", "vcpu": 4}])
    r = client.post("/api/v1/cloud-requests", json=bad, headers=cloud.headers("edu"))
    assert r.status_code == 422 and "云主机需填写" in r.text
    assert client.post("/api/v1/cloud-requests", json=payload(cloud, lines=[]),
                       headers=cloud.headers("edu")).status_code == 422


def test_attachments(client, cloud):
    req = reach(client, cloud, "draft")
    pdf = b"%PDF-1.4 signed form"
    r = client.post(f"/api/v1/cloud-requests/{req['id']}/attachments", headers=cloud.headers("edu"),
                    files={"file": ("申请表.pdf", pdf, "application/pdf")})
    assert r.status_code == 201, r.text
    att = r.json()
    r = client.get(f"/api/v1/cloud-requests/{req['id']}/attachments/{att['id']}", headers=cloud.headers("bureau"))
    assert r.content == pdf and r.headers["content-type"] == "application/pdf"
    assert client.get(f"/api/v1/cloud-requests/{req['id']}/attachments/{att['id']}",
                      headers=cloud.headers("health")).status_code == 403
    r = client.post(f"/api/v1/cloud-requests/{req['id']}/attachments", headers=cloud.headers("edu"),
                    files={"file": ("x.exe", b"MZ", "application/octet-stream")})
    assert r.status_code == 422


def test_reclaim_at_end_date(app, client, cloud, frozen_clock):
    from control.scheduled import run_cloud_reclaim
    frozen_clock("2026-03-02 09:00")
    req = reach(client, cloud, "in_use")
    client_req = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=cloud.headers("edu")).json()
    assert client_req["use_until"] is None
    dated = file_request(client, cloud, use_until="2026-06-30")
    for user, action, body in PATH["in_use"]:
        do(client, cloud, user, dated["id"], action, **body)
    frozen_clock("2026-07-01 01:00")
    assert run_cloud_reclaim(app) == {"reclaimed": 1, "failed": 0}
    after = client.get(f"/api/v1/cloud-requests/{dated['id']}", headers=cloud.headers("edu")).json()
    assert after["status"] == "reclaimed" and after["reclaim_reason"] == "end_date"
    pools = {p["zone"]: p for p in client.get("/api/v1/cloud-capacity", headers=cloud.headers("edu")).json()}
    assert pools["public"]["used"]["vcpu"] == 16     # only the first request still holds capacity
