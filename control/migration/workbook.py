"""The plan workbook (迁移计划表) departments send: the blank template with drop-downs, export of any
filtered list in the same layout, and an all-or-nothing import whose errors name sheet, row and column.
Exporting and importing again changes nothing. The reading (bounded memory, untrusted zip), the error list
and the department lookup are the census's (control/systems/census_*)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from control.core import classified
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.batch import without_gc_pauses
from control.core.enums import LabeledEnum
from control.core.roles import Role
from control.core.textsafe import xlsx_row
from control.migration import rules, service
from control.migration.enums import EDITABLE, PlanKind, Target
from control.migration.labels import PLAN
from control.migration.models import MigrationPlan
from control.migration.schemas import PlanIn, PlanUpdate, SystemIn
from control.networks.models import PrivateNetwork
from control.systems import cells
from control.systems.census_layout import DEPT_CODE, DEPT_NAME, HELP_SHEET, LISTS_SHEET, REQUIRED_MARK, comparable
from control.systems.census_parse import DepartmentFinder, Errors, find_header
from control.systems.census_read import WorkbookLimits, open_workbook
from control.systems.census_template import drop_down, save, style_header
from control.systems.models import InformationSystem
from control.systems.schemas import ImportResult

NETWORK_SHEET, CLOUD_SHEET, SYSTEMS_SHEET = "专网迁移计划", "上云迁移计划", "上云系统清单"
PLAN_NAME, SYSTEM_NAME, SYSTEM_CODE, TARGET_DATE = "计划名称", "系统名称", "系统编码", "计划迁移日期"
NETWORKS = "纳入迁移的业务专网"


@dataclass(frozen=True)
class Col:
    """One column: the PlanIn field it fills, its header, how its cells read."""
    name: str
    zh: str
    type: str = "text"          # text | longtext | date | enum | names
    required: bool = False
    enum: type[LabeledEnum] | None = None

    @property
    def header(self) -> str:
        return REQUIRED_MARK + self.zh if self.required else self.zh


def _col(name: str, type_: str = "text", required: bool = True, enum: type[LabeledEnum] | None = None) -> Col:
    return Col(name, PLAN[name][0], type_, required, enum)


RESPONSIBILITY = [_col("leader_name"), _col("leader_title"), _col("leader_phone"), _col("office"),
                  _col("liaison_name"), _col("liaison_phone")]
COLUMNS: dict[str, list[Col]] = {
    NETWORK_SHEET: [_col("name"), _col("content", "longtext", False), _col("target", "enum", enum=Target),
                    _col("completion_date", "date"), _col("connect_by", "date", False),
                    _col("migrate_by", "date", False), *RESPONSIBILITY, Col("network_names", NETWORKS, "names")],
    CLOUD_SHEET: [_col("name"), _col("content", "longtext", False), _col("completion_date", "date"), *RESPONSIBILITY],
    SYSTEMS_SHEET: [Col("plan", PLAN_NAME, required=True), Col("system", SYSTEM_NAME, required=True),
                    Col("code", SYSTEM_CODE), Col("target_date", TARGET_DATE, "date", True)],
}
SHEET_KIND = {NETWORK_SHEET: PlanKind.private_network, CLOUD_SHEET: PlanKind.cloud}
LABELS = {c.name: c.zh for cols in COLUMNS.values() for c in cols}


def sheet_of(name: str) -> str | None:
    """Which template sheet a sheet is, tolerating renamed ones (“上云系统”, “专网迁移计划（附件）”)."""
    written = comparable(name)
    if "系统" in written and "上云" in written:
        return SYSTEMS_SHEET
    if "专网" in written:
        return NETWORK_SHEET
    if "上云" in written:
        return CLOUD_SHEET
    return None


# --- template and export ------------------------------------------------------------------------------

HELP = [
    "迁移计划表（业务专网迁移计划、信息系统迁移上云计划）",
    "“专网迁移计划”表每个计划一行（第十一条）：纳入迁移的业务专网填专网名称，多个用“、”分隔。",
    "“上云迁移计划”表每个计划一行（第三十一条）；计划内的系统填在“上云系统清单”表，每个系统一行，以计划名称对应。",
    "表头带 * 的列必填；部门名称与部门代码至少填一项。同一部门的计划以计划名称区分：再次导入同名计划即修改该计划，"
    "已提交或已批准的计划不能通过导入修改。",
    "涉密信息系统和涉密网络属于党委机要局（保密局）的管理流程，不得填入本表。",
    "导入时先检查全部行：任何一处有误则不写入任何数据，并逐条列出出错的工作表、行号、列名和原因。",
]


def new_workbook() -> tuple[Workbook, dict[str, Any]]:
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    for line in HELP:
        help_ws.append([line])
        help_ws.cell(row=help_ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    help_ws["A1"].font = Font(bold=True, size=14)
    help_ws.column_dimensions["A"].width = 120
    sheets = {name: wb.create_sheet(name) for name in COLUMNS}
    lists = wb.create_sheet(LISTS_SHEET)
    lists.cell(row=1, column=1, value=PLAN["target"][0])
    for row, member in enumerate(Target, start=2):
        lists.cell(row=row, column=1, value=member.zh)
    lists.sheet_state = "hidden"
    for name, ws in sheets.items():
        cols = COLUMNS[name]
        ws.append([DEPT_NAME, DEPT_CODE] + [c.header for c in cols])
        for column, c in enumerate(cols, start=3):
            if c.enum is Target:
                drop_down(ws, column, f"'{LISTS_SHEET}'!$A$2:$A${len(Target) + 1}", True, c.zh,
                          "从下拉列表选择：" + "、".join(m.zh for m in Target))
        widths = [24, 22] + [max(12, min(40, len(c.zh) * 2 + 6)) for c in cols]
        style_header(ws, widths, {i for i, c in enumerate(cols, start=3) if c.required}, "C2")
    return wb, sheets


def template_workbook() -> bytes:
    wb, _ = new_workbook()
    return save(wb)


def _value(plan: MigrationPlan, c: Col) -> Any:
    value = getattr(plan, c.name)
    if isinstance(value, LabeledEnum):
        return value.zh
    return value if value != "" else None


def export_workbook(session: Session, actor: Actor, f: service.PlanFilter) -> bytes:
    """The filtered plans in the template's layout. Classified systems never enter a plan, so none leave."""
    wb, sheets = new_workbook()
    for plan, dept in service.iter_plans(session, actor, f):
        if plan.kind == PlanKind.private_network:
            ws = sheets[NETWORK_SHEET]
            names = "、".join(n.name for n in service.plan_networks(session, plan.id)) or None
            ws.append(xlsx_row(ws, [dept.name, dept.code] + [_value(plan, c) for c in COLUMNS[NETWORK_SHEET][:-1]]
                               + [names]))
            continue
        ws = sheets[CLOUD_SHEET]
        ws.append(xlsx_row(ws, [dept.name, dept.code] + [_value(plan, c) for c in COLUMNS[CLOUD_SHEET]]))
        systems = sheets[SYSTEMS_SHEET]
        for ps, system in service.plan_systems(session, plan.id):
            systems.append(xlsx_row(systems, [dept.name, dept.code, plan.name, system.name, system.code,
                                              ps.target_date]))
    return save(wb)


# --- import -------------------------------------------------------------------------------------------

@dataclass
class PlanRow:
    sheet: str
    number: int
    department: Department
    kind: PlanKind
    values: dict[str, Any]
    systems: list[tuple[int, SystemIn]] = field(default_factory=list)   # (row number, system)


def _read_cell(c: Col, raw: Any) -> Any:
    if cells.is_blank(raw) or (not c.required and cells.not_applicable(raw)):
        return None
    if c.type == "date":
        return cells.parse_date(raw)
    if c.type == "enum":
        return cells.parse_enum(raw, c.enum)
    return cells.parse_text(raw, multiline=c.type == "longtext")


def _read_sheet(reader, sheet: str, template: str, finder: DepartmentFinder,
                errors: Errors) -> list[tuple[int, Department, dict[str, Any]]]:
    """(row number, department, {column name: value}) for every filled row; bad cells go to `errors`."""
    cols = COLUMNS[template]
    rows = reader.rows(sheet)
    found = find_header(rows, cols[0].zh)
    if found is None:
        errors.add(sheet, 1, cols[0].zh, f"“{sheet}”表缺少“{cols[0].zh}”列（请使用模板的表头）", "missing_column")
        return []
    head_row, head, written = found
    known = {comparable(c.zh): c for c in cols}
    depts = {comparable(DEPT_NAME): DEPT_NAME, comparable(DEPT_CODE): DEPT_CODE}
    at: dict[str, int] = {}
    for index, (key, text) in enumerate(zip(head, written, strict=False)):
        if not key:
            continue
        if key in known:
            at[known[key].name] = index
        elif key in depts:
            at[depts[key]] = index
        else:
            errors.add(sheet, head_row, text, f"无法识别的列“{text}”：请使用模板的表头（见“{HELP_SHEET}”表）",
                       "unknown_column")
    missing = [c.zh for c in cols if c.required and c.name not in at]
    if DEPT_NAME not in at and DEPT_CODE not in at:
        missing.append(DEPT_NAME)
    for column in missing:
        errors.add(sheet, head_row, column, f"“{sheet}”表缺少“{column}”列", "missing_column")
    if missing:
        return []
    out = []
    for number, raw in rows:
        if all(cells.is_blank(v) for v in raw):
            continue
        raw = raw + [None] * (len(head) - len(raw))
        dept, column, message, code = finder.find(raw[at[DEPT_NAME]] if DEPT_NAME in at else None,
                                                  raw[at[DEPT_CODE]] if DEPT_CODE in at else None)
        if dept is None:
            errors.add(sheet, number, column, message, code)
        values: dict[str, Any] = {}
        complete = True
        for c in cols:
            if c.name not in at:
                continue
            try:
                values[c.name] = _read_cell(c, raw[at[c.name]])
            except cells.CellError as exc:
                errors.add(sheet, number, c.zh, exc.message, exc.code)
                complete = False
                continue
            if c.required and values[c.name] is None:
                errors.add(sheet, number, c.zh, f"{c.zh}必填", "required")
                complete = False
        if dept is not None and complete:
            out.append((number, dept, values))
    return out


def import_workbook(session: Session, actor: Actor, data: bytes | IO[bytes],
                    limits: WorkbookLimits | None = None) -> ImportResult:
    """Check every row of every sheet first; then write all of it in one transaction, or nothing."""
    actor.require(*rules.WRITE_ROLES)
    limits = limits or WorkbookLimits.of()
    with without_gc_pauses():
        reader = open_workbook(data, limits)
        errors = Errors(list(reader.sheets), limits.errors)
        templates = {name: sheet_of(name) for name in reader.sheets}
        if not any(t in SHEET_KIND for t in templates.values()):
            errors.add(None, None, None, f"工作簿中没有“{NETWORK_SHEET}”或“{CLOUD_SHEET}”工作表（现有："
                       f"{'、'.join(reader.sheets) or '无'}），请使用模板", "missing_sheet")
            errors.raise_if_any()
        finder = DepartmentFinder(session, actor)
        plans: dict[tuple[int, PlanKind, str], PlanRow] = {}
        system_rows: list[tuple[str, int, Department, dict]] = []
        for sheet, template in templates.items():
            if template in SHEET_KIND:
                for number, dept, values in _read_sheet(reader, sheet, template, finder, errors):
                    key = (dept.id, SHEET_KIND[template], values["name"])
                    if key in plans:
                        other = plans[key]
                        errors.add(sheet, number, PLAN["name"][0],
                                   f"与“{other.sheet}”表第 {other.number} 行是同一部门的同名计划，一个计划只填一行",
                                   "duplicate_row")
                        continue
                    plans[key] = PlanRow(sheet, number, dept, SHEET_KIND[template], values)
            elif template == SYSTEMS_SHEET:
                system_rows += [(sheet, n, d, v) for n, d, v in _read_sheet(reader, sheet, template, finder, errors)]
        _attach_systems(session, plans, system_rows, errors)
        changes = _plan_changes(session, actor, plans, errors)
        errors.raise_if_any()
        return _apply(session, actor, changes)


def _attach_systems(session: Session, plans: dict[tuple[int, PlanKind, str], PlanRow],
                    rows: list[tuple[str, int, Department, dict]], errors: Errors) -> None:
    """Each system row to its plan, the system found by code, else by name in the plan's department subtree."""
    dept_ids = {d.id for _, _, d, _ in rows}
    paths = dict(session.execute(select(Department.id, Department.path)).all()) if rows else {}
    live = session.execute(select(InformationSystem.id, InformationSystem.name, InformationSystem.code,
                                  InformationSystem.department_id, InformationSystem.is_classified)
                           .where(InformationSystem.deleted_at.is_(None))).all() if dept_ids else []
    by_code = {s.code: s for s in live}
    for sheet, number, dept, values in rows:
        plan = plans.get((dept.id, PlanKind.cloud, values["plan"]))
        if plan is None:
            errors.add(sheet, number, PLAN_NAME, f"计划“{values['plan']}”不在“{CLOUD_SHEET}”表中（同一部门）",
                       "unknown_plan")
            continue
        if values.get("code"):
            system = by_code.get(values["code"])
            if system is None:
                errors.add(sheet, number, SYSTEM_CODE, f"系统编码 {values['code']} 未登记", "unknown_system")
                continue
            if system.name != values["system"]:
                errors.add(sheet, number, SYSTEM_NAME, f"系统名称与系统编码 {system.code} 登记的“{system.name}”不一致",
                           "system_mismatch")
                continue
        else:
            found = [s for s in live if s.name == values["system"] and paths[s.department_id].startswith(dept.path)]
            if len(found) != 1:
                how = "有多个" if found else "没有"
                errors.add(sheet, number, SYSTEM_NAME, f"{dept.name}及其下级单位{how}名为“{values['system']}”的信息系统"
                           + ("（请填写系统编码）" if found else ""), "unknown_system")
                continue
            system = found[0]
        if system.is_classified:
            errors.add(sheet, number, SYSTEM_NAME, classified.REFUSAL, classified.CODE)
            continue
        plan.systems.append((number, SystemIn(system_id=system.id, target_date=values["target_date"])))


@dataclass
class Change:
    row: PlanRow
    existing: MigrationPlan | None
    data: PlanIn


def _plan_changes(session: Session, actor: Actor, plans: dict[tuple[int, PlanKind, str], PlanRow],
                  errors: Errors) -> list[Change]:
    """Each row as a PlanIn, checked as the API checks it, matched to the plan of the same name."""
    out = []
    for (dept_id, kind, name), row in plans.items():
        values = {k: v for k, v in row.values.items() if k != "network_names"}
        networks = _network_ids(session, row, errors)
        if networks is None:
            continue
        try:
            data = PlanIn(kind=kind, department_id=dept_id, systems=[s for _, s in row.systems], network_ids=networks,
                          **{k: "" if v is None and k == "content" else v for k, v in values.items()})
        except ValidationError as exc:
            for problem in exc.errors():
                where = str(problem["loc"][0]) if problem["loc"] else "name"
                errors.add(row.sheet, row.number, LABELS.get(where, where), problem["msg"], "invalid")
            continue
        existing = session.execute(select(MigrationPlan).where(MigrationPlan.department_id == dept_id,
                                                               MigrationPlan.kind == kind,
                                                               MigrationPlan.name == name)).scalars().first()
        own = existing.id if existing else None
        problems = service.check_systems(session, row.department, data.systems, own)
        problems += service.check_networks(session, row.department, data.network_ids, own)
        problems += service.kind_problems(kind, data.model_dump(), data.network_ids, data.systems)
        for where, message, code in problems:
            if where.startswith("network_ids."):
                errors.add(row.sheet, row.number, NETWORKS, message, code)
            elif where.startswith("systems."):
                index = int(where.split(".")[1])
                errors.add(SYSTEMS_SHEET, row.systems[index][0], SYSTEM_NAME, message, code)
            else:
                errors.add(row.sheet, row.number, LABELS.get(where, where), message, code)
        if existing is not None and _differs(session, existing, data):
            if existing.status not in EDITABLE:
                errors.add(row.sheet, row.number, PLAN["name"][0],
                           f"计划 {existing.number} 为“{existing.status.zh}”，不能通过导入修改", "not_editable")
            elif actor.role == Role.department and actor.department_id != existing.department_id:
                errors.add(row.sheet, row.number, DEPT_NAME, f"计划 {existing.number} 只能由所属部门修改",
                           "forbidden_department")
        out.append(Change(row, existing, data))
    return out


def _network_ids(session: Session, row: PlanRow, errors: Errors) -> list[int] | None:
    """The networks a cell names (separated by 、 , ; / or line breaks), each registered in the plan's
    department or one under it; None when a name is not found."""
    names = [n.strip() for n in cells.SEPARATORS.split(row.values.get("network_names") or "") if n.strip()]
    if not names:
        return []
    found: dict[str, list[int]] = {}
    stmt = (select(PrivateNetwork.name, PrivateNetwork.id)
            .join(Department, Department.id == PrivateNetwork.department_id)
            .where(PrivateNetwork.name.in_(names), Department.path.like(row.department.path + "%")))
    for name, nid in session.execute(stmt).all():
        found.setdefault(name, []).append(nid)
    missing = [n for n in names if n not in found]
    if missing:
        errors.add(row.sheet, row.number, NETWORKS, f"{row.department.name}及其下级单位未登记业务专网："
                   f"{'、'.join(missing)}（请先登记专网）", "unknown_network")
        return None
    twice = [n for n in names if len(found[n]) > 1]
    if twice:
        errors.add(row.sheet, row.number, NETWORKS, f"{row.department.name}及其下级单位有多个同名业务专网："
                   f"{'、'.join(twice)}，请由所属单位分别填报", "ambiguous_network")
        return None
    return [found[n][0] for n in names]


def _differs(session: Session, plan: MigrationPlan, data: PlanIn) -> bool:
    fields = data.model_dump(include=set(service.PLAN_FIELDS))
    if any(getattr(plan, k) != v for k, v in fields.items()):
        return True
    current = {(ps.system_id, ps.target_date) for ps, _ in service.plan_systems(session, plan.id)}
    return current != {(s.system_id, s.target_date) for s in data.systems} or \
        set(service.network_ids(session, plan.id)) != set(data.network_ids)


def _apply(session: Session, actor: Actor, changes: list[Change]) -> ImportResult:
    """Write every change in one transaction: creates, updates; an unchanged plan is left alone."""
    created = updated = unchanged = 0
    try:
        for change in changes:
            if change.existing is None:
                service.create_plan(session, actor, change.data, commit=False)
                created += 1
            elif _differs(session, change.existing, change.data):
                body = change.data.model_dump(include={*service.PLAN_FIELDS, "network_ids"})
                service.update_plan(session, actor, change.existing.id,
                                    PlanUpdate(**body, systems=change.data.systems), commit=False)
                updated += 1
            else:
                unchanged += 1
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ImportResult(created=created, updated=updated, unchanged=unchanged)

