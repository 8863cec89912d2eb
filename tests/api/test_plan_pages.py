"""Migration plan pages in zh-CN: the navigation entry, the list and its filters, the plan form with an
inline error, the plan page's stages and the steps each reader sees, approval through the pages, per-system
progress, an exception decided on the page, the technical plan upload and the workbook import page."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl

from control.core.clock import today
from tests.api.helpers import create_system, csrf, login

RESPONSIBLE = {"leader_name": "王强", "leader_title": "副局长", "leader_phone": "0870-6100100", "office": "办公室",
               "liaison_name": "李丽", "liaison_phone": "13800000000"}


def post_page(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf(client, page), **data}, follow_redirects=False)


def test_plan_pages_from_form_to_migration(client, world):
    sid = create_system(client, world.headers("edu"), world.depts["edu"].id, name="学籍管理系统")["id"]
    login(client, "edu")
    assert "迁移计划" in client.get("/").text
    form = {"kind": "cloud", "department_id": str(world.depts["edu"].id), "name": "教育系统上云计划",
            "content": "学籍系统迁移上云", "completion_date": str(today() + timedelta(days=200)),
            f"system-{sid}": "1", f"target-{sid}": str(today() + timedelta(days=100)), **RESPONSIBLE}
    r = post_page(client, "/plans/new", "/plans/new", **{**form, "target": "intranet"})
    assert r.status_code == 422 and "上云计划的目标即政务云" in r.text
    r = post_page(client, "/plans/new", "/plans/new", **form)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = client.get(url).text
    assert "教育系统上云计划" in page and "尚未提交（自查）" in page and 'id="act-submit"' in page
    assert post_page(client, f"{url}/submit", url).status_code == 303
    page = client.get(url).text
    assert "本单位负责人审核" in page and 'id="act-approve"' not in page      # the author signs nothing
    for user in ("edu2", "countyoffice", "bureau"):
        login(client, user)
        assert 'id="act-approve"' in client.get(url).text
        assert post_page(client, f"{url}/approve", url, comment="同意").status_code == 303
    page = client.get(url).text
    assert "系统迁移上云中" in page and "大数据发展局审批" in page
    login(client, "infocenter")
    assert post_page(client, f"{url}/systems/{sid}/start", url).status_code == 303
    assert "迁移中" in client.get(url).text
    listed = client.get("/plans?kind=cloud&schedule=on_plan").text
    assert "教育系统上云计划" in listed and "按计划" in listed
    assert "没有迁移计划" in client.get("/plans?schedule=behind_plan").text


def test_exception_and_document_on_the_page(client, world):
    sid = create_system(client, world.headers("edu"), world.depts["edu"].id, name="学生资助系统")["id"]
    body = {"kind": "cloud", "department_id": world.depts["edu"].id, "name": "上云计划",
            "completion_date": str(today() + timedelta(days=200)),
            "systems": [{"system_id": sid, "target_date": str(today() + timedelta(days=100))}], **RESPONSIBLE}
    plan = client.post("/api/v1/migration-plans", json=body, headers=world.headers("edu")).json()
    url = f"/plans/{plan['id']}"
    login(client, "edu")
    r = post_page(client, f"{url}/systems/{sid}/exception", url, reason="high_security", justification="涉及敏感数据")
    assert r.status_code == 303
    r = client.post(f"{url}/documents", data={"csrf_token": csrf(client, url)},
                    files={"file": ("技术方案.pdf", b"%PDF-1.4", "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(url).text
    assert "版本 1" in page and "安全性要求高" in page and "待审批" in page
    login(client, "bureau")
    later = str(today() + timedelta(days=500))
    r = post_page(client, f"{url}/systems/{sid}/exception/decide", url, approve="1", later_target_date=later,
                  interface="资助信息查询接口", interface_evidence="接口文档 v1", comment="同意")
    assert r.status_code == 303
    page = client.get(url).text
    assert "资助信息查询接口" in page and later in page


def test_import_page_lists_bad_cells(client, world):
    login(client, "edu")
    r = client.get("/api/v1/migration-plans/template.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb["上云系统清单"]
    ws.cell(row=2, column=1, value="示范县教育局")
    ws.cell(row=2, column=3, value="没有的计划")
    ws.cell(row=2, column=4, value="某系统")
    ws.cell(row=2, column=6, value="2027-01-01")
    buf = io.BytesIO()
    wb.save(buf)
    assert "下载迁移计划表模板" in client.get("/plans/import").text
    r = client.post("/plans/import", data={"csrf_token": csrf(client, "/plans/import")},
                    files={"file": ("p.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 422 and "未导入任何数据" in r.text
    assert re.search(r"上云系统清单</td><td class=\"num\">2</td><td[^>]*>计划名称", r.text)


def test_a_returned_plan_is_edited_beside_its_comment(client, world):
    h = world.headers("edu")
    sid = create_system(client, h, world.depts["edu"].id, name="学籍管理系统")["id"]
    body = {"kind": "cloud", "department_id": world.depts["edu"].id, "name": "上云计划",
            "completion_date": str(today() + timedelta(days=200)),
            "systems": [{"system_id": sid, "target_date": str(today() + timedelta(days=100))}], **RESPONSIBLE}
    pid = client.post("/api/v1/migration-plans", json=body, headers=h).json()["id"]
    client.post(f"/api/v1/migration-plans/{pid}/submit", headers=h)
    client.post(f"/api/v1/migration-plans/{pid}/return", json={"comment": "完成时限过晚"},
                headers=world.headers("edu2"))
    login(client, "edu")
    url = f"/plans/{pid}"
    page = client.get(url).text
    assert "完成时限过晚" in page and 'id="edit-plan"' in page
    form = client.get(f"{url}/edit").text
    assert 'name="completion_date"' in form and f'name="system-{sid}" value="1" checked' in form
    sooner = str(today() + timedelta(days=150))
    data = {"name": "上云计划", "content": "", "completion_date": sooner, f"system-{sid}": "1",
            f"target-{sid}": str(today() + timedelta(days=100)), **RESPONSIBLE}
    r = post_page(client, f"{url}/edit", f"{url}/edit", **{**data, "connect_by": str(today())})
    assert r.status_code == 422 and "上云计划不填写计划联通" in r.text
    assert post_page(client, f"{url}/edit", f"{url}/edit", **data).status_code == 303
    assert client.get(f"/api/v1/migration-plans/{pid}", headers=h).json()["completion_date"] == sooner
    login(client, "health")
    assert client.get(f"{url}/edit").status_code == 403


def test_a_private_network_step_is_ticked_off_on_the_page_with_evidence(client, world):
    h = world.headers("edu")
    net = client.post("/api/v1/private-networks", json={"department_id": world.depts["edu"].id, "name": "县教育城域网",
                                                        "fiscal_funded": True, "sites": [], "lines": []}, headers=h)
    body = {"kind": "private_network", "department_id": world.depts["edu"].id, "name": "专网迁移计划",
            "target": "extranet_public", "network_ids": [net.json()["id"]],
            "completion_date": str(today() + timedelta(days=200)), **RESPONSIBLE}
    pid = client.post("/api/v1/migration-plans", json=body, headers=h).json()["id"]
    client.post(f"/api/v1/migration-plans/{pid}/submit", headers=h)
    for user in ("edu2", "countyoffice", "bureau"):
        client.post(f"/api/v1/migration-plans/{pid}/approve", headers=world.headers(user))
    login(client, "edu")
    url = f"/plans/{pid}"
    page = client.get(url).text
    assert 'id="act-connect"' in page and 'name="evidence"' in page and "县教育城域网" in page
    post_page(client, f"{url}/connect", url)
    assert "请填写完成该环节的佐证" in client.get(url).text          # flashed, nothing moved
    assert post_page(client, f"{url}/connect", url, evidence="联通测试记录").status_code == 303
    page = client.get(url).text
    assert "迁移阶段" in page and "佐证：联通测试记录" in page and "已联通" in page
