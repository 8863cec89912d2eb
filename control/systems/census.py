"""Census workbooks (附件2 自建系统, 附件3 垂管系统): the blank template, export of any filtered list, and
an all-or-nothing import that names the sheet, row and column of every bad cell. The same layout goes
both ways, so exporting and importing again changes nothing."""
from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from posixpath import dirname, join, normpath
from typing import Any
from xml.etree.ElementTree import XML, ParseError, iterparse

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlmodel import Session

from control.core.accounts import Department
from control.core.auth import Actor
from control.core.batch import without_gc_pauses
from control.core.enums import normalize_text
from control.core.errors import ValidationFailed
from control.org.codes import CodeError, normalize_code
from control.systems import cells, rules
from control.systems.enums import SharingDirection, SharingMethod, SystemKind, SystemStatus
from control.systems.fields import CENSUS_FIELDS, CLASSIFIED_FIELDS, FIELDS_BY_NAME, VERTICAL_FIELDS, CensusField
from control.systems.models import InformationSystem, SystemSharing
from control.systems.schemas import ImportResult
from control.systems.service import (
    WRITE_ROLES,
    CensusRow,
    SystemFilter,
    apply_census,
    iter_systems,
    live_systems,
    new_code,
    used_codes,
)

SELF_SHEET, VERTICAL_SHEET, SHARING_SHEET = "自建系统", "垂管系统", "信息资源共享"
HELP_SHEET, LISTS_SHEET = "填写说明", "选项"
SHEET_KINDS = {SELF_SHEET: SystemKind.self_built, VERTICAL_SHEET: SystemKind.vertical}
DEPT_NAME, DEPT_CODE = "部门名称", "部门代码"
SYSTEM_NAME, DIRECTION, RESOURCE, COUNTERPART, METHOD = "系统名称", "类别", "信息资源名称", "对方部门", "共享方式"
SHARING_HEADERS = [DEPT_NAME, DEPT_CODE, SYSTEM_NAME, DIRECTION, RESOURCE, COUNTERPART, METHOD]
REQUIRED_MARK = "*"
MAX_ERRORS = 1000
LAST_ROW = 1048576  # drop-downs cover the whole column, so exported rows have them too
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
REQUIRED_FONT = Font(bold=True, color="C00000")


def fields_of(kind: SystemKind) -> list[CensusField]:
    """The columns of a sheet: every census field for 自建, the reduced form (附件3) for 垂管."""
    return [f for f in CENSUS_FIELDS if kind == SystemKind.self_built or f.vertical]


def header(f: CensusField) -> str:
    return REQUIRED_MARK + f.zh if f.required else f.zh


def _key(text: Any) -> str:
    """A header or sheet name as compared: width, spaces and the required mark do not matter."""
    return normalize_text(text or "").replace(" ", "").lstrip(REQUIRED_MARK)


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


def _accepted(f: CensusField) -> str:
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
        ws.append([header(f) + scope, FORM_NOTES.get(f.name, ""), (_accepted(f) + " " + f.hint).strip()])
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


def _style_header(ws, widths: list[int], required: set[int], freeze: str) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font = REQUIRED_FONT if i in required else Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = freeze


def _drop_down(ws, column: int, formula: str, strict: bool, title: str, prompt: str) -> None:
    """A list validation. Multi-select cells only suggest (strict False): they also take “A、B”."""
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict,
                        showInputMessage=True, promptTitle=title[:32], prompt=prompt[:255])
    if strict:
        dv.errorTitle, dv.error = "无效的选项", f"请从下拉列表选择“{title}”"[:255]
    ws.add_data_validation(dv)
    letter = get_column_letter(column)
    dv.add(f"{letter}2:{letter}{LAST_ROW}")


def _new_workbook(omitted_classified: int | None) -> tuple[Workbook, dict[SystemKind, Any], Any]:
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
                prompt = _accepted(f) + (" " + f.hint if f.hint else "")
                _drop_down(ws, column, refs[f.name], f.type != "multienum", f.zh, prompt)
        widths = [24, 22] + [max(10, min(36, len(f.zh) * 2 + 4)) for f in fields]
        required = {column for column, f in enumerate(fields, start=3) if f.required}
        _style_header(ws, widths, required, "C2")
    sharing.append(SHARING_HEADERS)
    for column, enum in ((4, SharingDirection), (7, SharingMethod)):
        label = SHARING_HEADERS[column - 1]
        _drop_down(sharing, column, '"' + ",".join(m.zh for m in enum) + '"', True, label, "从下拉列表选择")
    _style_header(sharing, [24, 22, 28, 18, 28, 24, 20], {3, 4, 5}, "A2")
    for column in (3, 4, 5):
        sharing.cell(row=1, column=column).value = REQUIRED_MARK + SHARING_HEADERS[column - 1]
    return wb, sheets, sharing


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_workbook() -> bytes:
    """The blank questionnaire: instructions, 自建系统, 垂管系统 and 信息资源共享 with their drop-downs."""
    wb, _, _ = _new_workbook(None)
    return _save(wb)


def cell_value(system: InformationSystem, f: CensusField) -> Any:
    """A field as the import reads it back unchanged (labels for choices, 是/否, 不固定)."""
    value = getattr(system, f.name)
    if f.name == "user_count" and system.user_count_varies:
        return "不固定"
    if value is None or value == []:
        return None
    if f.type == "bool":
        return cells.format_bool(value)
    if f.type == "multienum":
        return cells.format_multi(value, f.enum)
    if f.type == "enum":
        return f.enum(value).zh
    if f.type == "decimal":
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def export_workbook(session: Session, actor: Actor, f: SystemFilter) -> bytes:
    """The filtered list in the template's layout. Classified systems are never exported by name: they are
    left out and the instructions sheet says how many."""
    rows = iter_systems(session, actor, f)
    shown = [(s, d) for s, d in rows if not s.is_classified]
    wb, sheets, sharing = _new_workbook(len(rows) - len(shown))
    for system, dept in shown:
        ws = sheets[system.kind]
        ws.append([dept.name, dept.code] + [cell_value(system, fd) for fd in fields_of(system.kind)])
    by_id = {s.id: (s, d) for s, d in shown}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        stmt = (select(SystemSharing).where(SystemSharing.system_id.in_(ids[start:start + 500]))
                .order_by(SystemSharing.system_id, SystemSharing.direction, SystemSharing.id))
        for line in session.execute(stmt).scalars():
            system, dept = by_id[line.system_id]
            sharing.append([dept.name, dept.code, system.name, line.direction.zh, line.resource_name,
                            line.counterpart, line.method.zh if line.method else None])
    return _save(wb)


# --- reading the file --------------------------------------------------------------------------------------

class ExcelError(str):
    """An error value a formula left in a cell (#N/A, #VALUE!…)."""


_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DOC_RELS = ("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
             "{http://purl.oclc.org/ooxml/officeDocument/relationships}id")


class XlsxReader:
    """Cell values of an .xlsx, streamed row by row. openpyxl's read-only mode builds an object per cell
    and spends about 8 s on a 20,000-row census; this reads the same values (shared and inline strings,
    numbers, dates by their number format, booleans) in a fraction of that. openpyxl writes the files."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        workbook_path = self._targets("")["officeDocument"][0][1]
        root = XML(self.zip.read(workbook_path))
        self.ns = root.tag[:root.tag.index("}") + 1]
        targets = self._targets(workbook_path)
        self.date1904 = any(pr.get("date1904") in ("1", "true") for pr in root.iter(self.ns + "workbookPr"))
        rel_ids = dict(targets.get("worksheet", []))
        self.sheets: dict[str, str] = {}
        for sheet in root.iter(self.ns + "sheet"):
            rel_id = next((sheet.get(a) for a in _DOC_RELS if sheet.get(a)), None)
            if rel_id in rel_ids:
                self.sheets[sheet.get("name")] = rel_ids[rel_id]
        self.strings = self._shared_strings(targets.get("sharedStrings", []))
        self.date_styles = self._date_styles(targets.get("styles", []))

    def _targets(self, part: str) -> dict[str, list]:
        """Relationships of a part by type: the package's (part "") or a part's own _rels file."""
        rels_path = join(dirname(part), "_rels", part.rsplit("/", 1)[-1] + ".rels") if part else "_rels/.rels"
        found: dict[str, list] = {}
        for rel in XML(self.zip.read(rels_path)).iter(_RELS):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(part), target))
            found.setdefault(rel.get("Type", "").rsplit("/", 1)[-1], []).append((rel.get("Id"), path))
        return found

    def _text(self, element) -> str:
        """Text of a string item: its <t>, or its rich-text runs; phonetic hints (<rPh>) are not text."""
        direct = element.find(self.ns + "t")
        if direct is not None:
            return direct.text or ""
        return "".join(run.findtext(self.ns + "t") or "" for run in element.iter(self.ns + "r"))

    def _shared_strings(self, targets: list) -> list[str]:
        if not targets:
            return []
        strings = []
        with self.zip.open(targets[0][1]) as source:
            for _, element in iterparse(source):
                if element.tag == self.ns + "si":
                    strings.append(self._text(element))
                    element.clear()
        return strings

    def _date_styles(self, targets: list) -> set[int]:
        """Cell style indexes whose number format is a date."""
        if not targets:
            return set()
        root = XML(self.zip.read(targets[0][1]))
        formats = dict(BUILTIN_FORMATS)
        for fmt in root.iter(self.ns + "numFmt"):
            formats[int(fmt.get("numFmtId"))] = fmt.get("formatCode", "")
        xfs = root.find(self.ns + "cellXfs")
        return {i for i, xf in enumerate(xfs if xfs is not None else [])
                if is_date_format(formats.get(int(xf.get("numFmtId", 0)), ""))}

    def rows(self, sheet: str) -> Iterator[tuple[int, list[Any]]]:
        """(Excel row number, cell values from column A) for every row the sheet stores."""
        ns, strings, date_styles = self.ns, self.strings, self.date_styles
        row_tag, value_tag, inline_tag = ns + "row", ns + "v", ns + "is"
        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        columns: dict[str, int] = {}
        number = 0
        with self.zip.open(self.sheets[sheet]) as source:
            for _, element in iterparse(source):
                if element.tag != row_tag:
                    continue
                number = int(element.get("r") or number + 1)
                values: list[Any] = []
                for c in element:
                    ref = c.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        index = columns.get(letters)
                        if index is None:
                            index = columns[letters] = column_index_from_string(letters) - 1
                        if index > len(values):
                            values.extend([None] * (index - len(values)))
                    kind = c.get("t", "n")
                    if kind == "inlineStr":
                        inline = c.find(inline_tag)
                        values.append(self._text(inline) if inline is not None else None)
                        continue
                    raw = c.findtext(value_tag)
                    if raw is None or raw == "":
                        value = None
                    elif kind == "s":
                        value = strings[int(raw)]
                    elif kind == "n":
                        value = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
                        if int(c.get("s", 0)) in date_styles:
                            value = _excel_date(value, epoch)
                    elif kind == "b":
                        value = raw == "1"
                    elif kind == "d":
                        value = _iso_date(raw)
                    elif kind == "e":
                        value = ExcelError(raw)
                    else:
                        value = raw
                    values.append(value)
                element.clear()
                yield number, values


def _iso_date(text: str) -> Any:
    """A cell stored as an ISO 8601 date (t="d"); anything else is kept as text for the cell check."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def _excel_date(serial: float, epoch: datetime) -> Any:
    """A number formatted as a date; one outside Excel's calendar stays a number for the cell check."""
    try:
        return from_excel(serial, epoch)
    except (OverflowError, ValueError):
        return serial


# What a damaged or foreign file raises while its sheets are read, and also while it is opened.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ParseError)
_UNREADABLE = _DAMAGED + (IndexError, ValueError, OSError)


def _not_a_workbook() -> ValidationFailed:
    return ValidationFailed("上传的文件不是可读取的 .xlsx 工作簿", code="not_a_workbook",
                            errors=[{"sheet": None, "row": None, "column": None, "code": "not_a_workbook",
                                     "message": "无法读取该文件：请上传 Excel 2007 及以上版本保存的 .xlsx 文件"
                                                "（.xls、.csv、.et 请先另存为 .xlsx，或下载模板填写）"}])


def _open(data: bytes) -> XlsxReader:
    try:
        return XlsxReader(data)
    except _UNREADABLE:
        raise _not_a_workbook() from None


# --- reading cells -----------------------------------------------------------------------------------------

_COLUMNS = {c.name: c.type for c in InformationSystem.__table__.c}
_INT_MAX = 2**31 - 1


def _column_limits(f: CensusField, value: Any) -> Any:
    """Fit a parsed value to its database column: text length, integer range, decimal precision (rounded
    to the column's places, so that a re-import finds it unchanged)."""
    column = _COLUMNS.get(f.name)
    if isinstance(value, str):
        length = getattr(column, "length", None)
        if length and len(value) > length:
            raise cells.CellError(f"内容过长：最多 {length} 个字，实际 {len(value)} 个字", "too_long")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT_MAX:
        raise cells.CellError(f"数值 {value} 超出范围", "out_of_range")
    elif isinstance(value, Decimal):
        digits = column.precision - column.scale
        if abs(value) >= Decimal(10) ** digits:
            raise cells.CellError(f"数值 {value:f} 超出范围：整数部分最多 {digits} 位", "out_of_range")
        value = value.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    return value


def parse_cell(f: CensusField, raw: Any) -> dict[str, Any]:
    """One census cell → {field: value} (user count also sets user_count_varies). Raises CellError."""
    if isinstance(raw, ExcelError):
        raise cells.CellError(f"单元格是公式错误值 {raw}，请填写实际内容", "formula_error")
    if f.name == "user_count":
        count, varies = cells.parse_user_count(raw)
        return {"user_count": _column_limits(f, count), "user_count_varies": varies}
    if f.name == "is_classified" and cells.is_blank(raw):
        return {}  # blank keeps a registered system's classification; a new one is not classified
    if f.type == "enum":
        value = cells.parse_enum(raw, f.enum)
    elif f.type == "multienum":
        value = [m.value for m in cells.parse_multi(raw, f.enum)]
    elif f.type == "bool":
        value = cells.parse_bool(raw)
    elif f.name == "protection_level":
        value = cells.parse_level(raw)
    elif f.type == "int":
        value = cells.parse_int(raw)
    elif f.type == "decimal":
        units = cells.YEAR_UNITS if f.name == "warranty_years" else cells.MONEY_UNITS
        value = cells.parse_decimal(raw, units)
    elif f.type == "date":
        value = cells.parse_date(raw)
    else:
        value = cells.parse_text(raw)
    return {f.name: _column_limits(f, value)}


# Fields a 垂管 row clears: the reduced form has no such columns, so a vertical system holds none of them.
_NOT_VERTICAL = {f.name: ([] if f.type == "multienum" else None) for f in CENSUS_FIELDS
                 if f.name not in VERTICAL_FIELDS and f.name not in CLASSIFIED_FIELDS}
_NOT_VERTICAL["user_count_varies"] = False


class Errors:
    """Every problem found, each naming sheet, Excel row, column header and an English code."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, sheet: str | None, row: int | None, column: str | None, message: str, code: str) -> None:
        self.items.append({"sheet": sheet, "row": row, "column": column, "message": message, "code": code})

    def raise_if_any(self, sheet_order: list[str]) -> None:
        if not self.items:
            return
        order = {name: i for i, name in enumerate(sheet_order)}
        self.items.sort(key=lambda e: (order.get(e["sheet"], -1), e["row"] or 0))
        shown = "" if len(self.items) <= MAX_ERRORS else f"（仅列出前 {MAX_ERRORS} 处）"
        raise ValidationFailed(f"导入未通过校验：共 {len(self.items)} 处错误{shown}，未写入任何数据",
                               code="import_failed", errors=self.items[:MAX_ERRORS])


class DepartmentFinder:
    """Departments by code or, when no code is given, by their exact name (which must be unique);
    all loaded once, each answer kept for the rows that repeat it."""

    def __init__(self, session: Session, actor: Actor):
        self.actor = actor
        self.by_code: dict[str, Department] = {}
        self.by_name: dict[str, list[Department]] = {}
        for d in session.execute(select(Department)).scalars():
            self.by_code[d.code] = d
            self.by_name.setdefault(d.name, []).append(d)
        self.answers: dict[tuple, tuple] = {}

    def find(self, name: Any, code: Any) -> tuple[Department | None, str, str, str]:
        """(department, column, zh-CN message, error code); the department is None when there is an error."""
        key = (name, code)
        if key not in self.answers:
            self.answers[key] = self._find(cells.parse_text(name), cells.parse_text(code))
        return self.answers[key]

    def _find(self, name: str | None, code: str | None) -> tuple[Department | None, str, str, str]:
        if code:
            try:
                normal = normalize_code(code)
            except CodeError as exc:
                return None, DEPT_CODE, str(exc), "invalid_department_code"
            dept = self.by_code.get(normal)
            if dept is None:
                return None, DEPT_CODE, f"部门代码 {normal} 未在本平台登记", "unknown_department"
            if name and normalize_text(name) != normalize_text(dept.name):
                return None, DEPT_NAME, f"部门名称“{name}”与部门代码 {normal} 登记的“{dept.name}”不一致", \
                    "department_mismatch"
        else:
            if not name:
                return None, DEPT_NAME, "部门名称与部门代码至少填写一项", "required"
            found = self.by_name.get(name) or self.by_name.get(normalize_text(name), [])
            if not found:
                return None, DEPT_NAME, f"部门“{name}”未在本平台登记（请核对名称，或填写部门代码）", \
                    "unknown_department"
            if len(found) > 1:
                return None, DEPT_NAME, f"有 {len(found)} 个部门名为“{name}”，请同时填写部门代码", \
                    "ambiguous_department"
            dept = found[0]
        if not self.actor.can_see_path(dept.path):
            return None, DEPT_NAME, f"无权导入“{dept.name}”的系统：只能导入本单位及下级单位的系统", \
                "forbidden_department"
        return dept, "", "", ""


@dataclass
class Row:
    sheet: str
    number: int
    department: Department
    values: dict[str, Any]


_DEPT_HEADERS = {_key(DEPT_NAME): DEPT_NAME, _key("单位名称"): DEPT_NAME, _key(DEPT_CODE): DEPT_CODE,
                 _key("统一社会信用代码"): DEPT_CODE, _key("组织机构代码"): DEPT_CODE}


def _find_header(rows: Iterator[tuple[int, list[Any]]],
                 wanted: str) -> tuple[int, list[str], list[str]] | None:
    """The header row: the first of the first ten rows naming the wanted column (a title row may sit above).
    Returns its number, the headers as compared and as written."""
    for number, values in rows:
        keys = [_key(v) if v is not None else "" for v in values]
        if _key(wanted) in keys:
            return number, keys, [str(v).strip() if v is not None else "" for v in values]
        if number >= 10:
            return None
    return None


def _read_system_sheet(reader: XlsxReader, sheet: str, kind: SystemKind, finder: DepartmentFinder,
                       errors: Errors) -> list[Row]:
    rows = reader.rows(sheet)
    found = _find_header(rows, SYSTEM_NAME)
    if found is None:
        errors.add(sheet, 1, SYSTEM_NAME, f"“{sheet}”表缺少“{SYSTEM_NAME}”列（请使用模板的表头）", "missing_column")
        return []
    head_row, head, written = found
    fields = {_key(f.zh): f for f in fields_of(kind)}
    others = {_key(f.zh): f for f in CENSUS_FIELDS if f.name not in VERTICAL_FIELDS}
    dept_columns: dict[str, int] = {}
    field_columns: list[tuple[int, CensusField]] = []
    seen: set[str] = set()
    for index, (key, text) in enumerate(zip(head, written, strict=False)):
        if not key:
            continue
        if key in seen:
            errors.add(sheet, head_row, text, f"列“{text}”出现了两次", "duplicate_column")
        seen.add(key)
        if key in _DEPT_HEADERS:
            dept_columns[_DEPT_HEADERS[key]] = index
        elif key in fields:
            field_columns.append((index, fields[key]))
        elif key in others:
            errors.add(sheet, head_row, text, f"垂管系统问卷（附件3）不含“{text}”列：自建系统请填在“{SELF_SHEET}”表",
                       "unknown_column")
        else:
            errors.add(sheet, head_row, text, f"无法识别的列“{text}”：请使用模板的表头（见“{HELP_SHEET}”表）",
                       "unknown_column")
    if not dept_columns:
        errors.add(sheet, head_row, DEPT_NAME, f"缺少“{DEPT_NAME}”或“{DEPT_CODE}”列", "missing_column")
        return []
    name_at, code_at = dept_columns.get(DEPT_NAME), dept_columns.get(DEPT_CODE)
    # Each column's distinct cells are parsed once: choices, ticks, dates and names of people repeat.
    parsed: list[dict[Any, dict[str, Any] | cells.CellError]] = [{} for _ in field_columns]
    out = []
    for number, raw in rows:
        if all(v is None or v.__class__ is str and not v.strip() for v in raw):
            continue
        raw = raw + [None] * (len(head) - len(raw))
        dept, column, message, code = finder.find(raw[name_at] if name_at is not None else None,
                                                  raw[code_at] if code_at is not None else None)
        if dept is None:
            errors.add(sheet, number, column, message, code)
        values: dict[str, Any] = {"kind": kind}
        for (index, f), seen_cells in zip(field_columns, parsed, strict=False):
            value = raw[index]
            key = value if value.__class__ is str else (value.__class__, value)
            result = seen_cells.get(key)
            if result is None:
                try:
                    result = seen_cells[key] = parse_cell(f, value)
                except cells.CellError as exc:
                    result = seen_cells[key] = exc
            if result.__class__ is dict:
                values.update(result)
            else:
                errors.add(sheet, number, f.zh, result.message, result.code)
        if kind == SystemKind.vertical:
            values.update(_NOT_VERTICAL)
        if not values.get("name"):
            errors.add(sheet, number, SYSTEM_NAME, "系统名称必填", "required")
        elif dept is not None:
            out.append(Row(sheet, number, dept, values))
    return out


def _read_sharing(reader: XlsxReader, sheet: str, finder: DepartmentFinder,
                  errors: Errors) -> dict[tuple[int, str], list[dict]]:
    """Sharing lines by (department id, system name), each with its row number."""
    lines: dict[tuple[int, str], list[dict]] = {}
    rows = reader.rows(sheet)
    found = _find_header(rows, SYSTEM_NAME)
    if found is None:
        errors.add(sheet, 1, SYSTEM_NAME, f"“{sheet}”表缺少“{SYSTEM_NAME}”列（请使用模板的表头）", "missing_column")
        return lines
    head_row, head, written = found
    known = {_key(h): h for h in SHARING_HEADERS} | _DEPT_HEADERS
    at: dict[str, int] = {}
    for index, (key, text) in enumerate(zip(head, written, strict=False)):
        if key and key not in known:
            errors.add(sheet, head_row, text, f"无法识别的列“{text}”：可用的列为 {'、'.join(SHARING_HEADERS)}",
                       "unknown_column")
        elif key:
            at[known[key]] = index
    missing = [column for column in (DIRECTION, RESOURCE) if column not in at]
    if DEPT_NAME not in at and DEPT_CODE not in at:
        missing.append(DEPT_NAME)
    for column in missing:
        errors.add(sheet, head_row, column, f"“{sheet}”表缺少“{column}”列", "missing_column")
    if missing:
        return lines
    for number, raw in rows:
        if all(cells.is_blank(v) for v in raw):
            continue
        cell = {column: (raw[index] if index < len(raw) else None) for column, index in at.items()}
        dept, column, message, code = finder.find(cell.get(DEPT_NAME), cell.get(DEPT_CODE))
        if dept is None:
            errors.add(sheet, number, column, message, code)
        line: dict[str, Any] = {"sheet": sheet, "row": number, "method_note": None}
        for column, enum, key in ((DIRECTION, SharingDirection, "direction"),
                                  (METHOD, SharingMethod, "method")):
            try:
                line[key] = cells.parse_enum(cell.get(column), enum)
            except cells.CellError as exc:
                errors.add(sheet, number, column, exc.message, exc.code)
        for column, key, limit in ((SYSTEM_NAME, "name", 200), (RESOURCE, "resource_name", 200),
                                   (COUNTERPART, "counterpart", 200)):
            text = cells.parse_text(cell.get(column))
            if text and len(text) > limit:
                errors.add(sheet, number, column, f"内容过长：最多 {limit} 个字", "too_long")
            line[key] = text
        for column, key in ((SYSTEM_NAME, "name"), (DIRECTION, "direction"), (RESOURCE, "resource_name")):
            if key in line and not line[key]:
                errors.add(sheet, number, column, f"{column}必填", "required")
        if dept is not None and line["name"]:
            lines.setdefault((dept.id, line.pop("name")), []).append(line)
    return lines


# --- checking the whole ------------------------------------------------------------------------------------

def _column(field: str) -> str:
    f = FIELDS_BY_NAME.get(field)
    return f.zh if f else field


def _fresh_code(taken: set[str]) -> str:
    code = new_code()
    while code in taken:
        code = new_code()
    taken.add(code)
    return code


def _plan(session: Session, rows: list[Row], sharing: dict[tuple[int, str], list[dict]],
          errors: Errors) -> list[CensusRow]:
    """Match rows to live systems (department + name) and check what involves more than one cell: duplicate
    rows, immutable and unique codes, lifecycle transitions, rules.validate_system, sharing targets."""
    existing = live_systems(session, {r.department.id for r in rows} | {key[0] for key in sharing})
    codes = used_codes(session)
    claimed: dict[str, Row] = {}
    planned: dict[tuple[int, str], CensusRow] = {}
    first: dict[tuple[int, str], Row] = {}
    for r in rows:
        key = (r.department.id, r.values["name"])
        if key in first:
            other = first[key]
            errors.add(r.sheet, r.number, SYSTEM_NAME,
                       f"与“{other.sheet}”表第 {other.number} 行是同一部门的同名系统，一个系统只填一行",
                       "duplicate_row")
            continue
        first[key] = r
        current = existing.get(key)
        values = r.values
        code = values.get("code")
        if current is not None:
            if code and code != current["code"]:
                errors.add(r.sheet, r.number, _column("code"),
                           f"该系统已登记，编码为 {current['code']}，编码不可更改（留空即保持原编码）",
                           "code_immutable")
            values["code"] = current["code"]
        elif code in claimed:
            errors.add(r.sheet, r.number, _column("code"),
                       f"系统编码 {code} 与“{claimed[code].sheet}”表第 {claimed[code].number} 行重复", "duplicate_code")
        elif code in codes:
            errors.add(r.sheet, r.number, _column("code"), f"系统编码 {code} 已被其他系统使用（留空则自动分配）",
                       "duplicate_code")
        elif code:
            claimed[code] = r
        if values.get("status") is None:
            if current is None:
                errors.add(r.sheet, r.number, _column("status"),
                           f"新登记的系统须填写运行状态：{'、'.join(s.zh for s in SystemStatus)}", "required")
            else:
                values["status"] = current["status"]
        elif current is not None:
            reason = rules.transition_error(current["status"], values["status"])
            if reason:
                errors.add(r.sheet, r.number, _column("status"), reason, "illegal_transition")
        merged = {**(current or {}), **values}
        for field, message, code_ in rules.validate_system(merged):
            errors.add(r.sheet, r.number, _column(field), message, code_)
        planned[key] = CensusRow(r.department.id, values, current)
    codes.update(claimed)
    for target in planned.values():
        if target.existing is None and not target.values.get("code"):
            target.values["code"] = _fresh_code(codes)
    for key, lines in sharing.items():
        target = planned.get(key)
        if target is None and key in existing:
            target = planned[key] = CensusRow(key[0], {}, existing[key])
        if target is None:
            for line in lines:
                errors.add(line["sheet"], line["row"], SYSTEM_NAME,
                           f"系统“{key[1]}”既不在本次导入的系统表中，也未在该部门登记", "unknown_system")
            continue
        if {**(target.existing or {}), **target.values}.get("is_classified"):
            for line in lines:
                errors.add(line["sheet"], line["row"], SYSTEM_NAME, "涉密系统只登记最少字段，不填写信息资源共享情况",
                           "classified_minimal")
        target.sharing = [{k: v for k, v in line.items() if k not in ("sheet", "row")} for line in lines]
    return list(planned.values())


_SHEET_MARKS = {"自建": SELF_SHEET, "垂管": VERTICAL_SHEET, "共享": SHARING_SHEET}


def _sheet_kind(name: str) -> str | None:
    """Which template sheet a sheet is, tolerating renamed ones such as “自建系统（附件2）” or “垂管”."""
    key = _key(name)
    return next((sheet for mark, sheet in _SHEET_MARKS.items() if mark in key), None)


def import_workbook(session: Session, actor: Actor, data: bytes) -> ImportResult:
    """Check every row of every sheet first; then write all of it in one transaction, or nothing."""
    actor.require(*WRITE_ROLES)
    with without_gc_pauses():
        return _import(session, actor, data)


def _import(session: Session, actor: Actor, data: bytes) -> ImportResult:
    reader = _open(data)
    errors = Errors()
    kinds = {name: _sheet_kind(name) for name in reader.sheets}
    if not any(kind in SHEET_KINDS for kind in kinds.values()):
        errors.add(None, None, None, f"工作簿中没有“{SELF_SHEET}”或“{VERTICAL_SHEET}”工作表（现有："
                   f"{'、'.join(reader.sheets) or '无'}），请使用模板", "missing_sheet")
        errors.raise_if_any([])
    finder = DepartmentFinder(session, actor)
    rows: list[Row] = []
    sharing: dict[tuple[int, str], list[dict]] = {}
    try:
        for name, kind in kinds.items():
            if kind in SHEET_KINDS:
                rows += _read_system_sheet(reader, name, SHEET_KINDS[kind], finder, errors)
            elif kind == SHARING_SHEET:
                for key, lines in _read_sharing(reader, name, finder, errors).items():
                    sharing.setdefault(key, []).extend(lines)
    except _DAMAGED:
        raise _not_a_workbook() from None
    plan = _plan(session, rows, sharing, errors)
    errors.raise_if_any(list(reader.sheets))
    return apply_census(session, actor, plan)
