"""Checking a read census as a whole against the inventory: which rows create, update or leave a system,
and what involves more than one cell (duplicate rows, codes, lifecycle transitions, sharing targets)."""
from __future__ import annotations

from sqlmodel import Session

from control.systems import rules
from control.systems.census_layout import SYSTEM_NAME
from control.systems.census_parse import Errors, Row
from control.systems.enums import SystemStatus
from control.systems.fields import FIELDS_BY_NAME
from control.systems.service import CensusRow, live_systems, new_code, used_codes


def _column(field: str) -> str:
    f = FIELDS_BY_NAME.get(field)
    return f.zh if f else field


def _fresh_code(taken: set[str]) -> str:
    code = new_code()
    while code in taken:
        code = new_code()
    taken.add(code)
    return code


def plan(session: Session, rows: list[Row], sharing: dict[tuple[int, str], list[dict]],
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

