"""Issue 12, points 7 and 11: a zh-CN reader never meets an internal name. Typical flows (a cloud request
through every stage, a zombie review, a census import with bad rows, user and system edits, form errors)
are walked; then every label of every audit diff (page and CSV), every error `detail` and message, the
zombie evidence and the import page are checked for field names, enum keys and library English. And the
zombie pages filter by department subtree."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import update

from control.core.accounts import User
from tests.api.helpers import create_system, csrf, login
from tests.api.test_census import SELF, SHARING, XLSX, fill, good_row, template
from tests.api.test_cloud_requests import VM, payload
from tests.api.test_zombies import AS_OF, fleet, scan  # noqa: F401 (fleet is a fixture)

IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")          # scan_id, memory_gib, days_with_requests
ENGLISH = re.compile(r"\b[A-Za-z]{2,} [a-z]{2,} [a-z]{2,}\b")      # "String should have", "Field required"
KEYS = {"held", "trims", "vcpu", "comment", "status", "lines", "count", "kind", "state", "reason", "plan",
        "approved", "returned", "rejected", "assessed", "delivered", "acceptance", "assessment", "delivery",
        "candidate", "invalid_choice", "required", "approve", "reclaim"}


def clean(text: str, where: str) -> None:
    """No identifier-like name, no known key as a word of its own, no English sentence."""
    assert not IDENTIFIER.search(text), (where, IDENTIFIER.search(text).group(), text)
    assert not ENGLISH.search(text), (where, text)
    words = set(re.findall(r"(?<![A-Za-z0-9_.-])[a-z]+(?![A-Za-z0-9_.-])", text))
    assert not words & KEYS, (where, words & KEYS, text)


class Problems:
    """Every problem+json answer of the walk, checked at the end."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

    def expect(self, r, status: int) -> dict:
        assert r.status_code == status, r.text
        body = r.json()
        self.seen.append(body)
        return body

    def check(self) -> None:
        assert len(self.seen) >= 8
        for body in self.seen:
            clean(body["detail"], "detail")
            for e in body.get("errors", []):
                clean(e["message"], "message")


@pytest.fixture
def reviewers(app, world):
    """edu2 and countyoffice sign the two review levels (the designation from main's migration 0011)."""
    with app.state.engine.begin() as conn:
        conn.execute(update(User).where(User.username.in_(["edu2", "countyoffice"])).values(reviewer=True))
    return world


def cloud_flows(client, world, problems: Problems) -> None:
    h = world.headers
    for zone in ("public", "dedicated"):
        assert client.put(f"/api/v1/cloud-capacity/{zone}", json={
            "vcpu": 100, "memory_gib": 400, "storage_gib": 5000, "extranet_ips": 50, "internet_ips": 10,
            "bandwidth_mbps": 1000}, headers=h("infocenter")).status_code == 200
    assert client.put(f"/api/v1/cloud-quotas/{world.depts['edu'].id}", json={"vcpu": 64, "memory_gib": 256},
                      headers=h("admin")).status_code == 200

    def do(user, rid, action, **body):
        return client.post(f"/api/v1/cloud-requests/{rid}/{action}", json=body, headers=h(user))

    # All the way: returned once, edited, resubmitted, trimmed, delivered, reclaimed.
    req = client.post("/api/v1/cloud-requests", json=payload(world), headers=h("edu")).json()
    rid = req["id"]
    problems.expect(do("bureau", rid, "approve"), 409)           # a draft is not the Bureau's
    for user, action, body in [("edu", "submit", {}), ("edu2", "approve", {"comment": "同意"}),
                               ("countyoffice", "approve", {}), ("bureau", "return", {"comment": "请补充等保备案"})]:
        assert do(user, rid, action, **body).status_code == 200, (user, action)
    r = client.patch(f"/api/v1/cloud-requests/{rid}", json={"purpose": "平台部署（已补充等保备案）",
                                                            "lines": [VM, {**VM, "memory_gib": 16}]}, headers=h("edu"))
    assert r.status_code == 200, r.text
    assert client.post(f"/api/v1/cloud-requests/{rid}/attachments", headers=h("edu"),
                       files={"file": ("申请表.pdf", b"%PDF-1.4 signed", "application/pdf")}).status_code == 201
    r = do("edu", rid, "submit")
    for user in ("edu2", "countyoffice", "bureau"):      # a resubmission goes back to the stage that returned it
        if (user == "bureau") == (r.json()["status"] == "acceptance"):
            r = do(user, rid, "approve", comment="同意")
            assert r.status_code == 200, (user, r.text)
    assert r.json()["status"] == "assessment", r.text
    lines = r.json()["lines"]
    problems.expect(do("infocenter", rid, "deliver"), 409)
    r = do("infocenter", rid, "assess", trims=[{"line_id": lines[1]["id"], "count": 1, "memory_gib": 8,
                                                "reason": "按实际负载核减"}])
    assert r.status_code == 200, r.text
    problems.expect(do("infocenter", rid, "deliver"), 422)         # nothing delivered
    assert do("infocenter", rid, "deliver", delivered=[{"name": "edu-app-01", "address": "10.53.1.10"}],
              delivery_note="账号线下移交").status_code == 200
    problems.expect(do("infocenter", rid, "reclaim"), 422)          # a reason is needed
    assert do("infocenter", rid, "reclaim", reclaim_reason="end_date", comment="使用期满").status_code == 200

    # Rejected at acceptance, and a draft withdrawn.
    other = client.post("/api/v1/cloud-requests", json=payload(world, zone="dedicated"), headers=h("edu")).json()
    for user, action, body in [("edu", "submit", {}), ("edu2", "approve", {}), ("countyoffice", "approve", {}),
                               ("bureau", "reject", {"comment": "应使用已有平台"})]:
        assert do(user, other["id"], action, **body).status_code == 200
    draft = client.post("/api/v1/cloud-requests", json=payload(world), headers=h("edu")).json()
    assert do("edu", draft["id"], "cancel").status_code == 200

    # Bad bodies: a VM without its sizes, sizes out of range, a missing field.
    body = problems.expect(client.post("/api/v1/cloud-requests", json=payload(world, lines=[{"kind": "vm"}]),
                                       headers=h("edu")), 422)
    assert "资源明细第 1 项" in body["detail"] and "系统盘（GiB）" in body["detail"]
    body = problems.expect(client.post("/api/v1/cloud-requests", json=payload(world, lines=[{**VM, "vcpu": 9999}]),
                                       headers=h("edu")), 422)
    assert "vCPU（核）：不能大于 512" in body["detail"]
    body = problems.expect(client.post("/api/v1/cloud-requests", json={k: v for k, v in payload(world).items()
                                                                       if k != "contact_name"}, headers=h("edu")), 422)
    assert "联系人：必填" in body["detail"]

    # The same mistakes in the page's form: one zh-CN sentence naming the line and the fields.
    login(client, "edu")
    form = {"csrf_token": csrf(client, "/cloud/new"), "department_id": str(world.depts["edu"].id),
            "new_system_name": "智慧教育平台", "contact_name": "李明", "contact_phone": "0870-6100001",
            "purpose": "部署", "zone": "public", "lines-0-kind": "vm", "lines-0-count": "1",
            "lines-1-kind": "vm", "lines-1-count": "1", "lines-1-vcpu": "9999", "lines-1-memory_gib": "8",
            "lines-1-system_disk_gib": "50"}
    page = client.post("/cloud/new", data=form)
    assert page.status_code == 422
    error = re.search(r'<p class="error"[^>]*>(.*?)</p>', page.text, re.S).group(1)
    assert "资源明细第 1 项：云主机需填写：vCPU（核）、内存（GiB）、系统盘（GiB）" in error, error
    assert "资源明细第 2 项 · vCPU（核）：不能大于 512" in error, error
    clean(error, "form error")


def org_and_system_flows(client, world, problems: Problems) -> None:
    h = world.headers("admin")
    body = problems.expect(client.post("/api/v1/users", json={"username": "a", "password": "short", "role": "ops"},
                                       headers=h), 422)
    assert "用户名：至少 2 个字符" in body["detail"] and "密码：至少 8 个字符" in body["detail"]
    problems.expect(client.post("/api/v1/users", json={"username": "clerk", "password": "long-enough-1",
                                                       "role": "boss"}, headers=h), 422)
    user = client.post("/api/v1/users", json={"username": "clerk", "password": "long-enough-1", "role": "department",
                                              "department_id": world.depts["edu"].id, "display_name": "新职员"},
                       headers=h).json()
    assert client.patch(f"/api/v1/users/{user['id']}", json={"display_name": "王职员", "reviewer": True,
                                                             "locale": "en"}, headers=h).status_code == 200
    assert client.post(f"/api/v1/users/{user['id']}/deactivate", headers=h).status_code == 200
    dept = client.post("/api/v1/departments", json={"code": "11450000000000099X", "name": "示范县统计局",
                                                    "level": "county", "parent_id": world.depts["county"].id},
                       headers=h)
    if dept.status_code == 201:
        assert client.patch(f"/api/v1/departments/{dept.json()['id']}", json={"name": "示范县统计局（新）"},
                            headers=h).status_code == 200
    else:
        problems.expect(dept, 422)
    system = create_system(client, h, world.depts["edu"].id, name="县教育视频会议系统", status="registered")
    assert client.patch(f"/api/v1/systems/{system['id']}", json={"user_count": 300, "networks": ["internet"],
                                                                 "usage_frequency": "weekly"},
                        headers=h).status_code == 200
    assert client.post(f"/api/v1/systems/{system['id']}/start", json={"comment": "上线"}, headers=h).status_code == 200
    problems.expect(client.post(f"/api/v1/systems/{system['id']}/start", headers=h), 409)
    problems.expect(client.patch(f"/api/v1/systems/{system['id']}", json={"protection_level": 9}, headers=h), 422)


def census_with_bad_rows(client, world, problems: Problems) -> None:
    wb = template(client, world)
    for number, extra in enumerate([{"运行网络": "卫星网"}, {"使用频度": "偶尔"}, {"连接方式": "飞鸽"},
                                    {"安全等级（等保级别）": 7}, {"审批时间": "去年"}], start=2):
        fill(wb[SELF], number, good_row(**{"系统名称": f"系统{number}", **extra}))
    fill(wb[SHARING], 2, {"部门名称": "示范县教育局", "系统名称": "系统2", "类别": "随便", "信息资源名称": "丙"})
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/api/v1/systems/import", headers=world.headers("edu"),
                    files={"file": ("census.xlsx", buf.getvalue(), XLSX)})
    body = problems.expect(r, 422)
    cells = [(e["sheet"], e["row"], e["column"]) for e in body["errors"]]
    assert len(cells) == len(set(cells)) == 6            # one sentence per cell (连接方式 was reported twice)
    login(client, "edu")
    page = client.post("/systems/import", data={"csrf_token": csrf(client, "/systems/import")},
                       files={"file": ("census.xlsx", buf.getvalue(), XLSX)})
    table = re.search(r'<table class="data" id="import-error-table">.*?</table>', page.text, re.S).group()
    clean(re.sub(r"<[^>]+>", " ", table), "import page")


def zombie_review(client, world) -> int:
    scan(client, world)
    items = client.get("/api/v1/zombie-cases", headers=world.headers("auditor")).json()["items"]
    case = next(c for c in items if c["system_code"] == "EDU-QUIET")
    act = lambda user, action, **body: client.post(f"/api/v1/zombie-cases/{case['id']}/{action}",  # noqa: E731
                                                   json=body, headers=world.headers(user))
    assert act("edu", "respond", reason="网站内容已并入县政府门户").status_code == 200
    assert act("auditor", "confirm", reason="连续 90 天无业务请求").status_code == 200
    assert act("bureau", "plan_cleanup", plan={"archive": "数据移交档案馆", "reclaim_cloud": True}).status_code == 200
    idle = next(c for c in items if c["system_code"] == "HEALTH-IDLE")
    assert client.post(f"/api/v1/zombie-cases/{idle['id']}/exempt", json={"reason": "季节性系统",
                                                                         "exempt_until": "2099-01-31"},
                       headers=world.headers("auditor")).status_code == 200
    return case["id"]


def test_a_zh_cn_reader_meets_no_internal_name(client, reviewers, fleet):  # noqa: F811
    world, problems = reviewers, Problems()
    cloud_flows(client, world, problems)
    org_and_system_flows(client, world, problems)
    census_with_bad_rows(client, world, problems)
    case_id = zombie_review(client, world)
    problems.check()

    # The audit log as the auditor reads it: every label of every diff, page by page.
    login(client, "auditor")
    total = client.get("/api/v1/audit", params={"limit": 1}, headers=world.headers("auditor")).json()["total"]
    assert total > 30
    for offset in range(0, total, 50):
        page = client.get("/audit", params={"offset": offset}).text
        for dt in re.findall(r"<dt>(.*?)</dt>", page, re.S):
            clean(dt, "audit label")
        for tag in re.findall(r'<span class="tag">(.*?)</span>', page, re.S):
            clean(tag, "audit action")
        for kind in re.findall(r'<div class="small muted">(.*?)</div>', page, re.S):
            clean(kind, "audit entity type")
            assert "public" not in kind, kind          # a zone's key is no id
        for dd in re.findall(r"<dd>(.*?)</dd>", page, re.S):
            clean(re.sub(r"<[^>]+>", "", dd).replace("edu-app-01", ""), "audit value")

    # The CSV export names actions, entity types and fields by label; no recorded key shows through.
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/audit/export.csv", headers=world.headers("auditor"))
                                       .content.decode("utf-8-sig"))))
    entries = {e["id"]: e for e in client.get("/api/v1/audit", params={"limit": 1000},
                                              headers=world.headers("auditor")).json()["items"]}
    for row in rows[1:]:
        entry = entries[int(row[0])]
        clean(row[3] + " " + row[4], "csv action and type")
        changes = row[7]
        for key in _keys(entry["changes"]):
            assert not re.search(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])", changes), (key, changes)

    # The case page: evidence in words with units, each chart titled with its metric and unit.
    page = client.get(f"/zombies/cases/{case_id}").text
    observed = re.findall(r'<p class="small muted observed">(.*?)</p>', page, re.S)
    assert observed and all("=" not in o for o in observed)
    for o in observed:
        clean(o, "observed")
    assert "有业务请求数据的天数：90 天" in page
    assert '<text class="chart-title"' in page and "业务请求数（笔/日）" in page and ">日期</text>" in page

    # The cloud request page: stages and reviewers' outcomes by name.
    req_page = client.get("/cloud/1").text
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', req_page, re.S).group()
    clean(re.sub(r"<[^>]+>", " ", timeline), "timeline")
    assert "受理审批" in timeline and "，通过）" in timeline and "，退回修改）" in timeline


def _keys(value) -> set[str]:
    """Every key of a recorded change, nested records' keys too."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_english_locale_reads_english(client, reviewers, fleet):  # noqa: F811
    world = reviewers
    case_id = zombie_review(client, world)
    with client.app.state.engine.begin() as conn:
        conn.execute(update(User).where(User.username == "auditor").values(locale="en"))
    login(client, "auditor")
    page = client.get(f"/zombies/cases/{case_id}").text
    evidence = " ".join(re.findall(r'<p class="evidence">(.*?)</p>', page, re.S))
    assert evidence and not re.search(r"[\u4e00-\u9fff]", evidence), evidence
    assert "Days with request data: 90 days" in page and "Business transactions (per day)" in page
    assert ">Date</text>" in page
    buttons = re.findall(r'<button type="submit" formaction="/zombies/cases/\d+/\w+"[^>]*>(.*?)</button>', page)
    assert buttons and not any(re.search(r"[\u4e00-\u9fff]", b) for b in buttons), buttons

    world.headers("edu")
    req = client.post("/api/v1/cloud-requests", json=payload(world), headers=world.headers("edu")).json()
    for user, action in [("edu", "submit"), ("edu2", "approve"), ("countyoffice", "approve")]:
        assert client.post(f"/api/v1/cloud-requests/{req['id']}/{action}", json={},
                           headers=world.headers(user)).status_code == 200
    timeline = re.search(r'<ol class="timeline" id="timeline">.*?</ol>',
                         client.get(f"/cloud/{req['id']}").text, re.S).group()
    assert "Head of department review" in timeline and "Acceptance and approval" in timeline
    assert "Approved" in timeline


# --- point 11: the zombie pages filter by department subtree -------------------------------------------------

def test_scan_comparison_and_case_lists_filter_by_department_subtree(client, world, fleet):  # noqa: F811
    from tests.api.test_zombies import push, usage
    first = scan(client, world)
    push(client, world, usage("EDU-BUSY", requests=0, logins=0, cpu=0.01, net=1e5, users=0))   # goes quiet
    push(client, world, usage("HEALTH-BLIND", requests=0, logins=0, cpu=0.01, net=1e5, users=0))
    second = scan(client, world)
    h = world.headers("auditor")

    def compare(department):
        params = {"with": first["id"], **({"department_id": world.depts[department].id} if department else {})}
        r = client.get(f"/api/v1/zombie-scans/{second['id']}/compare", params=params, headers=h)
        assert r.status_code == 200, r.text
        return sorted(i["system_name"] for i in r.json()["new"])

    assert compare(None) == ["县中小学学籍管理系统", "县妇幼保健信息系统"]
    assert compare("edu") == ["县中小学学籍管理系统"]
    assert compare("health") == ["县妇幼保健信息系统"]
    assert compare("county") == ["县中小学学籍管理系统", "县妇幼保健信息系统"]     # the subtree, not the exact one
    assert compare("school") == []
    # A department user cannot widen the comparison beyond their scope.
    r = client.get(f"/api/v1/zombie-scans/{second['id']}/compare", headers=world.headers("edu"),
                   params={"with": first["id"], "department_id": world.depts["health"].id})
    assert r.status_code == 403

    def cases(department) -> set[str]:
        items = client.get("/api/v1/zombie-cases", params={"department_id": world.depts[department].id},
                           headers=h).json()["items"]
        return {c["system_code"] for c in items}
    assert cases("county") == cases("edu") | cases("health") and cases("edu") and cases("health")
    assert not cases("edu") & cases("health") and cases("school") == set()

    login(client, "auditor")
    page = client.get(f"/zombies/scans/{second['id']}", params={"department_id": world.depts["edu"].id}).text
    diff = re.search(r'<div class="card" id="scan-diff">.*?</div>', page, re.S).group()
    assert "县中小学学籍管理系统" in diff and "县妇幼保健信息系统" not in diff
    assert "县卫生应急指挥系统" not in page.split('id="scan-diff"')[1]     # health's verdicts are filtered out
    page = client.get(f"/zombies/scans/{second['id']}", params={"department_id": world.depts["county"].id}).text
    assert "县妇幼保健信息系统" in re.search(r'id="scan-diff">.*?</div>', page, re.S).group()
    home = client.get("/zombies", params={"department_id": world.depts["health"].id}).text
    listed = re.search(r'<table id="cases">.*?</table>', home, re.S).group()
    assert "县卫生应急指挥系统" in listed and "县教育宣传网站" not in listed
    assert client.get("/zombies", params={"department_id": ""}).status_code == 200
