"""Census workbooks (附件2 自建系统, 附件3 垂管系统): the blank template, export of any filtered list, and
an all-or-nothing import that names the sheet, row and column of every bad cell. The same layout goes
both ways, so exporting and importing again changes nothing."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlmodel import Session

from control.core import audit
from control.core.auth import Actor
from control.core.clock import now
from control.core.errors import ValidationFailed
from control.org.codes import CodeError, normalize_code
from control.org.models import Department
from control.systems import cells, rules
from control.systems.enums import SharingDirection, SharingMethod, SystemKind, SystemStatus
from control.systems.fields import CENSUS_FIELDS, CensusField
from control.systems.models import InformationSystem, SystemSharing
from control.systems.schemas import ImportResult
from control.systems.service import AUDIT_EXCLUDE, WRITE_ROLES, SystemFilter, iter_systems, new_code

SELF_SHEET, VERTICAL_SHEET, SHARING_SHEET, HELP_SHEET, LISTS_SHEET = "自建系统", "垂管系统", "信息资源共享", "填写说明", "选项"
DEPT_NAME, DEPT_CODE = "部门名称", "部门代码"
SHEET_KINDS = {SELF_SHEET: SystemKind.self_built, VERTICAL_SHEET: SystemKind.vertical}
SHARING_HEADERS = [DEPT_NAME, DEPT_CODE, "系统名称", "类别", "信息资源名称", "对方部门", "共享方式"]
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
REQUIRED_MARK = "*"


def fields_of(kind: SystemKind) -> list[CensusField]:
    return [f for f in CENSUS_FIELDS if kind == SystemKind.self_built or f.vertical]


def header(f: CensusField) -> str:
    return REQUIRED_MARK + f.zh if f.required else f.zh


def _clean_header(text: Any) -> str:
    return str(text or "").strip().lstrip(REQUIRED_MARK).strip()


# --- writing -------------------------------------------------------------------------------------------

def _choices(f: CensusField) -> list[str]:
    if f.type == "bool":
        return ["是", "否"]
    if f.enum is not None:
        return [m.zh for m in f.enum]
    return []


def _new_workbook(omitted_classified: int | None) -> tuple[Workbook, dict[str, Any]]:
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    _write_help(help_ws, omitted_classified)
    sheets = {}
    lists = wb.create_sheet(LISTS_SHEET)
    list_refs: dict[str, str] = {}
    col = 1
    for f in CENSUS_FIELDS:
        choices = _choices(f)
        if choices and f.name not in list_refs:
            for row, choice in enumerate(choices, start=1):
                lists.cell(row=row, column=col, value=choice)
            letter = get_column_letter(col)
            list_refs[f.name] = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}"
            col += 1
    for name, kind in SHEET_KINDS.items():
        ws = wb.create_sheet(name)
        fields = fields_of(kind)
        ws.append([DEPT_NAME, DEPT_CODE] + [header(f) for f in fields])
        for i, f in enumerate(fields, start=3):
            letter = get_column_letter(i)
            if f.name in list_refs:
                # Multi-select cells take several choices separated by 、, so the list only suggests.
                dv = DataValidation(type="list", formula1=list_refs[f.name], allow_blank=True,
                                    showErrorMessage=f.type != "multienum")
                dv.promptTitle, dv.prompt = f.zh, (f.hint or "从下拉列表选择")[:250]
                dv.showInputMessage = True
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}5000")
        _style(ws, [22, 20] + [max(10, min(30, len(f.zh) * 2 + 2)) for f in fields])
        sheets[name] = (ws, fields)
    sharing = wb.create_sheet(SHARING_SHEET)
    sharing.append(SHARING_HEADERS)
    for col_index, enum in ((4, SharingDirection), (7, SharingMethod)):
        dv = DataValidation(type="list", formula1='"' + ",".join(m.zh for m in enum) + '"', allow_blank=True)
        sharing.add_data_validation(dv)
        dv.add(f"{get_column_letter(col_index)}2:{get_column_letter(col_index)}5000")
    _style(sharing, [22, 20, 24, 16, 24, 22, 18])
    lists.sheet_state = "hidden"
    return wb, {"sheets": sheets, "sharing": sharing}


def _style(ws, widths: list[int]) -> None:  # noqa: ANN001
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "C2" if ws.title in SHEET_KINDS else "A2"


FORM_NOTES = [
    "系统名称：部门信息系统名称（请全面梳理本部门及下属事业单位信息系统后填写）。",
    "运行状态：正在运行、停止运行、其他（已登记未运行）；已下线的系统填“已下线”。",
    "运行网络：包括电子政务内网、电子政务外网、业务专网、互联网，可多选，用“、”分隔。",
    "是否属于涉密网：凡填写“是”的，必须属于保密局认定的保密网络；涉密系统只填写部门、系统名称、运行状态、涉密等级，其余留空。",
    "安全等级：非涉密信息系统按系统实际等级保护级别填写（1–5）。",
    "是否可连接到电子政务外网或者互联网：填“是”的必须填写连接方式；填“否”的必须填写不可连接的原因。",
    "用户数量：系统用户数；用户量变动频繁的填“不固定”。",
    "使用频度：每日、每周、每月、每季度、每年、按需。",
    "日期可填 2017年1月10日、2017-01-10、2017.1.10、2017/1/10 或 Excel 日期；金额以万元为单位。",
    "勾选项可填 是/否、☑/☐、√/×、Y/N。",
    "信息资源共享：每行一条，类别为已向其他部门提供 / 已从其他部门获取 / 需其他部门提供；共享方式为开放数据库、前置机数据交换、API接口、可移动存储介质拷贝。",
    "系统编码：留空则由系统自动分配；已登记系统的编码不可更改。同一部门内按系统名称匹配，重复导入不会产生重复记录。",
]


def _write_help(ws, omitted_classified: int | None) -> None:  # noqa: ANN001
    ws.append(["政务信息系统普查问卷（电子表格版）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["每个系统填写一行：自建系统填“自建系统”表（附件2），国家部委、上级部门垂直部署的系统填“垂管系统”表（附件3）。"
               "带 * 的列必填；部门名称与部门代码（统一社会信用代码或组织机构代码）至少填一项。"])
    if omitted_classified:
        ws.append([f"说明：本导出按保密要求未包含 {omitted_classified} 个涉密系统。"])
    ws.append([])
    ws.append(["填写说明"])
    for note in FORM_NOTES:
        ws.append([note])
    ws.append([])
    ws.append(["列", "说明"])
    for f in CENSUS_FIELDS:
        ws.append([header(f), f.hint or ""])
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 80
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def template_workbook() -> bytes:
    wb, _ = _new_workbook(None)
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cell_value(system: InformationSystem, f: CensusField) -> Any:
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
    if f.type == "date":
        return value.isoformat()
    if f.type == "decimal":
        return format(value.normalize(), "f")
    return value


def export_workbook(session: Session, actor: Actor, f: SystemFilter) -> bytes:
    """The filtered list in the template's layout; classified systems are left out (counted only)."""
    rows = iter_systems(session, actor, f)
    classified = sum(1 for s, _ in rows if s.is_classified)
    wb, parts = _new_workbook(classified)
    exported = []
    for system, dept in rows:
        if system.is_classified:
            continue
        sheet = SELF_SHEET if system.kind == SystemKind.self_built else VERTICAL_SHEET
        ws, fields = parts["sheets"][sheet]
        ws.append([dept.name, dept.code] + [cell_value(system, fd) for fd in fields])
        exported.append((system, dept))
    by_id = {s.id: (s, d) for s, d in exported}
    for line in session.execute(select(SystemSharing).where(SystemSharing.system_id.in_(list(by_id)))
                                .order_by(SystemSharing.system_id, SystemSharing.id)).scalars() if by_id else []:
        system, dept = by_id[line.system_id]
        parts["sharing"].append([dept.name, dept.code, system.name, line.direction.zh, line.resource_name,
                                 line.counterpart, line.method.zh if line.method else None])
    return _save(wb)


# --- reading -------------------------------------------------------------------------------------------

@dataclass
class Row:
    sheet: str
    number: int
    department: Department
    kind: SystemKind
    values: dict[str, Any]
    columns: dict[str, str]       # field → header, to name the column of a consistency error


class Errors:
    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, sheet: str, row: int | None, column: str | None, message: str, code: str) -> None:
        self.items.append({"sheet": sheet, "row": row, "column": column, "message": message, "code": code})

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(f"导入未通过校验，共 {len(self.items)} 处错误，未写入任何数据",
                                   code="import_failed", errors=self.items[:1000])


def _parse_cell(f: CensusField, raw: Any) -> dict[str, Any]:
    if f.name == "user_count":
        count, varies = cells.parse_user_count(raw)
        return {"user_count": count, "user_count_varies": varies}
    parser = {"bool": cells.parse_bool, "int": cells.parse_int, "decimal": cells.parse_decimal,
              "date": cells.parse_date}.get(f.type)
    if f.type == "enum":
        value = cells.parse_enum(raw, f.enum)
    elif f.type == "multienum":
        value = [m.value for m in cells.parse_multi(raw, f.enum)]
    elif parser is not None:
        value = parser(raw)
    else:
        value = cells.parse_text(raw)
    if f.type == "bool" and value is None and f.name == "is_classified":
        value = False
    return {f.name: value}


class DepartmentFinder:
    """Departments by code or, when no code is given, by their exact name (which must be unique)."""

    def __init__(self, session: Session):
        self.by_code: dict[str, Department] = {}
        self.by_name: dict[str, list[Department]] = {}
        for d in session.execute(select(Department)).scalars():
            self.by_code[d.code] = d
            self.by_name.setdefault(d.name, []).append(d)

    def find(self, name: Any, code: Any) -> tuple[Department | None, str, str, str]:
        """(department, column, message, error code)."""
        code_text, name_text = cells.parse_text(code), cells.parse_text(name)
        if code_text:
            try:
                normal = normalize_code(code_text)
            except CodeError as exc:
                return None, DEPT_CODE, str(exc), "invalid_department_code"
            dept = self.by_code.get(normal)
            if dept is None:
                return None, DEPT_CODE, f"部门代码 {normal} 未登记", "unknown_department"
            if name_text and name_text != dept.name:
                return None, DEPT_NAME, f"部门名称“{name_text}”与代码 {normal} 登记的“{dept.name}”不一致", \
                    "department_mismatch"
            return dept, "", "", ""
        if not name_text:
            return None, DEPT_NAME, "部门名称与部门代码至少填写一项", "required"
        found = self.by_name.get(name_text, [])
        if len(found) == 1:
            return found[0], "", "", ""
        if not found:
            return None, DEPT_NAME, f"部门“{name_text}”未登记", "unknown_department"
        return None, DEPT_NAME, f"有多个部门名为“{name_text}”，请填写部门代码", "ambiguous_department"


def _open(data: bytes):  # noqa: ANN202
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationFailed("上传的文件不是 .xlsx 工作簿", code="not_a_workbook",
                               errors=[{"sheet": None, "row": None, "column": None, "code": "not_a_workbook",
                                        "message": "请上传 Excel 2007 及以上版本的 .xlsx 文件（可先下载模板）"}]) from None


def _read_system_sheet(ws, kind: SystemKind, finder: DepartmentFinder, actor: Actor, errors: Errors) -> list[Row]:  # noqa: ANN001
    sheet = ws.title
    rows = ws.iter_rows(values_only=True)
    try:
        head = [_clean_header(h) for h in next(rows)]
    except StopIteration:
        return []
    by_header = {f.zh: f for f in fields_of(kind)}
    columns: list[CensusField | str | None] = []
    for h in head:
        if h in (DEPT_NAME, DEPT_CODE):
            columns.append(h)
        elif h in by_header:
            columns.append(by_header[h])
        elif not h:
            columns.append(None)
        else:
            columns.append(None)
            errors.add(sheet, 1, h, f"无法识别的列“{h}”（请使用模板的表头）", "unknown_column")
    if "系统名称" not in head:
        errors.add(sheet, 1, "系统名称", "缺少“系统名称”列", "missing_column")
        return []
    out = []
    for number, raw in enumerate(rows, start=2):
        if raw is None or all(cells.is_blank(v) for v in raw):
            continue
        cell = dict(zip(head, raw))
        dept, column, message, code = finder.find(cell.get(DEPT_NAME), cell.get(DEPT_CODE))
        if dept is None:
            errors.add(sheet, number, column, message, code)
        elif not actor.can_see_path(dept.path):
            errors.add(sheet, number, DEPT_NAME, f"无权导入“{dept.name}”的系统：不在本单位及下级单位范围内",
                       "forbidden_department")
            dept = None
        values: dict[str, Any] = {"kind": kind}
        field_columns: dict[str, str] = {}
        for col, value in zip(columns, raw):
            if not isinstance(col, CensusField):
                continue
            field_columns[col.name] = col.zh
            try:
                values.update(_parse_cell(col, value))
            except cells.CellError as exc:
                errors.add(sheet, number, col.zh, exc.message, exc.code)
        if not values.get("name"):
            errors.add(sheet, number, "系统名称", "系统名称必填", "required")
            continue
        if dept is not None:
            out.append(Row(sheet, number, dept, kind, values, field_columns))
    return out


def _read_sharing(ws, finder: DepartmentFinder, errors: Errors) -> dict[tuple[int, str], list[dict]]:  # noqa: ANN001
    lines: dict[tuple[int, str], list[dict]] = {}
    rows = ws.iter_rows(values_only=True)
    head = [_clean_header(h) for h in next(rows, [])]
    for number, raw in enumerate(rows, start=2):
        if raw is None or all(cells.is_blank(v) for v in raw):
            continue
        cell = dict(zip(head, raw))
        dept, column, message, code = finder.find(cell.get(DEPT_NAME), cell.get(DEPT_CODE))
        if dept is None:
            errors.add(ws.title, number, column, message, code)
            continue
        name = cells.parse_text(cell.get("系统名称"))
        resource = cells.parse_text(cell.get("信息资源名称"))
        try:
            direction = cells.parse_enum(cell.get("类别"), SharingDirection)
            method = cells.parse_enum(cell.get("共享方式"), SharingMethod)
        except cells.CellError as exc:
            errors.add(ws.title, number, "类别/共享方式", exc.message, exc.code)
            continue
        for label, value in (("系统名称", name), ("信息资源名称", resource), ("类别", direction)):
            if not value:
                errors.add(ws.title, number, label, f"{label}必填", "required")
        if name and resource and direction:
            lines.setdefault((dept.id, name), []).append(
                {"row": number, "direction": direction, "resource_name": resource,
                 "counterpart": cells.parse_text(cell.get("对方部门")), "method": method, "method_note": None})
    return lines


def import_workbook(session: Session, actor: Actor, data: bytes) -> ImportResult:
    """Validate every row of every sheet, then write all of it in one transaction, or nothing."""
    actor.require(*WRITE_ROLES)
    wb = _open(data)
    errors = Errors()
    known = [s for s in wb.sheetnames if s in SHEET_KINDS]
    if not known:
        errors.add(None, None, None, f"工作簿中没有“{SELF_SHEET}”或“{VERTICAL_SHEET}”工作表（请使用模板）", "missing_sheet")
        errors.raise_if_any()
    finder = DepartmentFinder(session)
    rows: list[Row] = []
    for name in known:
        rows += _read_system_sheet(wb[name], SHEET_KINDS[name], finder, actor, errors)
    sharing = _read_sharing(wb[SHARING_SHEET], finder, errors) if SHARING_SHEET in wb.sheetnames else {}
    wb.close()
    plan = _plan(session, rows, sharing, errors)
    errors.raise_if_any()
    return _apply(session, actor, plan)


@dataclass
class Planned:
    row: Row
    existing: InformationSystem | None
    sharing: list[dict] | None


def _plan(session: Session, rows: list[Row], sharing: dict, errors: Errors) -> list[Planned]:
    """Match rows to existing systems and check everything that involves more than one cell."""
    dept_ids = {r.department.id for r in rows} | {k[0] for k in sharing}
    existing = {(s.department_id, s.name): s for s in session.execute(
        select(InformationSystem).where(InformationSystem.department_id.in_(dept_ids),
                                        InformationSystem.deleted_at.is_(None))).scalars()} if dept_ids else {}
    codes = dict(session.execute(select(InformationSystem.code, InformationSystem.id)).all())
    seen: dict[tuple[int, str], Row] = {}
    plan = []
    for r in rows:
        key = (r.department.id, r.values["name"])
        if key in seen:
            first = seen[key]
            errors.add(r.sheet, r.number, "系统名称", f"与 {first.sheet} 第 {first.number} 行是同一部门的同名系统",
                       "duplicate_row")
            continue
        seen[key] = r
        current = existing.get(key)
        code = r.values.get("code")
        if current is not None and code and code != current.code:
            errors.add(r.sheet, r.number, "系统编码", f"已登记系统的编码为 {current.code}，不可更改", "code_immutable")
        elif current is None and code and code in codes:
            errors.add(r.sheet, r.number, "系统编码", f"系统编码 {code} 已被其他系统使用", "duplicate_code")
        # A blank status keeps the current one (a new system is registered).
        r.values["status"] = r.values.get("status") or (current.status if current else SystemStatus.registered)
        if current is not None:
            reason = rules.transition_error(current.status, r.values["status"])
            if reason:
                errors.add(r.sheet, r.number, "运行状态", reason, "illegal_transition")
        merged = {**(current.model_dump() if current else {}), **r.values}
        for field, message, code_ in rules.validate_system(merged):
            errors.add(r.sheet, r.number, r.columns.get(field, field), message, code_)
        plan.append(Planned(r, current, None))
    by_key = {(p.row.department.id, p.row.values["name"]): p for p in plan}
    for key, lines in sharing.items():
        target = by_key.get(key)
        if target is None and key not in existing:
            for line in lines:
                errors.add(SHARING_SHEET, line["row"], "系统名称", f"系统“{key[1]}”既不在本次导入中，也未登记",
                           "unknown_system")
            continue
        if target is None:
            target = Planned(Row(SHARING_SHEET, lines[0]["row"], session.get(Department, key[0]),
                                 existing[key].kind, {}, {}), existing[key], None)
            plan.append(target)
        target.sharing = [{k: v for k, v in line.items() if k != "row"} for line in lines]
    return plan


def _sharing_state(lines) -> list[tuple[str, ...]]:  # noqa: ANN001
    """Sharing lines (stored rows or parsed dicts) in a comparable form."""
    def as_tuple(line) -> tuple[str, ...]:  # noqa: ANN001
        get = line.get if isinstance(line, dict) else lambda k: getattr(line, k)
        return tuple(str(getattr(get(k), "value", get(k)) or "") for k in
                     ("direction", "resource_name", "counterpart", "method"))
    return sorted(as_tuple(line) for line in lines)


def _apply(session: Session, actor: Actor, plan: list[Planned]) -> ImportResult:
    created = updated = unchanged = 0
    entries = []
    old_sharing: dict[int, list[SystemSharing]] = {}
    ids = [p.existing.id for p in plan if p.existing is not None]
    for start in range(0, len(ids), 500):
        for line in session.execute(select(SystemSharing).where(SystemSharing.system_id.in_(ids[start:start + 500]))
                                    ).scalars():
            old_sharing.setdefault(line.system_id, []).append(line)
    new_systems: list[tuple[InformationSystem, Planned]] = []
    for p in plan:
        values = p.row.values
        if p.existing is None:
            system = InformationSystem(department_id=p.row.department.id,
                                       **{**values, "code": values.get("code") or new_code()})
            session.add(system)
            new_systems.append((system, p))
            created += 1
            continue
        system = p.existing
        before = audit.snapshot(system, AUDIT_EXCLUDE)
        for key, value in values.items():
            if key != "code":
                setattr(system, key, value)
        change = audit.diff(before, audit.snapshot(system, AUDIT_EXCLUDE))
        if p.sharing is not None and _sharing_state(old_sharing.get(system.id, [])) != _sharing_state(p.sharing):
            change["sharing"] = [[audit.jsonable(l.model_dump(exclude={"id", "system_id"}))
                                  for l in old_sharing.get(system.id, [])], audit.jsonable(p.sharing)]
            for line in old_sharing.get(system.id, []):
                session.delete(line)
            session.add_all(SystemSharing(system_id=system.id, **line) for line in p.sharing)
        if change:
            system.updated_at = now()
            session.add(system)
            entries.append(("update", "system", system.id, None, None, system.name, change))
            updated += 1
        else:
            unchanged += 1
    session.flush()
    for system, p in new_systems:
        if p.sharing:
            session.add_all(SystemSharing(system_id=system.id, **line) for line in p.sharing)
        entries.append(("create", "system", system.id, None, audit.snapshot(system, AUDIT_EXCLUDE),
                        system.name, None))
    if entries:
        audit.record_many(session, actor, entries)
    session.commit()
    return ImportResult(created=created, updated=updated, unchanged=unchanged)
