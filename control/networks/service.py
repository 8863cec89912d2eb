"""Private-network use cases: the only code that writes private networks. Every function takes the acting
user, applies the department scope and records the audit entry (before/after). A classified network is
refused before anything is read or written, so nothing about it reaches the database or the audit log; a
network marked classified later is removed with everything hanging on it (remove_classified)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from control.core import audit, classified, dialect, duties, scope
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.clock import now, today
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.roles import Role
from control.networks import rules
from control.networks.enums import NetworkState
from control.networks.models import CarrierLine, NetworkSystem, PrivateNetwork
from control.networks.schemas import (
    ActionIn,
    CarrierLineIn,
    NetworkCreate,
    NetworkOut,
    NetworkSummary,
    NetworkUpdate,
    SystemRef,
)
from control.systems.models import InformationSystem

WRITE_ROLES = (Role.admin, Role.infocenter, Role.department)
ENTITY = "private_network"
WHAT = "业务专网"
AUDIT_EXCLUDE = {"created_at", "updated_at"}


@dataclass
class NetworkFilter:
    """The one filter set every list of private networks uses: API, pages, CLI."""
    department_id: int | None = None     # this department and those under it
    state: NetworkState | None = None
    fiscal: bool | None = None
    q: str | None = None
    region: str | None = None            # the network's own department's region code (scope.NO_REGION: none)
    level: str | None = None             # the network's own department's level


def _conditions(session: Session, actor: Actor, f: NetworkFilter) -> list:
    where = scope.scope_condition(actor, PrivateNetwork.department_id)
    if f.department_id is not None:
        where.append(scope.under_department(session, actor, f.department_id, PrivateNetwork.department_id))
    if f.state is not None:
        where.append(PrivateNetwork.state == f.state)
    if f.fiscal is not None:
        where.append(PrivateNetwork.fiscal_funded.is_(f.fiscal))
    if f.q and f.q.strip():
        where.append(dialect.contains_text([PrivateNetwork.name, PrivateNetwork.purpose], f.q.strip()))
    where += scope.of_region_level(PrivateNetwork.department_id, f.region, f.level)
    return where


def list_networks(session: Session, actor: Actor, f: NetworkFilter, limit: int = 50,
                  offset: int = 0) -> tuple[list[NetworkSummary], int]:
    where = _conditions(session, actor, f)
    total = session.execute(select(func.count()).select_from(PrivateNetwork).where(*where)).scalar_one()
    stmt = (select(PrivateNetwork.id, PrivateNetwork.department_id, Department.name.label("department_name"),
                   PrivateNetwork.name, PrivateNetwork.fiscal_funded, PrivateNetwork.state,
                   PrivateNetwork.updated_at)
            .join(Department, Department.id == PrivateNetwork.department_id).where(*where)
            .order_by(Department.path, PrivateNetwork.name, PrivateNetwork.id).limit(limit).offset(offset))
    return [NetworkSummary.model_validate(row._mapping) for row in session.execute(stmt)], total


def get_network(session: Session, actor: Actor, network_id: int) -> PrivateNetwork:
    return scope.get_scoped(session, actor, PrivateNetwork, network_id, WHAT)


def carrier_lines(session: Session, network_id: int) -> list[CarrierLineIn]:
    rows = session.execute(select(CarrierLine).where(CarrierLine.network_id == network_id)
                           .order_by(CarrierLine.id)).scalars()
    return [CarrierLineIn.model_validate(r) for r in rows]


def systems_on(session: Session, network_id: int) -> list[SystemRef]:
    S = InformationSystem
    rows = session.execute(select(S.id, S.code, S.name).join(NetworkSystem, NetworkSystem.system_id == S.id)
                           .where(NetworkSystem.network_id == network_id).order_by(S.name, S.id))
    return [SystemRef.model_validate(r._mapping) for r in rows]


def detail(session: Session, network: PrivateNetwork) -> NetworkOut:
    lines = carrier_lines(session, network.id)
    return NetworkOut.model_validate({
        **network.model_dump(), "department_name": session.get(Department, network.department_id).name,
        "lines": lines, "yearly_rent_total": sum((line.yearly_rent for line in lines), Decimal(0)),
        "systems": systems_on(session, network.id), "actions": rules.allowed_actions(network.state)})


def _snapshot(network: PrivateNetwork, lines: list[CarrierLineIn], system_ids: list[int]) -> dict[str, Any]:
    return {**audit.snapshot(network, AUDIT_EXCLUDE), "lines": [audit.jsonable(line.model_dump()) for line in lines],
            "system_ids": sorted(system_ids)}


def _refuse(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=[{"field": field, "message": message, "code": code}])


def _check_systems(session: Session, department: Department, system_ids: list[int]) -> list[int]:
    """The systems a network of `department` may carry: live inventory systems of the department or those
    under it, none classified (涉密系统 stay off private-network records as they stay off automation)."""
    ids = sorted(set(system_ids))
    if not ids:
        return []
    S = InformationSystem
    found = {row.id: row for row in session.execute(
        select(S.id, S.name, S.is_classified, S.deleted_at, Department.path)
        .join(Department, Department.id == S.department_id).where(S.id.in_(ids)))}
    for system_id in ids:
        row = found.get(system_id)
        if row is None or row.deleted_at is not None:
            raise _refuse("system_ids", f"信息系统 {system_id} 不存在", "not_found")
        if not row.path.startswith(department.path):
            raise _refuse("system_ids", f"信息系统“{row.name}”不属于{department.name}及其下级单位", "other_department")
        if row.is_classified:
            classified.refuse("system_ids")
    return ids


def _check_unique(session: Session, department_id: int, name: str, own_id: int | None) -> None:
    clash = session.execute(select(PrivateNetwork.id).where(PrivateNetwork.department_id == department_id,
                                                            PrivateNetwork.name == name)).scalar()
    if clash is not None and clash != own_id:
        raise Conflict(f"本部门已有名为“{name}”的业务专网（id {clash}）", code="duplicate_name")


def _flush_unique(session: Session, name: str) -> None:
    """Write the row now: a same-named network saved meanwhile by someone else is a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"本部门已有名为“{name}”的业务专网", code="duplicate_name") from None


def _replace_children(session: Session, network_id: int, lines: list[CarrierLineIn] | None,
                      system_ids: list[int] | None) -> None:
    if lines is not None:
        for old in session.execute(select(CarrierLine).where(CarrierLine.network_id == network_id)).scalars():
            session.delete(old)
        session.add_all(CarrierLine(network_id=network_id, **line.model_dump()) for line in lines)
    if system_ids is not None:
        for old in session.execute(select(NetworkSystem).where(NetworkSystem.network_id == network_id)).scalars():
            session.delete(old)
        session.add_all(NetworkSystem(network_id=network_id, system_id=s) for s in system_ids)


def _system_ids(session: Session, network_id: int) -> list[int]:
    return list(session.execute(select(NetworkSystem.system_id).where(NetworkSystem.network_id == network_id)
                                .order_by(NetworkSystem.system_id)).scalars())


def create_network(session: Session, actor: Actor, data: NetworkCreate, commit: bool = True) -> PrivateNetwork:
    if data.is_classified:
        classified.refuse("is_classified")
    actor.require(*WRITE_ROLES)
    department = scope.visible_department(session, actor, data.department_id, field="department_id")
    _check_unique(session, data.department_id, data.name, None)
    system_ids = _check_systems(session, department, data.system_ids)
    network = PrivateNetwork(department_id=data.department_id, name=data.name, purpose=data.purpose,
                             fiscal_funded=data.fiscal_funded, sites=list(dict.fromkeys(data.sites)))
    session.add(network)
    _flush_unique(session, network.name)
    _replace_children(session, network.id, data.lines, system_ids)
    audit.record(session, actor, "create", ENTITY, network.id, after=_snapshot(network, data.lines, system_ids),
                 label=network.name)
    if commit:
        session.commit()
    return network


def update_network(session: Session, actor: Actor, network_id: int, data: NetworkUpdate) -> PrivateNetwork | None:
    """The changed network, or None when it was marked classified: then it is removed (remove_classified)
    and nothing else the request carried is looked at."""
    actor.require(*WRITE_ROLES)
    network = get_network(session, actor, network_id)
    if data.is_classified:
        remove_classified(session, actor, network)
        return None
    for key in ("department_id", "name", "fiscal_funded", "sites", "lines", "system_ids"):
        if key in data.model_fields_set and getattr(data, key) is None:
            raise _refuse(key, "不能为空", "required")
    changes = data.model_dump(exclude_unset=True, exclude={"is_classified", "lines", "system_ids"})
    before_lines, before_systems = carrier_lines(session, network.id), _system_ids(session, network.id)
    before = _snapshot(network, before_lines, before_systems)
    department_id = changes.get("department_id", network.department_id)
    department = scope.visible_department(session, actor, department_id, field="department_id")
    _check_unique(session, department_id, changes.get("name", network.name), network.id)
    lines, system_ids = data.lines, data.system_ids
    if system_ids is not None:
        checked = _check_systems(session, department, system_ids)
    elif department_id != network.department_id:    # moved: the systems it carries must belong to the new one
        checked = _check_systems(session, department, before_systems)
    else:                                            # kept as they are, even one deleted or classified since
        checked = before_systems
    if "sites" in changes:
        changes["sites"] = list(dict.fromkeys(changes["sites"]))
    for key, value in changes.items():
        setattr(network, key, value)
    after = _snapshot(network, lines if lines is not None else before_lines, checked)
    change = audit.diff(before, after)
    if not change:
        session.rollback()
        return get_network(session, actor, network_id)
    _replace_children(session, network.id, lines, checked if system_ids is not None else None)
    network.updated_at = now()
    session.add(network)
    _flush_unique(session, network.name)
    audit.record(session, actor, "update", ENTITY, network.id, changes=change, label=network.name)
    session.commit()
    return network


def remove_classified(session: Session, actor: Actor, network: PrivateNetwork) -> None:
    """A network found to be classified leaves the platform (issue 14: nothing about it is stored): its
    carrier lines, its systems, its place in migration plans and its record are deleted, and the audit entry
    holds its id and the fact, no name. The entries written before it was marked stay: the log is append-only
    and hash-chained."""
    from control.migration import service as migration_service  # migration builds on networks, not the reverse
    migration_service.forget_network(session, actor, network.id)
    for model in (CarrierLine, NetworkSystem):
        session.execute(delete(model).where(model.network_id == network.id))
    session.delete(network)
    session.flush()
    audit.record(session, actor, "remove_classified", ENTITY, network.id, changes={"reason": classified.LEFT})
    session.commit()


def leave_classified_systems(session: Session, actor: Actor, system_ids: list[int]) -> None:
    """Systems just marked classified leave every network they ran on, each departure audited on the network
    with the reason (the inventory is the source of truth). In the caller's transaction."""
    if not system_ids:
        return
    rows = session.execute(select(NetworkSystem, PrivateNetwork.name)
                           .join(PrivateNetwork, PrivateNetwork.id == NetworkSystem.network_id)
                           .where(NetworkSystem.system_id.in_(system_ids))
                           .order_by(NetworkSystem.network_id, NetworkSystem.system_id)).all()
    if not rows:
        return
    for row, _ in rows:
        session.delete(row)
    audit.record_many(session, actor, [("update", ENTITY, row.network_id, None, None, name,
                                        {"system_id": [row.system_id, None], "reason": classified.LEFT})
                                       for row, name in rows])


def act(session: Session, actor: Actor, network_id: int, action: str, body: ActionIn,
        commit: bool = True) -> PrivateNetwork:
    """connect / migrate / withdraw / merge / convert: one step of the state machine with its date and note,
    refused with 409 and the reason when the machine does not allow it. `commit=False` leaves the step in the
    caller's transaction, for a flow of another domain (a migration plan's stage that moves its networks)."""
    if action not in rules.ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作")
    network = get_network(session, actor, network_id)
    duties.check(actor, duties.Step(name=rules.ACTION_NAMES[action], roles=WRITE_ROLES))
    target = rules.next_state(network.state, action)
    if target is None:
        raise Conflict(rules.transition_error(network.state, action), code="illegal_transition")
    on = body.on or today()
    problems = rules.step_problems(action, on, body.note, today(),
                                   rules.previous_date(network.connected_on, network.migrating_on, action))
    if problems:
        raise ValidationFailed("；".join(m for _, m in problems),
                               errors=[{"field": f, "message": m, "code": "invalid"} for f, m in problems])
    current, date_field = network.state, rules.DATE_FIELD[action]
    network.state = target
    setattr(network, date_field, on)
    change: dict[str, Any] = {"state": [current.value, target.value], date_field: [None, on.isoformat()]}
    if action in rules.OUTCOME_ACTIONS:
        network.outcome_note = body.note
        change["outcome_note"] = [None, body.note]
    else:
        change["comment"] = body.note
    network.updated_at = now()
    session.add(network)
    audit.record(session, actor, action, ENTITY, network.id, changes=change, label=network.name)
    if commit:
        session.commit()
    return network


def state_counts(session: Session) -> dict[str, int]:
    """Private networks by state over every department: the metric's figures."""
    rows = session.execute(select(PrivateNetwork.state, func.count()).group_by(PrivateNetwork.state)).all()
    return {NetworkState(state).value: n for state, n in rows}
