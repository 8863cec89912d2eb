"""Census spreadsheets: the template, tolerant import of real-world cells, every kind of error with
nothing written, idempotent re-import, export → import as a no-op, scope and classified systems."""
from __future__ import annotations

import io

import openpyxl
import pytest

from control.systems.census import fields_of
from control.systems.enums import SystemKind
from tests.api.helpers import create_system

SELF = "自建系统"


def template(client, world) -> openpyxl.Workbook:
    r = client.get("/api/v1/systems/template.xlsx", headers=world.headers("edu"))
    assert r.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(r.content))


def header_index(ws) -> dict[str, int]:
    return {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}


def fill(ws, row: int, values: dict) -> None:
    cols = header_index(ws)
    for key, value in values.items():
        ws.cell(row=row, column=cols[key], value=value)


def upload(client, world, wb, user="edu"):
    buf = io.BytesIO()
    wb.save(buf)
    return client.post("/api/v1/systems/import", headers=world.headers(user),
                       files={"file": ("census.xlsx", buf.getvalue(),
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})


def good_row(world, **extra) -> dict:
    row = {"部门名称": "示范县教育局", "系统名称": "县教育资源公共服务平台", "运行状态": "正在运行",
           "系统功能描述": "教学资源共享", "运行网络": "电子政务外网、互联网", "是否属于涉密网": "☐",
           "安全等级（等保级别）": "２", "是否可连接到电子政务外网或者互联网": "√", "连接方式": "直接连接",
           "使用范围": "纵向到基层", "用户数量": "不固定", "使用频度": "每日", "审批时间": "2017年1月10日",
           "建设时间": "2017.6.1", "质保期（年）": "3年", "建设资金（万元）": "１２０．５万元", "运维经费（万元/年）": 8,
           "运维单位": "  示范信息技术有限公司  "}
    row.update(extra)
    return row


def test_template_has_the_forms_sheets_headers_and_dropdowns(client, world):
    wb = template(client, world)
    assert wb.sheetnames[:1] == ["填写说明"] and {"自建系统", "垂管系统", "信息资源共享"} <= set(wb.sheetnames)
    heads = list(header_index(wb[SELF]))
    assert heads[:2] == ["部门名称", "部门代码"]
    assert heads[2:] == [f.zh for f in fields_of(SystemKind.self_built)]
    assert list(header_index(wb["垂管系统"]))[2:] == [f.zh for f in fields_of(SystemKind.vertical)]
    assert "安全等级（等保级别）" not in header_index(wb["垂管系统"])
    validated = {str(dv.sqref).split(":")[0] for dv in wb[SELF].data_validations.dataValidation}
    cols = header_index(wb[SELF])
    for name in ("运行状态", "运行网络", "是否属于涉密网", "使用频度", "使用范围", "连接方式", "网站集约化"):
        letter = openpyxl.utils.get_column_letter(cols[name])
        assert f"{letter}2" in validated, name
    assert wb["选项"].sheet_state == "hidden"
    notes = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "不固定" in notes and "2017年1月10日" in notes


def test_import_tolerates_real_forms(client, world):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(world))
    fill(wb[SELF], 3, good_row(world, **{"部门名称": None, "部门代码": world.depts["school"].code,
                                         "系统名称": "校园一卡通", "运行网络": "业务专网\n互联网",
                                         "是否可连接到电子政务外网或者互联网": "否", "连接方式": None,
                                         "不可连接的原因": "物理隔离", "用户数量": 1200, "审批时间": 42745,
                                         "网站集约化": "Y", "使用范围": "科室内部；本部门或管理单位"}))
    fill(wb["垂管系统"], 2, {"部门名称": "示范县教育局", "系统名称": "全国学籍系统", "运行状态": "正在运行",
                            "运行网络": "电子政务外网", "是否属于涉密网": "否"})
    fill(wb["信息资源共享"], 2, {"部门名称": "示范县教育局", "系统名称": "县教育资源公共服务平台",
                                "类别": "已向其他部门提供", "信息资源名称": "学生基本信息", "对方部门": "示范县卫生健康局",
                                "共享方式": "API接口"})
    r = upload(client, world, wb)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 3, "updated": 0, "unchanged": 0}
    h = world.headers("edu")
    items = {i["name"]: i for i in client.get("/api/v1/systems", headers=h).json()["items"]}
    first = client.get(f"/api/v1/systems/{items['县教育资源公共服务平台']['id']}", headers=h).json()
    assert first["networks"] == ["extranet", "internet"] and first["user_count_varies"] is True
    assert first["approval_date"] == "2017-01-10" and first["build_date"] == "2017-06-01"
    assert first["protection_level"] == 2 and float(first["build_cost"]) == 120.5
    assert first["om_vendors"] == "示范信息技术有限公司" and first["warranty_years"] in ("3", "3.00")
    assert first["sharing"][0]["method"] == "api" and first["sharing"][0]["counterpart"] == "示范县卫生健康局"
    second = client.get(f"/api/v1/systems/{items['校园一卡通']['id']}", headers=h).json()
    assert second["department_name"] == "示范县城关镇中心校" and second["user_count"] == 1200
    assert second["use_scopes"] == ["office", "department"] and second["site_consolidation"] is True
    assert items["全国学籍系统"]["kind"] == "vertical"
    # Re-import of the same file changes nothing.
    assert upload(client, world, wb).json() == {"created": 0, "updated": 0, "unchanged": 3}
    trail = client.get("/api/v1/audit", params={"entity_type": "system"}, headers=world.headers("auditor")).json()
    assert trail["total"] == 3 and len({e["request_id"] for e in trail["items"]}) == 1


@pytest.mark.parametrize("extra,column,code", [
    ({"审批时间": "去年"}, "审批时间", "invalid_date"),
    ({"运行网络": "外网、卫星网"}, "运行网络", "invalid_choice"),
    ({"用户数量": "很多"}, "用户数量", "invalid_number"),
    ({"是否属于涉密网": "也许"}, "是否属于涉密网", "invalid_bool"),
    ({"部门名称": "不存在的局"}, "部门名称", "unknown_department"),
    ({"部门名称": None, "部门代码": "00927660-0"}, "部门代码", "invalid_department_code"),
    ({"部门名称": "示范县卫生健康局"}, "部门名称", "forbidden_department"),
    ({"系统名称": None}, "系统名称", "required"),
    ({"是否可连接到电子政务外网或者互联网": "否", "连接方式": None}, "不可连接的原因", "required"),
    ({"是否属于涉密网": "是"}, "系统功能描述", "classified_minimal"),
    ({"安全等级（等保级别）": 7}, "安全等级（等保级别）", "out_of_range"),
])
def test_each_kind_of_error_names_sheet_row_column_and_writes_nothing(client, world, extra, column, code):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(world, **{"系统名称": "正确的系统"}))
    fill(wb[SELF], 3, good_row(world, **extra))
    r = upload(client, world, wb)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert {"sheet": SELF, "row": 3, "column": column, "code": code} in [
        {k: e[k] for k in ("sheet", "row", "column", "code")} for e in errors], errors
    assert all(e["message"] for e in errors)
    assert client.get("/api/v1/systems", headers=world.headers("edu")).json()["total"] == 0


def test_duplicate_rows_transitions_and_codes(client, world):
    existing = create_system(client, world.headers("edu"), world.depts["edu"].id, name="已登记系统", status="running",
                             code="EDU-1")
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(world, **{"系统名称": "甲"}))
    fill(wb[SELF], 3, good_row(world, **{"系统名称": "甲"}))
    fill(wb[SELF], 4, good_row(world, **{"系统名称": "已登记系统", "运行状态": "已下线"}))
    fill(wb[SELF], 5, good_row(world, **{"系统名称": "乙", "系统编码": "EDU-1"}))
    r = upload(client, world, wb)
    got = {(e["row"], e["code"]) for e in r.json()["errors"]}
    assert got == {(3, "duplicate_row"), (4, "illegal_transition"), (5, "duplicate_code")}
    assert existing["status"] == "running"


def test_not_a_workbook_and_missing_sheet(client, world):
    r = client.post("/api/v1/systems/import", headers=world.headers("edu"),
                    files={"file": ("x.xlsx", b"not a zip", "application/octet-stream")})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_a_workbook"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    r = upload(client, world, wb)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "missing_sheet"


def test_import_needs_a_token_and_a_writing_role(client, world):
    wb = template(client, world)
    buf = io.BytesIO()
    wb.save(buf)
    assert client.post("/api/v1/systems/import", files={"file": ("c.xlsx", buf.getvalue())}).status_code == 401
    assert upload(client, world, wb, user="auditor").status_code == 403


def test_export_then_import_is_a_no_op_and_skips_classified(client, world):
    h = world.headers("admin")
    create_system(client, h, world.depts["edu"].id, name="甲系统")
    create_system(client, h, world.depts["school"].id, name="乙系统", user_count=None, user_count_varies=True)
    create_system(client, h, world.depts["health"].id, name="丙系统")
    client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "涉密系统",
                                         "is_classified": True}, headers=h)
    client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "垂管系统甲",
                                         "kind": "vertical", "networks": ["extranet"]}, headers=h)
    r = client.get("/api/v1/systems/export.xlsx", headers=world.headers("edu"))
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    names = [row[2] for row in wb[SELF].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["乙系统", "甲系统"]                       # own subtree, no classified
    assert [row[2] for row in wb["垂管系统"].iter_rows(min_row=2, values_only=True)] == ["垂管系统甲"]
    assert "1 个涉密系统" in str(list(wb["填写说明"].iter_rows(values_only=True)))
    assert wb["信息资源共享"].max_row == 3
    r = client.post("/api/v1/systems/import", headers=world.headers("edu"), files={"file": ("e.xlsx", r.content)})
    assert r.status_code == 200 and r.json() == {"created": 0, "updated": 0, "unchanged": 3}
    filtered = client.get("/api/v1/systems/export.xlsx", params={"q": "丙"}, headers=h)
    wb = openpyxl.load_workbook(io.BytesIO(filtered.content))
    assert [row[2] for row in wb[SELF].iter_rows(min_row=2, values_only=True)] == ["丙系统"]


def test_changed_cells_update_and_are_audited(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, name="甲系统")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/systems/export.xlsx", headers=h).content))
    cols = header_index(wb[SELF])
    wb[SELF].cell(row=2, column=cols["用户数量"], value=999)
    assert upload(client, world, wb).json() == {"created": 0, "updated": 1, "unchanged": 0}
    trail = client.get("/api/v1/audit", params={"entity_id": str(s["id"]), "entity_type": "system"},
                       headers=world.headers("auditor")).json()["items"]
    assert trail[0]["changes"] == {"user_count": [120, 999]}
