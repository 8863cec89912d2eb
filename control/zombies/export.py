"""The auditors' list (第二十八条): candidates and decisions with exactly what the audit establishes —
department, system name, function, scope, frequency, approving unit and date, funding source — plus the
criteria held and the evidence, and a per-department summary. Classified systems appear in counts only."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import func, select
from sqlmodel import Session

from control.core.accounts import Department
from control.core.auth import Actor
from control.core.scope import scope_condition, scoped
from control.systems.enums import UsageFrequency, UseScope
from control.systems.models import InformationSystem
from control.zombies import service
from control.zombies.enums import CaseState, Criterion
from control.zombies.models import ZombieCase, ZombieScan, ZombieVerdict

HEADERS = ["部门", "系统名称", "系统编码", "系统功能", "使用范围", "使用频度", "审批单位", "审批时间", "经费来源",
           "符合的判定标准", "判定依据", "审核状态", "审核意见", "部门说明", "依据扫描"]
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")


def _labels(values, enum) -> str:
    return "、".join(enum(v).zh for v in values or [])


def auditors_list(session: Session, actor: Actor) -> bytes:
    rows = session.execute(
        select(ZombieCase, InformationSystem, Department).join(InformationSystem,
                                                               InformationSystem.id == ZombieCase.system_id)
        .join(Department, Department.id == ZombieCase.department_id)
        .where(*scope_condition(actor, ZombieCase.department_id))
        .order_by(Department.path, InformationSystem.name)).all()
    wb = Workbook()
    ws = wb.active
    ws.title = "僵尸系统清单"
    ws.append(HEADERS)
    policies: dict[int, tuple] = {}                    # scan id → its policy and day
    for case_, system, dept in rows:
        if system.is_classified:
            continue
        verdict = session.get(ZombieVerdict, session.execute(
            select(func.max(ZombieVerdict.id)).where(ZombieVerdict.system_id == system.id,
                                                     ZombieVerdict.scan_id == case_.last_scan_id)).scalar())
        if verdict and case_.last_scan_id not in policies:
            scan = session.get(ZombieScan, case_.last_scan_id)
            policies[scan.id] = (service.scan_policy(scan), scan.as_of)
        held, criteria = service.explain(verdict, *policies[case_.last_scan_id]) if verdict else ([], {})
        evidence = "\n".join(f"{Criterion(k).zh}：{criteria[k]['sentence']}" for k in held)
        funding = "；".join(x for x in (f"建设：{system.build_funding_source}" if system.build_funding_source else "",
                                        f"运维：{system.om_funding_source}" if system.om_funding_source else "") if x)
        ws.append([dept.name, system.name, system.code, system.function_description or "",
                   "；".join(x for x in (_labels(system.use_scopes, UseScope), system.use_scope_names or "") if x),
                   UsageFrequency(system.usage_frequency).zh if system.usage_frequency else "",
                   system.approving_unit or "", system.approval_date.isoformat() if system.approval_date else "",
                   funding, "、".join(Criterion(k).zh for k in held), evidence,
                   case_.state.zh + ("（需重新审核）" if case_.needs_rereview else ""), case_.reason or "",
                   case_.department_response or "", f"#{case_.last_scan_id}"])
    _style(ws, [18, 24, 14, 30, 22, 8, 18, 11, 24, 26, 50, 12, 24, 24, 8])
    summary = wb.create_sheet("部门汇总")
    summary.append(
        ["部门", "在册系统数", "疑似（待审核）", "已确认", "已安排清理", "已清理", "已豁免", "其中涉密（仅计数）"]
    )
    systems = dict(session.execute(select(InformationSystem.department_id, func.count())
                                   .where(InformationSystem.deleted_at.is_(None))
                                   .group_by(InformationSystem.department_id)).all())
    counts: dict[tuple[int, str], int] = {}
    classified: dict[int, int] = {}
    for case_, system, dept in rows:
        counts[(dept.id, case_.state.value)] = counts.get((dept.id, case_.state.value), 0) + 1
        if system.is_classified:
            classified[dept.id] = classified.get(dept.id, 0) + 1
    for dept in session.execute(scoped(select(Department), actor, Department.id).order_by(Department.path)).scalars():
        summary.append([dept.name, systems.get(dept.id, 0)] +
                       [counts.get((dept.id, s.value), 0) for s in (CaseState.candidate, CaseState.confirmed,
                                                                   CaseState.cleanup_planned, CaseState.cleaned_up,
                                                                   CaseState.exempted)] + [classified.get(dept.id, 0)])
    _style(summary, [24, 10, 14, 8, 10, 8, 8, 16])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _style(ws, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
