"""Census text in and out: names with control characters, formula starts and two Unicode spellings go
through the API, the export and the import; the export writes text cells, never live formulas, and never
fails on odd characters; 无, /, — … read as empty in optional columns and as an error in required ones."""
from __future__ import annotations

import io
import zipfile

import openpyxl
from sqlalchemy import text

from tests.api.helpers import create_system
from tests.api.test_census import (
    HELP,
    SELF,
    SHARING,
    detail,
    errors_of,
    fill,
    good_row,
    header_index,
    listed,
    template,
    upload,
)

NAMES = {"\u000b名称": "名称", '=HYPERLINK("http://evil.invalid","点我")': '=HYPERLINK("http://evil.invalid","点我")',
         "+1": "+1", "-2": "-2", "@SUM(1)": "@SUM(1)", "甲\x00乙\x1b丙": "甲乙丙", "  多\n行\t名  ": "多 行 名",
         "Cafe\u0301系统": "Caf\u00e9系统"}


def exported(client, world, user="edu") -> bytes:
    r = client.get("/api/v1/systems/export.xlsx", headers=world.headers(user))
    assert r.status_code == 200, r.text
    return r.content


def test_odd_names_are_cleaned_exported_as_text_and_reimported_unchanged(client, world):
    h = world.headers("edu")
    for sent, stored in NAMES.items():
        body = create_system(client, h, world.depts["edu"].id, name=sent,
                             sharing=[{"direction": "provided", "resource_name": "=1+1", "counterpart": "@部门",
                                       "method": "api"}])
        assert body["name"] == stored
    # The same name spelled decomposed is the composed one: a duplicate.
    r = client.post("/api/v1/systems", headers=h, json={"department_id": world.depts["edu"].id, "name": "Café系统"})
    assert r.status_code == 409
    r = client.post("/api/v1/systems", headers=h, json={"department_id": world.depts["edu"].id, "name": "\x0b\x00"})
    assert r.status_code == 422
    some = listed(client, world, "edu")["+1"]["id"]
    assert client.patch(f"/api/v1/systems/{some}", headers=h, json={"name": "\x0b"}).status_code == 422
    r = client.patch(f"/api/v1/systems/{some}", headers=h,
                     json={"approving_unit": "发改\x00委\n", "other_notes": "甲\n乙\x07"})
    assert r.status_code == 200 and (r.json()["approving_unit"], r.json()["other_notes"]) == ("发改委", "甲\n乙")

    data = exported(client, world)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets)   # no formula anywhere
    wb = openpyxl.load_workbook(io.BytesIO(data))
    column = header_index(wb[SELF])["系统名称"]
    cells = [wb[SELF].cell(row=r, column=column) for r in range(2, wb[SELF].max_row + 1)]
    assert {c.value for c in cells} == set(NAMES.values()) and {c.data_type for c in cells} == {"s"}
    assert {row[4] for row in wb[SHARING].iter_rows(min_row=2, values_only=True)} == {"=1+1"}

    r = client.post("/api/v1/systems/import", headers=h, files={"file": ("e.xlsx", data)})
    assert r.status_code == 200 and r.json() == {"created": 0, "updated": 0, "unchanged": len(NAMES)}


def test_export_never_fails_on_control_characters_already_stored(client, world):
    """Rows written before input was cleaned still export: the cell is cleaned on the way out."""
    s = create_system(client, world.headers("edu"), world.depts["edu"].id, name="旧名称")
    world.session.execute(text("UPDATE information_system SET name = :n, function_description = :d WHERE id = :i"),
                          {"n": "\x1b旧\x0b名称", "d": "描述\x0c\x07", "i": s["id"]})
    world.session.commit()
    wb = openpyxl.load_workbook(io.BytesIO(exported(client, world)))
    row = dict(zip(header_index(wb[SELF]), next(wb[SELF].iter_rows(min_row=2, values_only=True)), strict=False))
    assert row["系统名称"] == "旧名称" and row["系统功能描述"] == "描述"


def test_a_name_spelled_two_ways_is_one_system(client, world):
    for name in ("Cafe\u0301 管理系统", "Caf\u00e9 管理系统"):
        wb = template(client, world)
        fill(wb[SELF], 2, good_row(系统名称=name))
        assert upload(client, world, wb).status_code == 200
    assert list(listed(client, world, "edu")) == ["Caf\u00e9 管理系统"]


def test_a_one_line_field_written_on_two_lines_is_one_line(client, world):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(系统名称="教育\n管理系统", 系统功能描述="第一行\n第二行"))
    assert upload(client, world, wb).status_code == 200
    system = listed(client, world, "edu")["教育 管理系统"]
    assert detail(client, world, system["id"], "edu")["function_description"] == "第一行\n第二行"


# --- 无, /, — … in columns that do not apply -----------------------------------------------------------------

def test_not_applicable_marks_read_as_empty_in_optional_columns(client, world):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(**{"系统名称": "无审批单位的系统", "审批单位": "无", "审批时间": "/", "涉密等级": "无",
                                  "保密条款名称或条款序号": "—", "建设资金（万元）": "－", "运维单位": "暂无。",
                                  "用户数量": "空", "质保期（年）": "-", "使用范围": "／", "网站集约化": "/",
                                  "建设单位": "——", "其他说明": "无"}))
    fill(wb[SHARING], 2, {"部门名称": "示范县教育局", "部门代码": "/", "系统名称": "无审批单位的系统", "类别": "已提供",
                          "信息资源名称": "学生名册", "对方部门": "无", "共享方式": "/"})
    r = upload(client, world, wb)
    assert r.status_code == 200, r.text
    system = detail(client, world, listed(client, world, "edu")["无审批单位的系统"]["id"], "edu")
    for field in ("approving_unit", "approval_date", "classified_grade", "secrecy_clause", "build_cost", "om_vendors",
                  "user_count", "warranty_years", "site_consolidation", "builder", "other_notes"):
        assert system[field] is None, field
    assert system["use_scopes"] == [] and system["user_count_varies"] is False
    lines = [(s["resource_name"], s["counterpart"], s["method"]) for s in system["sharing"]]
    assert lines == [("学生名册", None, None)]


def test_not_applicable_marks_in_required_columns_stay_errors(client, world):
    wb = template(client, world)
    fill(wb[SELF], 2, good_row(系统名称="无"))
    fill(wb[SELF], 3, good_row(系统名称="正常系统", 运行状态="/"))
    fill(wb[SHARING], 2, {"部门名称": "示范县教育局", "系统名称": "正常系统", "类别": "已提供", "信息资源名称": "无"})
    fill(wb[SHARING], 3, {"部门名称": "示范县教育局", "系统名称": "—", "类别": "已提供", "信息资源名称": "名册"})
    r = upload(client, world, wb)
    assert errors_of(r) == {(SELF, 2, "系统名称", "required"), (SELF, 3, "运行状态", "required"),
                            (SHARING, 2, "信息资源名称", "required"), (SHARING, 3, "系统名称", "required")}
    assert "不能填“/”" in str(r.json()["errors"])


def test_the_instructions_say_so(client, world):
    notes = " ".join(str(c.value) for row in template(client, world)[HELP].iter_rows() for c in row if c.value)
    assert "“无”“暂无”“/”“—”“-”“空”" in notes and "按空白处理" in notes and "必填列" in notes
