"""Census spreadsheets: the template, tolerant import of real-world cells, every kind of error with
nothing written, idempotent re-import, export → import as a no-op, scope and classified systems."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl

from control.systems.census_layout import SHARING_HEADERS, fields_of
from control.systems.census_read import ExcelError, WorkbookLimits, XlsxReader
from control.systems.enums import SystemKind
from control.systems.fields import CENSUS_FIELDS
from tests.api.helpers import create_system

SELF, VERTICAL, SHARING, HELP = "自建系统", "垂管系统", "信息资源共享", "填写说明"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template(client, world, user="edu") -> openpyxl.Workbook:
    r = client.get("/api/v1/systems/template.xlsx", headers=world.headers(user))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(r.content))


def header_index(ws, row: int = 1) -> dict[str, int]:
    return {str(c.value).lstrip("*"): c.column for c in ws[row] if c.value}


def fill(ws, row: int, values: dict) -> None:
    cols = header_index(ws)
    for key, value in values.items():
        ws.cell(row=row, column=cols[key], value=value)


def upload(client, world, wb, user="edu"):
    buf = io.BytesIO()
    wb.save(buf)
    return client.post("/api/v1/systems/import", headers=world.headers(user),
                       files={"file": ("census.xlsx", buf.getvalue(), XLSX)})


def listed(client, world, user="admin") -> dict[str, dict]:
    items = client.get("/api/v1/systems", params={"limit": 500}, headers=world.headers(user)).json()["items"]
    return {i["name"]: i for i in items}


def detail(client, world, system_id: int, user="admin") -> dict:
    return client.get(f"/api/v1/systems/{system_id}", headers=world.headers(user)).json()


def errors_of(r) -> set[tuple]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import_failed" and "未写入任何数据" in body["detail"]
    assert all(e["message"] for e in body["errors"])
    return {(e["sheet"], e["row"], e["column"], e["code"]) for e in body["errors"]}


def good_row(**extra) -> dict:
    row = {
        "部门名称": "示范县教育局",
        "系统名称": "县教育资源公共服务平台",
        "运行状态": "正在运行",
        "系统功能描述": "教学资源共享",
        "运行网络": "电子政务外网、互联网",
        "是否属于涉密网": "☐",
        "安全等级（等保级别）": "２",
        "是否可连接到电子政务外网或者互联网": "√",
        "连接方式": "直接连接",
        "使用范围": "纵向到基层",
        "用户数量": "不固定",
        "使用频度": "每日",
        "审批时间": "2017年1月10日",
        "建设时间": "2017.6.1",
        "质保期（年）": "3年",
        "建设资金（万元）": "１２０．５万元",
        "运维经费（万元/年）": 8,
        "运维单位": "  示范信息技术有限公司  ",
    }
    row.update(extra)
    return row


# --- the template ------------------------------------------------------------------------------------------

def test_template_has_the_forms_sheets_headers_and_dropdowns(client, world):
    wb = template(client, world)
    assert wb.sheetnames[0] == HELP and {SELF, VERTICAL, SHARING} <= set(wb.sheetnames)
    assert wb["选项"].sheet_state == "hidden"
    ws = wb[SELF]
    raw_heads = [c.value for c in ws[1]]
    assert raw_heads[:2] == ["部门名称", "部门代码"]
    assert raw_heads[2:] == [("*" if f.required else "") + f.zh for f in CENSUS_FIELDS]
    assert "*系统名称" in raw_heads and "*运行状态" in raw_heads and ws["C1"].font.color.rgb.endswith("C00000")
    vertical = list(header_index(wb[VERTICAL]))[2:]
    assert vertical == [f.zh for f in fields_of(SystemKind.vertical)] == [f.zh for f in CENSUS_FIELDS if f.vertical]
    assert "安全等级（等保级别）" not in vertical
    assert ws.freeze_panes == "C2" and wb[SHARING].freeze_panes == "A2"
    assert all(ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width >= 10 for i in range(1, ws.max_column))

    cols = header_index(ws)
    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    for f in CENSUS_FIELDS:
        letter = openpyxl.utils.get_column_letter(cols[f.zh])
        if f.type not in ("enum", "multienum", "bool"):
            assert f"{letter}2" not in validations, f.zh
            continue
        dv = validations[f"{letter}2"]
        assert dv.type == "list" and dv.formula1.startswith("'选项'!"), f.zh
        # Multi-select cells take “A、B”: their list suggests without blocking other input.
        assert dv.showErrorMessage is (f.type != "multienum"), f.zh
        assert str(dv.sqref).endswith("1048576")
    options = {c.value for row in wb["选项"].iter_rows() for c in row}
    assert {"电子政务外网", "业务专网", "纵向到基层", "每季度", "是", "否", "正在运行", "绝密"} <= options

    sharing = wb[SHARING]
    assert list(header_index(sharing)) == SHARING_HEADERS
    assert "*类别" in [c.value for c in sharing[1]]
    formulas = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sharing.data_validations.dataValidation}
    assert "已向其他部门提供" in formulas["D2"] and "API接口" in formulas["G2"]

    notes = " ".join(str(c.value) for row in wb[HELP].iter_rows() for c in row if c.value)
    for text in ("凡填写“是”的，必须属于保密局认定的保密网络", "如果用户量变动频繁则填写“不固定”", "2017年1月10日",
                 "☑/☐", "统一社会信用代码", "不写入任何数据", "可提供的部门", *(f.zh for f in CENSUS_FIELDS)):
        assert text in notes, text
    assert "涉密系统" not in str(wb[HELP]["A5"].value or "")


def test_template_needs_a_login(client, world):
    assert client.get("/api/v1/systems/template.xlsx").status_code == 401
    assert template(client, world, "auditor").sheetnames


# --- importing ---------------------------------------------------------------------------------------------

def test_import_tolerates_real_forms(client, world):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row())
    fill(
        wb[SELF],
        3,
        good_row(
            **{
                "部门名称": None,
                "部门代码": world.depts["school"].code.lower(),
                "系统名称": " 校园一卡通 ",
                "运行状态": "☑正在运行 ☐停止运行 ☐其他",
                "运行网络": "业务专网\n互联网",
                "是否属于涉密网": "N",
                "是否可连接到电子政务外网或者互联网": "否",
                "连接方式": None,
                "不可连接的原因": "物理隔离",
                "安全等级（等保级别）": "三级",
                "用户数量": "1,200人",
                "审批时间": 42745,
                "建设时间": datetime(2018, 3, 5, 9, 30),
                "网站集约化": "Y",
                "使用范围": "科室内部；本部门或管理单位",
                "使用频度": "每　周",
                "质保期（年）": "36个月",
                "建设资金（万元）": "125000元",
                "运维经费（万元/年）": "12.5",
                "责任人电话": 13800000000,
            }
        ),
    )
    fill(wb[SELF], 4, good_row(**{"部门名称": "示范县教育局", "部门代码": world.depts["edu"].code,
                                  "系统名称": "招生报名系统", "运行状态": "运行中", "运行网络": "外网/互联网",
                                  "是否属于涉密网": "否", "是否可连接到电子政务外网或者互联网": "☑",
                                  "审批时间": "2017/1/10", "建设时间": "2017-01", "用户数量": "１２０",
                                  "建设资金（万元）": "12.5", "运维经费（万元/年）": None, "质保期（年）": None,
                                  "使用范围": None, "使用频度": "按需"}))
    fill(
        wb[SELF],
        6,
        good_row(
            系统名称="内部公文流转",
            运行网络="电子政务内网；电子政务外网",
            是否属于涉密网="×",
            审批时间="2017.1.10",
            建设时间="２０１７年１月",
            使用频度="daily",
        ),
    )
    fill(wb[SELF], 7, {"部门名称": "示范县教育局", "系统名称": "涉密档案系统", "运行状态": "正在运行",
                       "是否属于涉密网": "是", "涉密等级": "机密"})
    fill(wb[VERTICAL], 2, {"部门名称": "示范县教育局", "系统名称": "全国学籍系统", "运行状态": "正在运行",
                           "运行网络": "电子政务外网", "是否属于涉密网": "否", "其他说明": "教育部部署"})
    fill(wb[SHARING], 2, {"部门名称": "示范县教育局", "系统名称": "县教育资源公共服务平台",
                          "类别": "已向其他部门提供", "信息资源名称": "学生基本信息", "对方部门": "示范县卫生健康局",
                          "共享方式": "API接口"})
    fill(
        wb[SHARING],
        3,
        {
            "部门代码": world.depts["edu"].code,
            "系统名称": "县教育资源公共服务平台",
            "类别": "需提供",
            "信息资源名称": "人口基础信息",
            "对方部门": "县公安局",
            "共享方式": "前置机",
        },
    )
    r = upload(client, world, wb)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 6, "updated": 0, "unchanged": 0}
    items = listed(client, world, "edu")
    assert set(items) == {
        "县教育资源公共服务平台",
        "校园一卡通",
        "招生报名系统",
        "内部公文流转",
        "涉密档案系统",
        "全国学籍系统",
    }

    first = detail(client, world, items["县教育资源公共服务平台"]["id"])
    assert first["networks"] == ["extranet", "internet"] and first["is_classified"] is False
    assert first["user_count"] is None and first["user_count_varies"] is True
    assert first["approval_date"] == "2017-01-10" and first["build_date"] == "2017-06-01"
    assert first["protection_level"] == 2 and first["can_reach_external"] is True and first["reach_method"] == "direct"
    assert float(first["build_cost"]) == 120.5 and float(first["om_cost_yearly"]) == 8
    assert float(first["warranty_years"]) == 3 and first["om_vendors"] == "示范信息技术有限公司"
    assert first["status"] == "running" and first["use_scopes"] == ["grassroots"] and first["code"].startswith("YZ-")
    assert sorted((s["direction"], s["method"], s["counterpart"]) for s in first["sharing"]) == [
        ("needed", "exchange_server", "县公安局"), ("provided", "api", "示范县卫生健康局")]

    second = detail(client, world, items["校园一卡通"]["id"])
    assert second["department_name"] == "示范县城关镇中心校" and second["status"] == "running"
    assert second["networks"] == ["private", "internet"] and second["protection_level"] == 3
    assert second["user_count"] == 1200 and second["user_count_varies"] is False
    assert second["approval_date"] == "2017-01-10" and second["build_date"] == "2018-03-05"
    assert second["use_scopes"] == ["office", "department"] and second["site_consolidation"] is True
    assert second["usage_frequency"] == "weekly" and float(second["warranty_years"]) == 3
    assert float(second["build_cost"]) == 12.5 and second["responsible_phone"] == "13800000000"
    assert second["can_reach_external"] is False and second["no_reach_reason"] == "物理隔离"

    third = detail(client, world, items["招生报名系统"]["id"])
    assert third["status"] == "running" and third["networks"] == ["extranet", "internet"]
    assert third["approval_date"] == "2017-01-10" and third["build_date"] == "2017-01-01"
    assert third["user_count"] == 120 and third["om_cost_yearly"] is None and third["use_scopes"] == []
    fourth = detail(client, world, items["内部公文流转"]["id"])
    assert fourth["networks"] == ["intranet", "extranet"] and fourth["build_date"] == "2017-01-01"
    assert fourth["usage_frequency"] == "daily" and fourth["approval_date"] == "2017-01-10"
    secret = detail(client, world, items["涉密档案系统"]["id"])
    assert secret["is_classified"] is True and secret["classified_grade"] == "confidential"
    vertical = detail(client, world, items["全国学籍系统"]["id"])
    assert vertical["kind"] == "vertical" and vertical["other_notes"] == "教育部部署"

    # The same file again changes nothing; one audit entry per created system, one request id for all.
    assert upload(client, world, wb).json() == {"created": 0, "updated": 0, "unchanged": 6}
    trail = client.get("/api/v1/audit", params={"entity_type": "system"}, headers=world.headers("auditor")).json()
    assert trail["total"] == 6 and len({e["request_id"] for e in trail["items"]}) == 1
    created = next(e for e in trail["items"] if e["entity_id"] == str(first["id"]))
    assert created["action"] == "create" and created["changes"]["user_count_varies"] == [None, True]
    assert created["changes"]["sharing"][1][0]["resource_name"] in ("学生基本信息", "人口基础信息")


def test_a_real_world_layout_title_row_renamed_sheets_and_loose_headers(client, world):
    """Forms come back with a title above the header, sheets renamed, headers in full width or another
    order and optional columns deleted."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自建系统（附件2）"
    ws.append(["政务信息系统普查问卷（自建系统）——示范县教育局"])
    ws.append(
        ["系统名称", "运行状态", " 统一社会信用代码 ", "运行网络", "用户数量", "安全等级(等保级别)", "* 是否属于涉密网"]
    )
    ws.append(["作业管理平台", "其他", world.depts["edu"].code, "互联网", "不固定", "2", ""])
    ws.append([])
    ws.append(["图书管理系统", "停止运行", world.depts["school"].code, "", 35, None, None])
    r = upload(client, world, wb)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 0}
    items = listed(client, world, "edu")
    assert items["作业管理平台"]["status"] == "registered" and items["作业管理平台"]["protection_level"] == 2
    assert items["图书管理系统"]["department_name"] == "示范县城关镇中心校"


def test_each_kind_of_row_error_names_sheet_row_column_and_writes_nothing(client, world):
    wb = template(client, world)
    ws = wb[SELF]
    cases = [
        ({"审批时间": "去年"}, "审批时间", "invalid_date"),
        ({"运行网络": "外网、卫星网"}, "运行网络", "invalid_choice"),
        ({"使用频度": "偶尔"}, "使用频度", "invalid_choice"),
        ({"用户数量": "很多"}, "用户数量", "invalid_number"),
        ({"建设资金（万元）": "五十万"}, "建设资金（万元）", "invalid_number"),
        ({"是否属于涉密网": "也许"}, "是否属于涉密网", "invalid_bool"),
        ({"部门名称": "不存在的局"}, "部门名称", "unknown_department"),
        ({"部门名称": None, "部门代码": "00927660-0"}, "部门代码", "invalid_department_code"),
        ({"部门名称": "示范县卫生健康局", "部门代码": world.depts["edu"].code}, "部门名称", "department_mismatch"),
        ({"部门名称": "示范县卫生健康局"}, "部门名称", "forbidden_department"),
        ({"部门名称": None}, "部门名称", "required"),
        ({"系统名称": None}, "系统名称", "required"),
        ({"运行状态": None}, "运行状态", "required"),
        ({"是否可连接到电子政务外网或者互联网": "否", "连接方式": None}, "不可连接的原因", "required"),
        ({"是否可连接到电子政务外网或者互联网": "否", "不可连接的原因": "隔离"}, "连接方式", "contradiction"),
        ({"是否属于涉密网": "是"}, "系统功能描述", "classified_minimal"),
        ({"涉密等级": "秘密"}, "涉密等级", "not_classified"),
        ({"安全等级（等保级别）": 7}, "安全等级（等保级别）", "out_of_range"),
        ({"系统名称": "名" * 201}, "系统名称", "too_long"),
        ({"系统编码": "含 空格"}, "系统编码", "invalid_code"),
    ]
    fill(ws, 2, good_row(系统名称="正确的系统"))
    for number, (extra, _, _) in enumerate(cases, start=3):
        fill(ws, number, good_row(**{"系统名称": f"系统{number}", **extra}))
    got = errors_of(upload(client, world, wb))
    for number, (_, column, code) in enumerate(cases, start=3):
        assert (SELF, number, column, code) in got, (number, column, code, got)
    assert not {e for e in got if e[1] == 2}
    assert client.get("/api/v1/systems", headers=world.headers("admin")).json()["total"] == 0
    assert client.get("/api/v1/audit", params={"entity_type": "system"},
                      headers=world.headers("auditor")).json()["total"] == 0


def test_errors_across_rows_and_against_the_inventory(client, world):
    h = world.headers("edu")
    create_system(client, h, world.depts["edu"].id, name="已登记系统", status="running", code="EDU-1")
    create_system(client, h, world.depts["edu"].id, name="另一系统", status="running", code="EDU-2")
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(系统名称="甲"))
    fill(wb[SELF], 3, good_row(系统名称="甲"))
    fill(wb[SELF], 4, good_row(系统名称="已登记系统", 运行状态="其他"))
    fill(wb[SELF], 5, good_row(系统名称="乙", 系统编码="EDU-1"))
    fill(wb[SELF], 6, good_row(系统名称="另一系统", 系统编码="EDU-9"))
    fill(wb[SELF], 7, good_row(系统名称="丙", 系统编码="NEW-1"))
    fill(wb[VERTICAL], 2, {"部门名称": "示范县教育局", "系统名称": "丁", "系统编码": "NEW-1", "运行状态": "正在运行"})
    fill(wb[VERTICAL], 3, {"部门名称": "示范县教育局", "系统名称": "甲", "运行状态": "正在运行"})
    fill(
        wb[SHARING], 2, {"部门名称": "示范县教育局", "系统名称": "未登记的系统", "类别": "已提供", "信息资源名称": "甲"}
    )
    fill(wb[SHARING], 3, {"部门名称": "示范县卫生健康局", "系统名称": "甲", "类别": "已提供", "信息资源名称": "乙"})
    fill(wb[SHARING], 4, {"部门名称": "示范县教育局", "系统名称": "丙", "类别": "随便", "信息资源名称": "丙"})
    fill(wb[SHARING], 5, {"部门名称": "示范县教育局", "系统名称": "丙", "类别": "获取", "共享方式": "电报"})
    got = errors_of(upload(client, world, wb))
    assert got == {(SELF, 3, "系统名称", "duplicate_row"), (SELF, 4, "运行状态", "illegal_transition"),
                   (SELF, 5, "系统编码", "duplicate_code"), (SELF, 6, "系统编码", "code_immutable"),
                   (VERTICAL, 2, "系统编码", "duplicate_code"), (VERTICAL, 3, "系统名称", "duplicate_row"),
                   (SHARING, 2, "系统名称", "unknown_system"), (SHARING, 3, "部门名称", "forbidden_department"),
                   (SHARING, 4, "类别", "invalid_choice"), (SHARING, 5, "信息资源名称", "required"),
                   (SHARING, 5, "共享方式", "invalid_choice")}
    systems = listed(client, world, "edu")
    assert set(systems) == {"已登记系统", "另一系统"} and systems["已登记系统"]["status"] == "running"


def test_classified_systems_take_no_sharing_lines(client, world):
    wb = template(client, world)
    fill(
        wb[SELF],
        2,
        {"部门名称": "示范县教育局", "系统名称": "涉密系统", "运行状态": "正在运行", "是否属于涉密网": "是"},
    )
    fill(wb[SHARING], 2, {"部门名称": "示范县教育局", "系统名称": "涉密系统", "类别": "已提供", "信息资源名称": "档案"})
    assert errors_of(upload(client, world, wb)) == {(SHARING, 2, "系统名称", "classified_minimal")}


def test_files_and_headers_that_are_not_the_census(client, world):
    h = world.headers("edu")
    for content in (b"not a zip", zipfile_with({"hello.txt": "hi"})):
        r = client.post("/api/v1/systems/import", headers=h, files={"file": ("x.xlsx", content, XLSX)})
        assert r.status_code == 422 and r.json()["errors"] == [
            {
                "sheet": None,
                "row": None,
                "column": None,
                "code": "not_a_workbook",
                "message": r.json()["errors"][0]["message"],
            }
        ]
        assert ".xlsx" in r.json()["errors"][0]["message"]
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    r = upload(client, world, wb)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "missing_sheet"
    assert "自建系统" in r.json()["errors"][0]["message"] and "Sheet1" in r.json()["errors"][0]["message"]

    wb = template(client, world)
    ws = wb[SELF]
    ws.cell(row=1, column=ws.max_column + 1, value="备注栏")
    ws.cell(row=1, column=ws.max_column + 1, value="运行网络")
    wb[VERTICAL].cell(row=1, column=wb[VERTICAL].max_column + 1, value="建设资金（万元）")
    sharing = wb[SHARING]
    sharing.delete_cols(5)
    got = errors_of(upload(client, world, wb))
    assert got == {(SELF, 1, "备注栏", "unknown_column"), (SELF, 1, "运行网络", "duplicate_column"),
                   (VERTICAL, 1, "建设资金（万元）", "unknown_column"), (SHARING, 1, "信息资源名称", "missing_column")}

    wb = openpyxl.Workbook()
    wb.active.title = SELF
    wb.active.append(["部门", "名称"])
    assert (SELF, 1, "系统名称", "missing_column") in errors_of(upload(client, world, wb))


def test_import_needs_a_token_and_a_writing_role(client, world):
    wb = template(client, world)
    buf = io.BytesIO()
    wb.save(buf)
    assert client.post("/api/v1/systems/import", files={"file": ("c.xlsx", buf.getvalue())}).status_code == 401
    for user in ("auditor", "bureau", "ops"):
        assert upload(client, world, wb, user=user).status_code == 403


def test_department_users_import_only_their_subtree(client, world):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(部门名称="示范县教育局", 系统名称="教育局系统"))
    fill(wb[SELF], 3, good_row(部门名称="示范县城关镇中心校", 系统名称="学校系统"))
    assert errors_of(upload(client, world, wb, user="school")) == {(SELF, 2, "部门名称", "forbidden_department")}
    assert errors_of(upload(client, world, wb, user="health")) == {(SELF, 2, "部门名称", "forbidden_department"),
                                                                   (SELF, 3, "部门名称", "forbidden_department")}
    assert upload(client, world, wb, user="countyoffice").json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert upload(client, world, wb, user="edu2").json() == {"created": 0, "updated": 0, "unchanged": 2}


# --- export and the round trip ---------------------------------------------------------------------------

def test_export_then_import_is_a_no_op_and_skips_classified(client, world):
    h = world.headers("admin")
    create_system(client, h, world.depts["edu"].id, name="甲系统", approval_date="2017-01-10", build_cost="12.3456",
                  warranty_years="2.5", protection_level=3, site_consolidation=False)
    create_system(client, h, world.depts["school"].id, name="乙系统", user_count=None, user_count_varies=True,
                  networks=["private"], use_scopes=["office", "department"], usage_frequency="on_demand",
                  responsible_phone="0870-1234567", can_reach_external=False, reach_method=None,
                  no_reach_reason="物理隔离", sharing=[])
    create_system(client, h, world.depts["health"].id, name="丙系统")
    assert client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "涉密系统",
                                                "is_classified": True, "classified_grade": "secret"},
                       headers=h).status_code == 201
    assert client.post("/api/v1/systems", json={"department_id": world.depts["edu"].id, "name": "垂管系统甲",
                                                "kind": "vertical", "networks": ["extranet"], "other_notes": "部署"},
                       headers=h).status_code == 201
    r = client.get("/api/v1/systems/export.xlsx", headers=world.headers("edu"))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    names = sorted(row[2] for row in wb[SELF].iter_rows(min_row=2, values_only=True))
    assert names == ["乙系统", "甲系统"]                           # own subtree, never the classified one
    assert [row[2] for row in wb[VERTICAL].iter_rows(min_row=2, values_only=True)] == ["垂管系统甲"]
    assert "未包含 1 个涉密系统" in " ".join(str(c.value) for row in wb[HELP].iter_rows() for c in row if c.value)
    assert "涉密系统" not in str([row for ws in (wb[SELF], wb[VERTICAL], wb[SHARING]) for row in ws.values])
    assert [row[2:5] for row in wb[SHARING].iter_rows(min_row=2, values_only=True)] == [
        ("甲系统", "已向其他部门提供", "学生基本信息")]
    cols = header_index(wb[SELF])
    first = {k: wb[SELF].cell(row=2 + names.index("甲系统"), column=v).value for k, v in cols.items()}
    assert first["系统编码"].startswith("YZ-") and first["部门代码"] == world.depts["edu"].code
    assert first["审批时间"] == datetime(2017, 1, 10) and first["建设资金（万元）"] == 12.3456
    assert (
        first["运行网络"] == "电子政务外网、互联网" and first["是否属于涉密网"] == "否" and first["网站集约化"] == "否"
    )

    r = client.post("/api/v1/systems/import", headers=world.headers("edu"), files={"file": ("e.xlsx", r.content)})
    assert r.status_code == 200 and r.json() == {"created": 0, "updated": 0, "unchanged": 3}
    whole = client.get("/api/v1/systems/export.xlsx", headers=h)
    r = client.post("/api/v1/systems/import", headers=h, files={"file": ("e.xlsx", whole.content)})
    assert r.json() == {"created": 0, "updated": 0, "unchanged": 4}


def test_export_takes_the_list_filters_and_the_scope(client, world):
    h = world.headers("admin")
    create_system(client, h, world.depts["edu"].id, name="甲系统", status="running")
    create_system(client, h, world.depts["health"].id, name="丙系统", status="registered", networks=["internet"])

    def exported(params, user="admin"):
        r = client.get("/api/v1/systems/export.xlsx", params=params, headers=world.headers(user))
        assert r.status_code == 200, r.text
        return [row[2] for row in openpyxl.load_workbook(io.BytesIO(r.content))[SELF].iter_rows(
            min_row=2, values_only=True)]

    assert exported({"q": "丙"}) == ["丙系统"] and exported({"status": "running"}) == ["甲系统"]
    assert exported({"department_id": world.depts["health"].id}) == ["丙系统"]
    assert exported({}, "health") == ["丙系统"] and exported({}, "school") == []
    assert sorted(exported({}, "countyoffice")) == ["丙系统", "甲系统"]
    r = client.get("/api/v1/systems/export.xlsx", params={"department_id": world.depts["health"].id},
                   headers=world.headers("edu"))
    assert r.status_code == 403
    assert client.get("/api/v1/systems/export.xlsx").status_code == 401


def test_changed_cells_update_audited_and_sharing_replaced(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, name="甲系统", status="running")
    other = create_system(client, h, world.depts["edu"].id, name="乙系统", status="running")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/api/v1/systems/export.xlsx", headers=h).content))
    cols = header_index(wb[SELF])
    row = next(r for r in range(2, 4) if wb[SELF].cell(row=r, column=cols["系统名称"]).value == "甲系统")
    wb[SELF].cell(row=row, column=cols["用户数量"], value=999)
    wb[SELF].cell(row=row, column=cols["运行状态"], value="停止运行")
    wb[SELF].cell(row=row, column=cols["系统编码"], value=None)          # blank keeps the code
    sharing = wb[SHARING]
    sharing.delete_rows(2, sharing.max_row)
    fill(sharing, 2, {"部门名称": "示范县教育局", "系统名称": "甲系统", "类别": "已从其他部门获取",
                      "信息资源名称": "人口信息", "对方部门": "县公安局", "共享方式": "数据库"})
    assert upload(client, world, wb).json() == {"created": 0, "updated": 1, "unchanged": 1}
    after = detail(client, world, s["id"], "edu")
    assert after["code"] == s["code"] and after["status"] == "stopped" and after["user_count"] == 999
    assert [(x["direction"], x["resource_name"], x["method"]) for x in after["sharing"]] == [
        ("obtained", "人口信息", "open_database")]
    assert len(detail(client, world, other["id"], "edu")["sharing"]) == 1    # not named: lines kept
    trail = client.get("/api/v1/audit", params={"entity_id": str(s["id"]), "entity_type": "system"},
                       headers=world.headers("auditor")).json()["items"]
    changes = trail[0]["changes"]
    assert trail[0]["action"] == "update" and trail[0]["actor"] == "edu"
    assert changes["user_count"] == [120, 999] and changes["status"] == ["running", "stopped"]
    assert changes["sharing"][0][0]["resource_name"] == "学生基本信息"
    assert changes["sharing"][1] == [{"direction": "obtained", "resource_name": "人口信息", "counterpart": "县公安局",
                                      "method": "open_database", "method_note": None}]
    assert set(changes) == {"user_count", "status", "sharing"}
    assert upload(client, world, wb).json() == {"created": 0, "updated": 0, "unchanged": 2}


def test_a_system_moved_to_the_vertical_sheet_keeps_only_the_reduced_form(client, world):
    h = world.headers("edu")
    s = create_system(client, h, world.depts["edu"].id, name="甲系统", status="running", sharing=[])
    wb = template(client, world)
    fill(wb[VERTICAL], 2, {"部门名称": "示范县教育局", "系统名称": "甲系统", "运行网络": "电子政务外网",
                           "系统功能描述": "省厅统一部署"})
    assert upload(client, world, wb).json() == {"created": 0, "updated": 1, "unchanged": 0}
    after = detail(client, world, s["id"], "edu")
    assert after["kind"] == "vertical" and after["status"] == "running" and after["networks"] == ["extranet"]
    assert after["protection_level"] is None and after["build_cost"] is None and after["use_scopes"] == []
    assert after["function_description"] == "省厅统一部署"


# --- files as Excel and WPS save them -------------------------------------------------------------------

def zipfile_with(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return buf.getvalue()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_file(rows_xml: str, strings: list[str], date1904: bool = False) -> bytes:
    """A workbook laid out the way Excel writes it: shared strings, styles with a date format, absolute
    relationship targets."""
    shared = "".join(s if s.startswith("<si>") else f"<si><t>{s}</t></si>" for s in strings)
    return zipfile_with({
        "[Content_Types].xml": "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
        "_rels/.rels": "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'>"
                       f"<Relationship Id='rId1' Type='{RELS}/officeDocument' Target='/xl/workbook.xml'/>"
                       "</Relationships>",
        "xl/workbook.xml": f"<workbook xmlns='{MAIN}' xmlns:r='{RELS}'>"
                           f"<workbookPr date1904='{1 if date1904 else 0}'/><sheets>"
                           f"<sheet name='{SELF}' sheetId='1' r:id='rId1'/></sheets></workbook>",
        "xl/_rels/workbook.xml.rels":
            "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'>"
            f"<Relationship Id='rId1' Type='{RELS}/worksheet' Target='worksheets/sheet1.xml'/>"
            f"<Relationship Id='rId2' Type='{RELS}/sharedStrings' Target='sharedStrings.xml'/>"
            f"<Relationship Id='rId3' Type='{RELS}/styles' Target='/xl/styles.xml'/></Relationships>",
        "xl/sharedStrings.xml": f"<sst xmlns='{MAIN}'>{shared}</sst>",
        "xl/styles.xml": f"<styleSheet xmlns='{MAIN}'><numFmts count='1'><numFmt numFmtId='176' "
                         "formatCode='yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;'/></numFmts>"
                         "<cellXfs count='3'><xf numFmtId='0'/><xf numFmtId='14'/><xf numFmtId='176'/></cellXfs>"
                         "</styleSheet>",
        "xl/worksheets/sheet1.xml": f"<worksheet xmlns='{MAIN}'><sheetData>{rows_xml}</sheetData></worksheet>",
    })


def test_reader_takes_shared_strings_rich_text_dates_and_errors():
    strings = ["部门名称", "系统名称", "<si><r><t>富文本</t></r><r><t>名称</t></r><rPh><t>ふりがな</t></rPh></si>"]
    rows = ("<row r='1'><c r='A1' t='s'><v>0</v></c><c r='C1' t='s'><v>1</v></c></row>"
            "<row r='3'><c t='s'><v>2</v></c><c s='1'><v>42745</v></c><c s='2'><v>42745.5</v></c>"
            "<c t='b'><v>1</v></c><c t='e'><v>#N/A</v></c><c t='str'><v>公式结果</v></c><c><v>12.5</v></c>"
            "<c t='inlineStr'><is><t>内联</t></is></c><c r='K3' t='d'><v>2017-01-10T00:00:00</v></c></row>")
    reader = XlsxReader(excel_file(rows, strings), WorkbookLimits.of())
    assert list(reader.sheets) == [SELF]
    (n1, first), (n3, third) = list(reader.rows(SELF))
    assert (n1, first) == (1, ["部门名称", None, "系统名称"])
    assert n3 == 3 and third[0] == "富文本名称" and third[1] == datetime(2017, 1, 10)
    assert third[2] == datetime(2017, 1, 10, 12) and third[3] is True
    assert isinstance(third[4], ExcelError) and third[5:8] == ["公式结果", 12.5, "内联"]
    assert third[8] is None and third[10] == datetime(2017, 1, 10)
    mac = XlsxReader(excel_file("<row r='1'><c s='1'><v>1</v></c></row>", [], date1904=True), WorkbookLimits.of())
    assert list(mac.rows(SELF))[0][1] == [datetime(1904, 1, 2)]


def test_import_of_a_file_saved_by_excel(client, world):
    strings = [
        "部门名称",
        "系统名称",
        "运行状态",
        "审批时间",
        "用户数量",
        "示范县教育局",
        "Excel 保存的系统",
        "正在运行",
        "另一个系统",
        "其他",
    ]
    rows = ("<row r='1'><c r='A1' t='s'><v>0</v></c><c r='B1' t='s'><v>1</v></c><c r='C1' t='s'><v>2</v></c>"
            "<c r='D1' t='s'><v>3</v></c><c r='E1' t='s'><v>4</v></c></row>"
            "<row r='2'><c r='A2' t='s'><v>5</v></c><c r='B2' t='s'><v>6</v></c><c r='C2' t='s'><v>7</v></c>"
            "<c r='D2' s='2'><v>42745</v></c><c r='E2'><v>300</v></c></row>"
            "<row r='3'><c r='A3' t='s'><v>5</v></c><c r='B3' t='s'><v>8</v></c><c r='C3' t='s'><v>9</v></c>"
            "<c r='D3' t='e'><v>#VALUE!</v></c></row>")
    data = excel_file(rows, strings)
    r = client.post("/api/v1/systems/import", headers=world.headers("edu"), files={"file": ("e.xlsx", data, XLSX)})
    assert errors_of(r) == {(SELF, 3, "审批时间", "formula_error")}
    data = excel_file(rows.replace("<c r='D3' t='e'><v>#VALUE!</v></c>", ""), strings)
    r = client.post("/api/v1/systems/import", headers=world.headers("edu"), files={"file": ("e.xlsx", data, XLSX)})
    assert r.status_code == 200 and r.json()["created"] == 2
    system = listed(client, world, "edu")["Excel 保存的系统"]
    assert detail(client, world, system["id"], "edu")["approval_date"] == date(2017, 1, 10).isoformat()
