"""The plan workbook (迁移计划表): template with drop-downs, import of both kinds of plan, each kind of error
naming sheet, row and column with nothing written, idempotent re-import, export → import as a no-op."""
from __future__ import annotations

import io

import openpyxl

from tests.api.helpers import create_system

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NET, CLOUD, SYSTEMS = "专网迁移计划", "上云迁移计划", "上云系统清单"
RESPONSIBLE = {"责任领导": "王强", "责任领导职务": "副局长", "责任领导电话": "0870-6100100", "责任处室": "办公室",
               "联络员": "李丽", "联络员电话": "13800000000"}


def template(client, world) -> openpyxl.Workbook:
    r = client.get("/api/v1/migration-plans/template.xlsx", headers=world.headers("edu"))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(r.content))


def fill(ws, row: int, values: dict) -> None:
    cols = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    for key, value in values.items():
        ws.cell(row=row, column=cols[key], value=value)


def upload(client, world, wb, user="edu"):
    buf = io.BytesIO()
    wb.save(buf)
    return client.post("/api/v1/migration-plans/import", headers=world.headers(user),
                       files={"file": ("plans.xlsx", buf.getvalue(), XLSX)})


def errors_of(r) -> set[tuple]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import_failed" and "未写入任何数据" in body["detail"]
    return {(e["sheet"], e["row"], e["column"], e["code"]) for e in body["errors"]}


def plans(client, world) -> dict[str, dict]:
    items = client.get("/api/v1/migration-plans", headers=world.headers("admin")).json()["items"]
    return {i["name"]: client.get(f"/api/v1/migration-plans/{i['id']}", headers=world.headers("admin")).json()
            for i in items}


def filled(client, world) -> openpyxl.Workbook:
    h = world.headers("edu")
    for name in ("学籍管理系统", "学生资助系统"):
        create_system(client, h, world.depts["edu"].id, name=name)
    r = client.post("/api/v1/private-networks", json={"department_id": world.depts["edu"].id, "name": "县教育城域网",
                                                      "fiscal_funded": True, "sites": [], "lines": []}, headers=h)
    assert r.status_code == 201, r.text
    wb = template(client, world)
    fill(wb[NET], 2, {"部门名称": "示范县教育局", "计划名称": "教育专网迁移计划", "迁移内容": "城域网并入政务外网",
                      "迁移目标": "政务外网专用网络区", "完成时限": "2027年6月30日", "计划联通日期": "2027-01-31",
                      "纳入迁移的业务专网": "县教育城域网", **RESPONSIBLE})
    fill(wb[CLOUD], 2, {"部门名称": "示范县教育局", "计划名称": "教育系统上云计划", "完成时限": "2027-12-31",
                        **RESPONSIBLE})
    fill(wb[SYSTEMS], 2, {"部门名称": "示范县教育局", "计划名称": "教育系统上云计划", "系统名称": "学籍管理系统",
                          "计划迁移日期": "2027-06-30"})
    fill(wb[SYSTEMS], 3, {"部门名称": "示范县教育局", "计划名称": "教育系统上云计划", "系统名称": "学生资助系统",
                          "计划迁移日期": "2027.9.30"})
    return wb


def test_template_has_sheets_and_target_drop_down(client, world):
    wb = template(client, world)
    assert wb.sheetnames[:4] == ["填写说明", NET, CLOUD, SYSTEMS]
    lists = [dv.formula1 for dv in wb[NET].data_validations.dataValidation]
    assert any("选项" in f for f in lists)
    assert "保密局" in "".join(str(c.value) for c in wb["填写说明"]["A"])


def test_import_both_kinds_then_reimport_changes_nothing(client, world):
    wb = filled(client, world)
    r = upload(client, world, wb)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 0}
    got = plans(client, world)
    net, cloud = got["教育专网迁移计划"], got["教育系统上云计划"]
    assert net["target"] == "extranet_dedicated" and net["completion_date"] == "2027-06-30"
    assert net["connect_by"] == "2027-01-31" and [n["name"] for n in net["networks"]] == ["县教育城域网"]
    assert [(s["system_name"], s["target_date"]) for s in cloud["systems"]] == [
        ("学籍管理系统", "2027-06-30"), ("学生资助系统", "2027-09-30")]
    r = upload(client, world, wb)
    assert r.json() == {"created": 0, "updated": 0, "unchanged": 2}
    fill(wb[CLOUD], 2, {"迁移内容": "分两批迁移"})
    assert upload(client, world, wb).json() == {"created": 0, "updated": 1, "unchanged": 1}
    # Export → import: nothing changes.
    exported = client.get("/api/v1/migration-plans/export.xlsx", headers=world.headers("edu"))
    assert exported.status_code == 200
    again = openpyxl.load_workbook(io.BytesIO(exported.content))
    assert again[SYSTEMS].max_row == 3
    assert upload(client, world, again).json() == {"created": 0, "updated": 0, "unchanged": 2}
    kind = client.get("/api/v1/migration-plans/export.xlsx", params={"kind": "cloud"}, headers=world.headers("edu"))
    assert openpyxl.load_workbook(io.BytesIO(kind.content))[NET].max_row == 1


def test_every_kind_of_error_names_sheet_row_column_and_writes_nothing(client, world):
    wb = filled(client, world)
    secret = client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "涉密办公系统",
                                                  "status": "running", "is_classified": True},
                         headers=world.headers("edu"))
    assert secret.status_code == 201
    fill(wb[NET], 3, {"部门名称": "不存在的局", "计划名称": "X", "迁移目标": "政务外网专用网络区",
                      "完成时限": "2027-01-01", **RESPONSIBLE})
    fill(wb[NET], 4, {"部门名称": "示范县教育局", "计划名称": "教育专网迁移计划", "迁移目标": "外太空",
                      "完成时限": "明年", **RESPONSIBLE})
    fill(wb[CLOUD], 3, {"部门名称": "示范县卫生健康局", "计划名称": "卫生上云", "完成时限": "2027-01-01",
                        **RESPONSIBLE, "联络员电话": ""})
    fill(wb[SYSTEMS], 4, {"部门名称": "示范县教育局", "计划名称": "没有这个计划", "系统名称": "学籍管理系统",
                          "计划迁移日期": "2027-01-01"})
    fill(wb[SYSTEMS], 5, {"部门名称": "示范县教育局", "计划名称": "教育系统上云计划", "系统名称": "涉密办公系统",
                          "计划迁移日期": "2027-01-01"})
    fill(wb[SYSTEMS], 6, {"部门名称": "示范县教育局", "计划名称": "教育系统上云计划", "系统名称": "学籍管理系统",
                          "计划迁移日期": "2027-02-01"})
    fill(wb[NET], 5, {"部门名称": "示范县教育局", "计划名称": "第二个专网计划", "迁移目标": "电子政务内网",
                      "完成时限": "2027-01-01", "纳入迁移的业务专网": "不存在的专网", **RESPONSIBLE})
    r = upload(client, world, wb)
    found = errors_of(r)
    assert (NET, 3, "部门名称", "unknown_department") in found
    assert (NET, 4, "迁移目标", "invalid_choice") in found or any(e[:3] == (NET, 4, "迁移目标") for e in found)
    assert any(e[:3] == (NET, 4, "完成时限") for e in found)
    assert (CLOUD, 3, "部门名称", "forbidden_department") in found
    assert (SYSTEMS, 4, "计划名称", "unknown_plan") in found
    assert (SYSTEMS, 5, "系统名称", "classified") in found
    assert (SYSTEMS, 6, "系统名称", "duplicate") in found
    assert (NET, 5, "纳入迁移的业务专网", "unknown_network") in found
    assert "保密局" in next(e["message"] for e in r.json()["errors"] if e["code"] == "classified")
    assert plans(client, world) == {}


def test_submitted_plan_cannot_be_changed_by_import(client, world):
    wb = filled(client, world)
    assert upload(client, world, wb).status_code == 200
    pid = plans(client, world)["教育系统上云计划"]["id"]
    assert client.post(f"/api/v1/migration-plans/{pid}/submit", headers=world.headers("edu")).status_code == 200
    assert upload(client, world, wb).json()["unchanged"] == 2
    fill(wb[CLOUD], 2, {"完成时限": "2028-12-31"})
    assert (CLOUD, 2, "计划名称", "not_editable") in errors_of(upload(client, world, wb))


def test_not_a_workbook_and_missing_sheets(client, world):
    r = client.post("/api/v1/migration-plans/import", headers=world.headers("edu"),
                    files={"file": ("x.xlsx", b"not a zip", XLSX)})
    assert r.status_code == 422 and r.json()["code"] == "not_a_workbook"
    wb = openpyxl.Workbook()
    wb.active.title = "随便"
    assert (None, None, None, "missing_sheet") in errors_of(upload(client, world, wb))
    assert upload(client, world, template(client, world), user="auditor").status_code == 403
