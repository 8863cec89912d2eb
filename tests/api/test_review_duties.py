"""Separation of duties on cloud requests (control/core/duties.py): only a designated reviewer of the level's
department signs a review level; the applicant and the creator never decide their own request at any level or
stage, whatever role or designation they hold, and may withdraw it. Every request names who acts next and by
when; queues hold only what the user may decide, nearest deadline first."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.helpers import login
from tests.api.test_cloud_requests import PATH, do, file_request, reach
from tests.conftest import PASSWORD

DECISIONS = {"review": ("approve", "return", "reject"), "acceptance": ("approve", "return", "reject"),
             "assessment": ("assess", "return", "reject"), "delivery": ("deliver",)}


@pytest.fixture
def cloud(client, world):
    for zone in ("public", "dedicated", "internet_access"):
        r = client.put(f"/api/v1/cloud-capacity/{zone}", json={"vcpu": 100, "memory_gib": 400, "storage_gib": 5000,
                                                               "extranet_ips": 50, "internet_ips": 10,
                                                               "bandwidth_mbps": 1000},
                       headers=world.headers("infocenter"))
        assert r.status_code == 200, r.text
    return world


def add_user(client, world, username, dept, reviewer=False):
    r = client.post("/api/v1/users", json={"username": username, "password": PASSWORD, "role": "department",
                                           "department_id": world.depts[dept].id, "reviewer": reviewer},
                    headers=world.headers("admin"))
    assert r.status_code == 201, r.text


def sql(app, statement: str, **params) -> None:
    with app.state.engine.begin() as conn:
        conn.execute(text(statement), params)


def body_for(action: str) -> dict:
    return {"comment": "理由", **({"delivered": [{"name": "vm-1"}]} if action == "deliver" else {})}


def refused(client, world, user, rid, actions, code):
    for action in actions:
        r = do(client, world, user, rid, action, **body_for(action))
        assert r.status_code == 403, (user, action, r.text)
        assert r.json()["code"] == code, (user, action, r.json())


def test_a_non_designated_user_of_the_right_department_is_refused_at_each_review_level(client, cloud):
    add_user(client, cloud, "edu3", "edu")
    add_user(client, cloud, "county2", "county")
    req = reach(client, cloud, "review")
    assert req["stages"][-1]["stage"] == "review:department_head"
    refused(client, cloud, "edu3", req["id"], DECISIONS["review"], "not_designated")
    r = do(client, cloud, "edu3", req["id"], "approve")
    assert "示范县教育局的指定审核人" in r.json()["detail"]
    refused(client, cloud, "countyoffice", req["id"], DECISIONS["review"], "wrong_department")  # not this level's
    req = do(client, cloud, "edu2", req["id"], "approve").json()                 # the designated reviewer passes
    assert req["stages"][-1]["stage"] == "review:superior_office"
    refused(client, cloud, "county2", req["id"], DECISIONS["review"], "not_designated")
    refused(client, cloud, "edu2", req["id"], DECISIONS["review"], "wrong_department")
    assert do(client, cloud, "countyoffice", req["id"], "approve").json()["status"] == "acceptance"


@pytest.mark.parametrize("author", ["submitted_by", "created_by"])
@pytest.mark.parametrize("state,decider,before", [
    ("review", "edu2", "review"), ("review", "countyoffice", "review"), ("acceptance", "bureau", "acceptance"),
    ("assessment", "infocenter", "assessment"), ("delivery", "infocenter", "delivery")])
def test_the_applicant_and_the_creator_never_decide_their_own_request(app, client, cloud, author, state, decider,
                                                                      before):
    """Made the applicant (or the creator) of the request, the very user who would decide the step — with the
    right role and designation — is refused every decision, and the stage does not move."""
    steps = PATH[before] if decider != "countyoffice" else PATH["review"] + [("edu2", "approve", {})]
    req = file_request(client, cloud)
    for user, action, body in steps:
        assert do(client, cloud, user, req["id"], action, **body).status_code == 200
    sql(app, f"UPDATE cloud_request SET {author} = :u WHERE id = :id", u=decider, id=req["id"])
    refused(client, cloud, decider, req["id"], DECISIONS[state], "own_item")
    r = do(client, cloud, decider, req["id"], DECISIONS[state][0], **body_for(DECISIONS[state][0]))
    assert "申请人" in r.json()["detail"]
    after = client.get(f"/api/v1/cloud-requests/{req['id']}", headers=cloud.headers("auditor")).json()
    assert after["status"] == state and after["stages"][-1]["active"]
    # The same step by the same user passes once they are no longer an author.
    sql(app, f"UPDATE cloud_request SET {author} = 'someone' WHERE id = :id", id=req["id"])
    action = DECISIONS[state][0]
    assert do(client, cloud, decider, req["id"], action, **body_for(action)).status_code == 200


def test_a_designated_applicant_does_not_review_their_own_request(client, cloud):
    """edu2 is 教育局's designated reviewer; what edu2 files waits for another designated reviewer."""
    r = client.post("/api/v1/cloud-requests", json={**file_payload(cloud)}, headers=cloud.headers("edu2"))
    rid = r.json()["id"]
    assert do(client, cloud, "edu2", rid, "submit").status_code == 200
    refused(client, cloud, "edu2", rid, DECISIONS["review"], "own_item")
    mine = client.get("/api/v1/cloud-requests", params={"awaiting_me": True}, headers=cloud.headers("edu2")).json()
    assert mine["total"] == 0
    add_user(client, cloud, "eduhead", "edu", reviewer=True)
    assert do(client, cloud, "eduhead", rid, "approve").status_code == 200


def file_payload(world) -> dict:
    from tests.api.test_cloud_requests import payload
    return payload(world)


def test_the_applicant_and_the_creator_may_withdraw_their_request_in_the_workflow(app, client, cloud):
    req = reach(client, cloud, "review")
    r = do(client, cloud, "edu2", req["id"], "cancel")             # the reviewer is no author
    assert r.status_code == 403 and r.json()["code"] == "not_author"
    r = do(client, cloud, "edu", req["id"], "cancel", comment="需求取消")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["stages"][-1]["outcome"] == "cancelled" and not r.json()["stages"][-1]["active"]
    assert r.json()["next_actor"] is None
    # The creator, not the applicant, withdraws at acceptance.
    req = reach(client, cloud, "acceptance")
    sql(app, "UPDATE cloud_request SET submitted_by = 'edu2' WHERE id = :id", id=req["id"])
    assert do(client, cloud, "edu", req["id"], "cancel").json()["status"] == "cancelled"


def test_the_audit_records_who_reviewed_under_which_level(client, cloud):
    req = reach(client, cloud, "acceptance")
    items = client.get("/api/v1/audit", params={"entity_type": "cloud_request", "entity_id": str(req["id"])},
                       headers=cloud.headers("auditor")).json()["items"]
    approvals = [(e["actor"], e["changes"]["stage"]) for e in reversed(items) if e["action"] == "approve"]
    assert approvals == [("edu2", "本单位负责人审核（示范县教育局）"),
                         ("countyoffice", "上级主管部门审核（示范县人民政府办公室）")]
    login(client, "auditor")
    page = client.get("/audit", params={"entity_type": "cloud_request", "action": "approve"}).text
    assert "办理环节" in page and "上级主管部门审核（示范县人民政府办公室）" in page


def test_every_request_names_its_next_actor_and_due_date(client, cloud, frozen_clock):
    frozen_clock("2026-03-02 09:00")
    draft = file_request(client, cloud)
    assert draft["next_actor"]["text"] == "待 示范县教育局 提交"
    req = do(client, cloud, "edu", draft["id"], "submit").json()
    na = req["next_actor"]
    assert (na["role"], na["department_id"], na["designated"], na["step"]) == \
        ("department", cloud.depts["edu"].id, True, "review")
    assert na["due_date"] == req["stages"][-1]["due_date"]
    assert na["text"] == f"待 示范县教育局 审核人 审核，截止 {na['due_date']}"
    req = do(client, cloud, "edu2", req["id"], "approve").json()
    assert req["next_actor"]["text"].startswith("待 示范县人民政府办公室 审核人 审核，截止 ")
    req = do(client, cloud, "countyoffice", req["id"], "approve").json()
    assert req["next_actor"]["text"] == "待 大数据局审批人 受理审批，截止 2026-03-09"
    listed = client.get("/api/v1/cloud-requests", headers=cloud.headers("bureau")).json()["items"]
    assert [i["next_actor"]["text"] for i in listed if i["id"] == req["id"]] == [req["next_actor"]["text"]]
    login(client, "edu")
    page = client.get(f"/cloud/{req['id']}").text
    assert "待 大数据局审批人 受理审批，截止 2026-03-09" in " ".join(page.split())


def test_queues_hold_only_what_the_user_may_decide(client, cloud):
    add_user(client, cloud, "edu3", "edu")
    req = reach(client, cloud, "review")
    own = client.post("/api/v1/cloud-requests", json=file_payload(cloud), headers=cloud.headers("edu2")).json()
    do(client, cloud, "edu2", own["id"], "submit")

    def ids(user, **params):
        return [i["id"] for i in client.get("/api/v1/cloud-requests", params=params,
                                            headers=cloud.headers(user)).json()["items"]]

    for params in ({"queue": "review"}, {"awaiting_me": True}):
        assert ids("edu2", **params) == [req["id"]]               # not the one edu2 filed
        assert ids("edu3", **params) == []                        # not designated
        assert ids("edu", **params) == []                         # the applicant
        assert ids("countyoffice", **params) == []                # not yet at the county's level
    assert sorted(ids("bureau", queue="review")) == sorted([req["id"], own["id"]])   # oversight sees all
    assert ids("bureau", awaiting_me=True) == []
    assert ids("edu2", mine=True) == [own["id"]]


def test_lists_sort_by_due_date_nearest_first_and_nothing_due_last(client, cloud, frozen_clock):
    frozen_clock("2026-03-05 09:00")
    later = reach(client, cloud, "acceptance")
    frozen_clock("2026-03-02 09:00")
    draft = file_request(client, cloud)                            # no stage: nothing due
    earlier = reach(client, cloud, "acceptance")
    items = client.get("/api/v1/cloud-requests", headers=cloud.headers("bureau")).json()["items"]
    assert [i["id"] for i in items] == [earlier["id"], later["id"], draft["id"]]
    items = client.get("/api/v1/cloud-requests", params={"sort": "-created"},
                       headers=cloud.headers("bureau")).json()["items"]
    assert [i["id"] for i in items][0] == later["id"]                # filed on the latest clock
    login(client, "bureau")
    page = client.get("/cloud", params={"status": ""}).text
    assert '<b aria-current="true">截止日（最近在前）</b>' in page
    assert page.index(earlier["number"]) < page.index(later["number"]) < page.index(draft["number"])
    page = client.get("/cloud", params={"status": "", "sort": "number"}).text
    assert '<b aria-current="true">编号</b>' in page and "sort=due" in page


def test_the_home_page_counts_what_awaits_each_role(client, cloud):
    reach(client, cloud, "review")
    reach(client, cloud, "acceptance")
    cases = {"edu2": ("待我审核的申请", 1, "/cloud?awaiting_me=true"),
             "bureau": ("待受理审批", 1, "/cloud?queue=acceptance&amp;awaiting_me=true"),
             "infocenter": ("待评估", 0, "/cloud?queue=assessment&amp;awaiting_me=true"),
             "edu": ("我填报的草稿", 0, "/cloud?status=draft&amp;mine=true"),
             "auditor": ("待审核的疑似僵尸系统", 0, "/zombies?state=candidate")}
    for user, (label, count, link) in cases.items():
        client.cookies.clear()
        login(client, user)
        page = client.get("/").text
        panel = page[page.index('id="awaiting-me"'):page.index('id="by-status"')]
        assert f'href="{link}"' in panel and label in panel, (user, panel)
        assert f"{label}</span><b>{count}</b>" in panel, (user, panel)
    client.cookies.clear()
    login(client, "edu")
    assert "待我审核的申请" not in client.get("/").text             # not a designated reviewer
    client.cookies.clear()
    login(client, "ops")
    assert "当前角色没有需要您审批或办理的事项" in client.get("/").text
