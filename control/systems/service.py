"""Inventory use cases: the only code that writes information systems. Every function takes the
acting user, applies the department scope and records the audit entry."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlmodel import Session

from control.core import audit
from control.core.auth import Actor
from control.core.clock import now
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.org.models import Department, Role
from control.systems import rules
from control.systems.enums import SystemStatus
from control.systems.fields import FIELDS_BY_NAME
from control.systems.models import InformationSystem, SystemSharing
from control.systems.schemas import SharingLine, SystemCreate, SystemPublic, SystemSummary, SystemUpdate

WRITE_ROLES = (Role.admin, Role.infocenter, Role.department)
AUDIT_EXCLUDE = {"created_at", "updated_at"}
SORTABLE = {"name": InformationSystem.name, "code": InformationSystem.code, "status": InformationSystem.status,
            "updated_at": InformationSystem.updated_at, "department": Department.name,
            "protection_level": InformationSystem.protection_level,
            "usage_frequency": InformationSystem.usage_frequency}


@dataclass
class SystemFilter:
    """The one filter set every list of systems uses: API, pages, exports."""
    department_id: int | None = None     # this department and those under it
    network: str | None = None
    status: str | None = None
    protection_level: int | None = None
    usage_frequency: str | None = None
    kind: str | None = None
    classified: bool | None = None
    q: str | None = None
    sort: str = "name"                    # a SORTABLE key, "-" prefix for descending
    include_classified_details: bool = True


def new_code() -> str:
    return f"YZ-{secrets.token_hex(4).upper()}"


def _department(session: Session, actor: Actor, department_id: int) -> Department:
    dept = session.get(Department, department_id)
    if dept is None:
        raise ValidationFailed(f"部门 {department_id} 不存在",
                               errors=[{"field": "department_id", "message": "部门不存在", "code": "not_found"}])
    actor.check_department(dept)
    return dept


def filtered_query(session: Session, actor: Actor, f: SystemFilter):
    """SELECT (system, department) scoped to the actor and narrowed by the filter."""
    stmt = (select(InformationSystem, Department).join(Department, Department.id == InformationSystem.department_id)
            .where(InformationSystem.deleted_at.is_(None)))
    if actor.scope_path is not None:
        stmt = stmt.where(Department.path.startswith(actor.scope_path))
    if f.department_id is not None:
        dept = session.get(Department, f.department_id)
        if dept is None:
            raise NotFound(f"部门 {f.department_id} 不存在")
        actor.check_department(dept)
        stmt = stmt.where(Department.path.startswith(dept.path))
    if f.network:
        network = getattr(f.network, "value", f.network)
        stmt = stmt.where(cast(InformationSystem.networks, String).like(f'%"{network}"%'))
    if f.status:
        stmt = stmt.where(InformationSystem.status == f.status)
    if f.protection_level is not None:
        stmt = stmt.where(InformationSystem.protection_level == f.protection_level)
    if f.usage_frequency:
        stmt = stmt.where(InformationSystem.usage_frequency == f.usage_frequency)
    if f.kind:
        stmt = stmt.where(InformationSystem.kind == f.kind)
    if f.classified is not None:
        stmt = stmt.where(InformationSystem.is_classified == f.classified)
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(or_(InformationSystem.name.like(like), InformationSystem.code.like(like),
                              InformationSystem.function_description.like(like),
                              InformationSystem.om_vendors.like(like), Department.name.like(like)))
    return stmt


def _order(stmt, sort: str):
    key = sort.lstrip("-")
    column = SORTABLE.get(key)
    if column is None:
        raise ValidationFailed(f"不能按“{key}”排序", errors=[{"field": "sort", "code": "invalid_sort",
                                                             "message": f"可选：{', '.join(SORTABLE)}"}])
    column = column.desc() if sort.startswith("-") else column.asc()
    return stmt.order_by(column, InformationSystem.id)


def list_systems(session: Session, actor: Actor, f: SystemFilter, limit: int = 50,
                 offset: int = 0) -> tuple[list[SystemSummary], int]:
    stmt = filtered_query(session, actor, f)
    total = session.execute(select(func.count()).select_from(stmt.with_only_columns(InformationSystem.id)
                                                             .subquery())).scalar_one()
    rows = session.execute(_order(stmt, f.sort).limit(limit).offset(offset)).all()
    return [summary(system, dept) for system, dept in rows], total


def iter_systems(session: Session, actor: Actor, f: SystemFilter) -> list[tuple[InformationSystem, Department]]:
    """Every matching system with its department, sorted: for exports."""
    return [tuple(r) for r in session.execute(_order(filtered_query(session, actor, f), f.sort)).all()]


def summary(system: InformationSystem, dept: Department) -> SystemSummary:
    return SystemSummary.model_validate({**system.model_dump(), "department_name": dept.name})


def public(session: Session, system: InformationSystem) -> SystemPublic:
    dept = session.get(Department, system.department_id)
    return SystemPublic.model_validate({**system.model_dump(), "department_name": dept.name,
                                        "department_code": dept.code,
                                        "sharing": sharing_lines(session, system.id)})


def sharing_lines(session: Session, system_id: int) -> list[SharingLine]:
    rows = session.execute(select(SystemSharing).where(SystemSharing.system_id == system_id)
                           .order_by(SystemSharing.direction, SystemSharing.id)).scalars().all()
    return [SharingLine.model_validate(r) for r in rows]


def get_system(session: Session, actor: Actor, system_id: int) -> InformationSystem:
    system = session.get(InformationSystem, system_id)
    if system is None or system.deleted_at is not None:
        raise NotFound(f"信息系统 {system_id} 不存在")
    actor.check_department(session.get(Department, system.department_id))
    return system


def get_system_by_code(session: Session, actor: Actor, code: str) -> InformationSystem:
    system = session.execute(select(InformationSystem).where(InformationSystem.code == code)).scalar_one_or_none()
    if system is None or system.deleted_at is not None:
        raise NotFound(f"系统编码 {code} 不存在")
    actor.check_department(session.get(Department, system.department_id))
    return system


def _check_consistency(data: dict[str, Any]) -> None:
    problems = rules.validate_system(data)
    if problems:
        raise ValidationFailed("；".join(m for _, m, _ in problems),
                               errors=[{"field": f, "message": m, "code": c} for f, m, c in problems])


def _check_unique(session: Session, department_id: int, name: str, code: str | None, own_id: int | None) -> None:
    clash = session.execute(select(InformationSystem.id).where(
        InformationSystem.department_id == department_id, InformationSystem.name == name,
        InformationSystem.deleted_at.is_(None))).scalar()
    if clash is not None and clash != own_id:
        raise Conflict(f"本部门已有名为“{name}”的系统（id {clash}）", code="duplicate_name")
    if code:
        other = session.execute(select(InformationSystem.id).where(InformationSystem.code == code)).scalar()
        if other is not None and other != own_id:
            raise Conflict(f"系统编码 {code} 已被使用", code="duplicate_code")


def _check_replacement(session: Session, replaced_by_id: int | None, own_id: int | None) -> None:
    """The replacing system must exist and be another system (any department: a provincial platform
    may replace a county's)."""
    if replaced_by_id is None:
        return
    other = session.get(InformationSystem, replaced_by_id)
    if other is None or other.deleted_at is not None or replaced_by_id == own_id:
        raise ValidationFailed("替代系统不存在或就是本系统", errors=[{"field": "replaced_by_id", "code": "invalid",
                                                                    "message": "替代系统不存在或就是本系统"}])


def _replace_sharing(session: Session, system_id: int, lines: list[SharingLine]) -> None:
    for old in session.execute(select(SystemSharing).where(SystemSharing.system_id == system_id)).scalars():
        session.delete(old)
    session.add_all(SystemSharing(system_id=system_id, **line.model_dump()) for line in lines)


def _sharing_snapshot(lines: list[SharingLine]) -> list[dict]:
    return [audit.jsonable(line.model_dump()) for line in lines]


def create_system(session: Session, actor: Actor, data: SystemCreate, commit: bool = True) -> InformationSystem:
    actor.require(*WRITE_ROLES)
    _department(session, actor, data.department_id)
    values = data.model_dump(exclude={"sharing"})
    values["name"] = values["name"].strip()
    _check_consistency(values)
    _check_unique(session, data.department_id, values["name"], data.code, None)
    _check_replacement(session, values.get("replaced_by_id"), None)
    values["code"] = data.code or new_code()
    system = InformationSystem(**values)
    session.add(system)
    session.flush()
    _replace_sharing(session, system.id, data.sharing)
    after = {**audit.snapshot(system, AUDIT_EXCLUDE), "sharing": _sharing_snapshot(data.sharing)}
    audit.record(session, actor, "create", "system", system.id, after=after, label=system.name)
    if commit:
        session.commit()
    return system


def update_system(session: Session, actor: Actor, system_id: int, data: SystemUpdate,
                  commit: bool = True) -> InformationSystem:
    actor.require(*WRITE_ROLES)
    system = get_system(session, actor, system_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("code", system.code) != system.code:
        raise Conflict("系统编码创建后不可更改：指标、自动化与表格都用它指称系统", code="code_immutable")
    sharing = changes.pop("sharing", None)
    if changes.get("department_id") not in (None, system.department_id):
        _department(session, actor, changes["department_id"])
    before_sharing = sharing_lines(session, system.id)
    before = {**audit.snapshot(system, AUDIT_EXCLUDE), "sharing": _sharing_snapshot(before_sharing)}
    target = changes.pop("status", None)
    if target is not None:
        reason = rules.transition_error(system.status, target)
        if reason:
            raise Conflict(reason, code="illegal_transition")
    merged = {**system.model_dump(), **changes}
    if target is not None:
        merged["status"] = target
    merged["name"] = (merged.get("name") or "").strip()
    _check_consistency(merged)
    _check_unique(session, merged["department_id"], merged["name"], None, system.id)
    _check_replacement(session, merged.get("replaced_by_id"), system.id)
    for key, value in merged.items():
        if key in FIELDS_BY_NAME or key in ("department_id", "kind", "status", "user_count_varies", "replaced_by_id"):
            setattr(system, key, value)
    new_sharing = [SharingLine.model_validate(s) for s in sharing] if sharing is not None else before_sharing
    after = {**audit.snapshot(system, AUDIT_EXCLUDE), "sharing": _sharing_snapshot(new_sharing)}
    change = audit.diff(before, after)
    if not change:
        return system
    if sharing is not None:
        _replace_sharing(session, system.id, new_sharing)
    system.updated_at = now()
    session.add(system)
    audit.record(session, actor, "update", "system", system.id, changes=change, label=system.name)
    if commit:
        session.commit()
    return system


def change_status(session: Session, actor: Actor, system_id: int, action: str, comment: str = "") -> InformationSystem:
    """start / stop / decommission: the lifecycle transitions, refused with 409 and the reason."""
    actor.require(*WRITE_ROLES)
    target = rules.ACTIONS.get(action)
    if target is None:
        raise NotFound(f"没有名为 {action} 的操作")
    system = get_system(session, actor, system_id)
    current = system.status
    if current == target or (current, target) not in rules.TRANSITIONS:
        raise Conflict(rules.transition_error(current, target) or f"系统已是“{current.zh}”状态",
                       code="illegal_transition")
    system.status = target
    system.updated_at = now()
    session.add(system)
    audit.record(session, actor, action, "system", system.id,
                 changes={"status": [current.value, target.value], "comment": comment}, label=system.name)
    session.commit()
    return system


def delete_system(session: Session, actor: Actor, system_id: int, comment: str = "") -> None:
    """Soft delete: the record stays for the audit trail and its code is never reused."""
    actor.require(*WRITE_ROLES)
    system = get_system(session, actor, system_id)
    if system.status == SystemStatus.running:
        raise Conflict("正在运行的系统不能删除，请先停止运行", code="running")
    system.deleted_at = now()
    session.add(system)
    audit.record(session, actor, "delete", "system", system.id,
                 changes={"deleted_at": [None, audit.jsonable(system.deleted_at)], "comment": comment},
                 label=system.name)
    session.commit()


def dashboard_counts(session: Session, actor: Actor) -> dict[str, dict[str, int]]:
    """Systems in the actor's scope by status and by running network, for the home page."""
    from control.systems.enums import Network
    base = filtered_query(session, actor, SystemFilter()).with_only_columns(InformationSystem.status, func.count())
    by_status = {SystemStatus(s).value: n for s, n in session.execute(base.group_by(InformationSystem.status)).all()}
    by_network = {}
    for network in Network:
        stmt = filtered_query(session, actor, SystemFilter(network=network.value))
        by_network[network.value] = session.execute(select(func.count()).select_from(
            stmt.with_only_columns(InformationSystem.id).subquery())).scalar_one()
    return {"status": by_status, "network": by_network}
