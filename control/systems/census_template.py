"""The blank census questionnaire (附件2 自建系统, 附件3 垂管系统, 信息资源共享) with its instructions
sheet and drop-downs; the export fills the same workbook."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from control.systems.census_layout import (
    COUNTERPART,
    DEPT_CODE,
    DEPT_NAME,
    DIRECTION,
    HELP_SHEET,
    LISTS_SHEET,
    METHOD,
    REQUIRED_MARK,
    RESOURCE,
    SHARING_HEADERS,
    SHARING_SHEET,
    SHEET_KINDS,
    SYSTEM_NAME,
    fields_of,
    header,
)
from control.systems.enums import SharingDirection, SharingMethod, SystemKind
from control.systems.fields import CENSUS_FIELDS, CensusField

LAST_ROW = 1048576  # drop-downs cover the whole column, so exported rows have them too
NOT_APPLICABLE_FORMS = "“无”“暂无”“/”“—”“-”“空”"
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
REQUIRED_FONT = Font(bold=True, color="C00000")


# --- the instructions --------------------------------------------------------------------------------------

# The form's own 填写说明 for each column (附件2/附件3), kept in its words.
FORM_NOTES = {
    "name": "部门信息系统名称（请全面梳理本部门及下属事业单位信息系统后填写）。同一部门内按系统名称匹配已登记的系统，"
            "重复导入不会产生重复记录。",
    "code": "系统的唯一编码。新系统留空则自动分配；已登记系统的编码不可更改（留空即保持原编码）。",
    "status": "信息系统运行的现状，包括但不限于正在运行、停止运行；尚未运行的填“其他”。新系统必填；"
              "已登记系统留空则保持原状态，"
              "状态变更须符合：其他→正在运行，正在运行↔停止运行，停止运行→已下线。",
    "function_description": "各部门信息系统的主要功能描述，如“全市工商系统市场主体登记、监管；对于主城区公租房申请、"
                            "审核、公示”。",
    "information_resources": "缩略描述系统运行的政务信息资源内容的标题，如“土地开发整理项目”、“企业基本信息”。",
    "networks": "包括互联网、电子政务外网、电子政务内网、业务专网。",
    "is_classified": "凡填写“是”的，必须属于保密局认定的保密网络。涉密系统只填写部门、系统名称、系统编码、运行状态、"
                     "是否属于涉密网、涉密等级，其余各列留空；涉密系统不会被导出。",
    "protection_level": "非涉密信息系统，按系统实际等级保护级别填写（1–5）。",
    "classified_grade": "涉密信息系统，按系统分级保护密级填写（秘密、机密、绝密）。",
    "secrecy_clause": "非保密局认定的涉密网或涉密信息系统，承载涉密信息资源的，"
                      "填写依据的保密法律法规名称及相应条款序号。",
    "can_reach_external": "是否可通过相关设备连接到电子政务外网或者互联网：凡填写“是”的，必须填写连接方式；"
                          "凡填写“否”的，必须填写不可连接的原因。",
    "reach_method": "凡可连接电子政务外网或者互联网的，必须填写相应的连接方式；如不能直接连接，请选“其他”，"
                    "并在“其他连接方式说明”中填写实际使用的连接方式。",
    "reach_method_other": "连接方式为“其他”时，填写实际使用的连接方式。",
    "no_reach_reason": "凡不可连接电子政务外网或者互联网的，必须填写相关原因。",
    "access_address": "填写系统的访问地址，如 192.168.110.1。",
    "site_consolidation": "是否进行了网站集约化建设：已经完成或正在进行的填“是”；"
                          "还未开始启动建设或者没有集约化建设计划的填“否”。",
    "use_scopes": "科室内部、本部门或管理单位、横向跨部门、纵向到基层。",
    "use_scope_names": "科室内部：填写涉及的科室名称，涉及多个科室的全部填写；本部门或管理单位：填写相关部门名称；"
                       "横向跨部门：填写使用的相关部门名称，有多个部门的全部填写；纵向到基层：按层级填写，如“全县所有乡镇**站所”。",
    "user_count": "系统用户数；如果用户量变动频繁则填写“不固定”。",
    "usage_frequency": "包括每日、每周、每月、每季度、每年、按需。",
    "responsible_name": "系统责任人姓名。",
    "responsible_title": "责任人职务。",
    "responsible_phone": "责任人联系电话，如有多个电话，请全部填写。",
    "other_notes": "系统除上述信息以外的其他信息请填写在此处。",
    "approving_unit": "项目审批单位名称。",
    "approval_date": "项目通过审批时间。",
    "builder": "负责建设系统的单位名称。",
    "build_date": "系统建设时间。",
    "warranty_years": "系统的有效质保期，以年为单位。",
    "build_cost": "系统建设总投资，单位万元。",
    "build_funding_source": "建设资金的来源，如“市级财政预算”、“自筹”等，填写内容以实际情况为准。",
    "om_cost_yearly": "系统每年的运行维护经费，单位万元。",
    "om_funding_source": "运维经费的来源，如“市级财政预算”、“自筹”等，填写内容以实际情况为准。",
    "om_vendors": "系统建成后的运维单位名称，如有多个运维单位要全部填写。",
    "additional_notes": "其他需要说明的情况。",
    "tech_support_contact": "技术支撑人员姓名及联系方式。",
}

SHARING_NOTES = [
    (DEPT_NAME + "、" + DEPT_CODE, "系统所属部门，与系统表中该系统所在行一致。"),
    (SYSTEM_NAME, "系统名称，须是本次导入的系统表中的系统或已登记的系统。某系统在本表出现时，"
                  "以本表各行替换该系统原有的全部共享记录；"
                  "本表未出现的系统，共享记录保持不变。"),
    (DIRECTION, "已向其他部门提供、已从其他部门获取、需其他部门提供（对应问卷第三部分的三张表）。"),
    (RESOURCE, "缩略描述政务信息资源内容的标题，如“土地开发整理项目”、“企业基本信息”。"),
    (COUNTERPART, "已提供的填供给的部门；已获取的填获取数据的部门；需提供的填可提供的部门。"),
    (METHOD, "开放数据库、前置机数据交换、API接口、可移动存储介质拷贝；"
             "不予共享的信息资源不需写共享方式（或填“不予共享”）；"
             "需其他部门提供的填建议的共享方式。"),
]


def accepted(f: CensusField) -> str:
    """What a cell of this type may hold, in the words of the import's error messages."""
    if f.type == "enum":
        return f"从下拉列表选择：{'、'.join(m.zh for m in f.enum)}。"
    if f.type == "multienum":
        return (f"可多选：{'、'.join(m.zh for m in f.enum)}；多项用“、”分隔（也接受 , ， ; ； / 或换行），"
                f"下拉列表只列出单项，可直接输入多项。")
    if f.type == "bool":
        return "填 是/否（也接受 ☑/☐、√/×、Y/N）。"
    if f.type == "date":
        return "日期，如 2017年1月10日、2017-01-10、2017.1.10、2017/1/10，或 Excel 日期；只知月份可填 2017年1月。"
    if f.type == "decimal":
        return "数字，可带单位，如 12.5、12.5万元。"
    if f.type == "int":
        return "整数。"
    return ""


def _write_help(ws, omitted_classified: int | None) -> None:
    ws.append(["政务信息系统普查问卷（电子表格版）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["每个系统填写一行：部门自建或购买、使用财政性资金建设或运维的系统填“自建系统”表（附件2）；"
               "国家部委、上级部门垂直部署、本部门使用的系统填“垂管系统”表（附件3）；三张信息资源共享表合为"
               "“信息资源共享”表，每条信息资源一行。"])
    ws.append(["表头带 * 的列必填；部门名称与部门代码（18位统一社会信用代码，或组织机构代码如 12345678-9）至少填一项，"
               "两项都填时须一致。部门用户只能导入本单位及下级单位的系统。"])
    ws.append([f"不适用的选填列可以留空，也可以填写 {NOT_APPLICABLE_FORMS}（全角亦可），导入时一律按空白处理；"
               "必填列（表头带 *）不能这样填写，否则该行报错。"])
    ws.append(["导入时先检查全部行：任何一处有误则不写入任何数据，并逐条列出出错的工作表、行号、列名和原因。"])
    if omitted_classified:
        ws.append([f"说明：本导出按保密要求未包含 {omitted_classified} 个涉密系统。"])
    ws.append([])
    ws.append(["列", "填写说明", "可填内容"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.append([f"{DEPT_NAME}、{DEPT_CODE}", "系统所属部门（须已在本平台登记）。", "至少填一项。"])
    for f in CENSUS_FIELDS:
        scope = "" if f.vertical else "（仅自建系统表）"
        ws.append([header(f) + scope, FORM_NOTES.get(f.name, ""), (accepted(f) + " " + f.hint).strip()])
    ws.append([])
    ws.append([SHARING_SHEET + " 表", "", ""])
    ws[ws.max_row][0].font = Font(bold=True)
    for column, note in SHARING_NOTES:
        ws.append([column, note, ""])
    for width, letter in ((34, "A"), (80, "B"), (48, "C")):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- writing -----------------------------------------------------------------------------------------------

def _choices(f: CensusField) -> list[str]:
    if f.type == "bool":
        return ["是", "否"]
    return [m.zh for m in f.enum] if f.enum is not None else []


def style_header(ws, widths: list[int], required: set[int], freeze: str) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font = REQUIRED_FONT if i in required else Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = freeze


def drop_down(ws, column: int, formula: str, strict: bool, title: str, prompt: str) -> None:
    """A list validation. Multi-select cells only suggest (strict False): they also take “A、B”."""
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict,
                        showInputMessage=True, promptTitle=title[:32], prompt=prompt[:255])
    if strict:
        dv.errorTitle, dv.error = "无效的选项", f"请从下拉列表选择“{title}”"[:255]
    ws.add_data_validation(dv)
    letter = get_column_letter(column)
    dv.add(f"{letter}2:{letter}{LAST_ROW}")


def new_workbook(omitted_classified: int | None) -> tuple[Workbook, dict[SystemKind, Any], Any]:
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    _write_help(help_ws, omitted_classified)
    sheets = {kind: wb.create_sheet(name) for name, kind in SHEET_KINDS.items()}
    sharing = wb.create_sheet(SHARING_SHEET)
    # The choices live on a hidden sheet: a list there has no 255-character limit and stays in one place.
    lists = wb.create_sheet(LISTS_SHEET)
    refs: dict[str, str] = {}
    enumerated = [f for f in CENSUS_FIELDS if _choices(f)]
    for col, f in enumerate(enumerated, start=1):
        choices = _choices(f)
        lists.cell(row=1, column=col, value=f.zh)
        for row, choice in enumerate(choices, start=2):
            lists.cell(row=row, column=col, value=choice)
        letter = get_column_letter(col)
        refs[f.name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"
    lists.sheet_state = "hidden"
    for kind, ws in sheets.items():
        fields = fields_of(kind)
        ws.append([DEPT_NAME, DEPT_CODE] + [header(f) for f in fields])
        for column, f in enumerate(fields, start=3):
            if f.name in refs:
                prompt = accepted(f) + (" " + f.hint if f.hint else "")
                drop_down(ws, column, refs[f.name], f.type != "multienum", f.zh, prompt)
        widths = [24, 22] + [max(10, min(36, len(f.zh) * 2 + 4)) for f in fields]
        required = {column for column, f in enumerate(fields, start=3) if f.required}
        style_header(ws, widths, required, "C2")
    sharing.append(SHARING_HEADERS)
    for column, enum in ((4, SharingDirection), (7, SharingMethod)):
        label = SHARING_HEADERS[column - 1]
        drop_down(sharing, column, '"' + ",".join(m.zh for m in enum) + '"', True, label, "从下拉列表选择")
    style_header(sharing, [24, 22, 28, 18, 28, 24, 20], {3, 4, 5}, "A2")
    for column in (3, 4, 5):
        sharing.cell(row=1, column=column).value = REQUIRED_MARK + SHARING_HEADERS[column - 1]
    return wb, sheets, sharing


def save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_workbook() -> bytes:
    """The blank questionnaire: instructions, 自建系统, 垂管系统 and 信息资源共享 with their drop-downs."""
    wb, _, _ = new_workbook(None)
    return save(wb)

