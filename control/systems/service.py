"""Inventory use cases: the only code that writes information systems. Every function takes the
acting user, applies the department scope and records the audit entry."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from control.core import audit, dialect, scope
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.clock import now
from control.core.db import insert_plain
from control.core.errors import Conflict, NotFound, ValidationFailed
from control.core.roles import Role
from control.migration import service as migration_service
from control.migration.enums import PlanStatus, SystemState
from control.migration.models import MigrationPlan, PlanSystem
from control.networks import service as network_service
from control.systems import rules
from control.systems.enums import Network, SystemKind, SystemStatus
from control.systems.fields import FIELDS_BY_NAME
from control.systems.models import InformationSystem, SystemSharing
from control.systems.schemas import ImportResult, SharingLine, SystemCreate, SystemPublic, SystemSummary, SystemUpdate

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
    region: str | None = None             # the system's own department's region code (scope.NO_REGION: none)
    level: str | None = None              # the system's own department's level
    migration: str | None = None          # MIGRATION_STATES: in a live cloud plan, in that state there


# The migration filter: "planned" is every system a live (not cancelled) cloud plan holds, the others its
# state in that plan, as the progress board counts them.
MIGRATION_STATES = ("planned", *(s.value for s in SystemState))


def new_code() -> str:
    return f"YZ-{secrets.token_hex(4).upper()}"


def _conditions(session: Session, actor: Actor, f: SystemFilter) -> list:
    """The WHERE of every list of systems, on information_system columns only."""
    where = [InformationSystem.deleted_at.is_(None), *scope.scope_condition(actor, InformationSystem.department_id)]
    if f.department_id is not None:
        where.append(scope.under_department(session, actor, f.department_id, InformationSystem.department_id))
    if f.network:
        where.append(dialect.list_contains(session, InformationSystem.networks, getattr(f.network, "value", f.network),
                                           [n.value for n in Network], "network_mask"))
    if f.status:
        where.append(InformationSystem.status == f.status)
    if f.protection_level is not None:
        where.append(InformationSystem.protection_level == f.protection_level)
    if f.usage_frequency:
        where.append(InformationSystem.usage_frequency == f.usage_frequency)
    if f.kind:
        where.append(InformationSystem.kind == f.kind)
    if f.classified is not None:
        where.append(InformationSystem.is_classified == f.classified)
    where += scope.of_region_level(InformationSystem.department_id, f.region, f.level)
    if f.migration:
        where.append(_in_migration(f.migration))
    if f.q and f.q.strip():
        q = f.q.strip()
        # The departments named are looked up first: a sub-select inside the OR would keep PostgreSQL from
        # combining the trigram index with the department index, and it would read every system instead.
        named = session.execute(select(Department.id).where(dialect.contains_text([Department.name], q))).scalars()
        where.append(or_(dialect.text_search(session, InformationSystem.id, SEARCHED, q, fts_table="system_search",
                                             lowered=SEARCH_TEXT), InformationSystem.department_id.in_(list(named))))
    return where


def _in_migration(state: str) -> Any:
    """Condition: the system is in a live cloud plan (in `state` there, unless "planned")."""
    if state not in MIGRATION_STATES:
        raise ValidationFailed(f"没有名为 {state} 的迁移状态筛选", code="invalid_migration")
    held = select(PlanSystem.system_id).join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id) \
        .where(MigrationPlan.status != PlanStatus.cancelled)
    return InformationSystem.id.in_(held if state == "planned" else held.where(PlanSystem.state == state))


# What free text q looks in (besides the department's name): the columns of the SQLite trigram table
# (migration 0005) and of PostgreSQL's search_text, their lower-cased concatenation (migration 0012).
SEARCHED = (InformationSystem.name, InformationSystem.code, InformationSystem.function_description,
            InformationSystem.om_vendors)
SEARCH_TEXT = literal_column("information_system.search_text")


def filtered_query(session: Session, actor: Actor, f: SystemFilter):
    """SELECT (system, department) scoped to the actor and narrowed by the filter."""
    return (select(InformationSystem, Department).join(Department, Department.id == InformationSystem.department_id)
            .where(*_conditions(session, actor, f)))


def _sort_column(sort: str):
    column = SORTABLE.get(sort.lstrip("-"))
    if column is None:
        key = sort.lstrip("-")
        raise ValidationFailed(f"不能按“{key}”排序", errors=[{"field": "sort", "code": "invalid_sort",
                                                             "message": f"可选：{', '.join(SORTABLE)}"}])
    return column


def _order(stmt, sort: str):
    column = _sort_column(sort)
    return stmt.order_by(column.desc() if sort.startswith("-") else column.asc(), InformationSystem.id)


_SUMMARY_COLUMNS = [getattr(InformationSystem, name) for name in SystemSummary.model_fields
                    if name != "department_name"]


def _joined(stmt):
    return stmt.join(Department, Department.id == InformationSystem.department_id)


def _count(session: Session, where: list) -> int:
    return session.execute(select(func.count()).select_from(InformationSystem).where(*where)).scalar_one()


# A free-text search counts at most this many matches. Past it the list says "more than" and pages in sort
# order, stopping at the page, instead of reading and sorting every match: a term that half of 200,000
# systems hold took 200 ms to count exactly, 6 ms to count to 2,000 (10,000: 50 ms). What search engines do
# (Elasticsearch's track_total_hits); the export still holds every match.
SEARCH_COUNT_LIMIT = 2_000


def _search_page(session: Session, where: list, sort: str, limit: int, offset: int) -> tuple[list[int], int, bool]:
    """Page ids, total and whether the total is exact, in one pass while the matches are at most
    SEARCH_COUNT_LIMIT: a text search reads every match anyway, a separate count would read them twice.
    Counted in a sub-select and sorted outside it, so PostgreSQL finds the matches through the trigram index;
    sorted in the same select, it read the whole table in name order hoping to stop early, which a count of
    every match cannot. With more matches than that, the matches are common enough that walking the sort
    order finds a page soon: the total is then the limit, a lower bound."""
    column = _sort_column(sort)
    inner = select(InformationSystem.id, column.label("sort_key"))
    if sort.lstrip("-") == "department":
        inner = _joined(inner)
    sub = inner.where(*where).limit(SEARCH_COUNT_LIMIT + 1).subquery()
    key = sub.c.sort_key.desc() if sort.startswith("-") else sub.c.sort_key.asc()
    found = session.execute(select(sub.c.id, func.count().over()).order_by(key, sub.c.id)
                            .limit(limit).offset(offset)).all()
    matches = found[0][1] if found else session.execute(select(func.count()).select_from(sub)).scalar_one() \
        if offset else 0                                   # a page past the last: how many there were
    if matches <= SEARCH_COUNT_LIMIT:
        return [row[0] for row in found], matches, True
    walk = _order(_joined(select(InformationSystem.id)) if sort.lstrip("-") == "department"
                  else select(InformationSystem.id), sort)
    return list(session.execute(walk.where(*where).limit(limit).offset(offset)).scalars()), SEARCH_COUNT_LIMIT, False


def list_systems(session: Session, actor: Actor, f: SystemFilter, limit: int = 50,
                 offset: int = 0) -> tuple[list[SystemSummary], int, bool]:
    """One page, the total and whether it is exact (a broad free-text search says "more than"). Filters
    other than q are answered from indexes (a count, then a page that stops after `limit` rows); only the
    columns of a list row are loaded."""
    where = _conditions(session, actor, f)
    exact = True
    if f.q:
        ids, total, exact = _search_page(session, where, f.sort, limit, offset)
        where, offset = [InformationSystem.id.in_(ids)], 0
    else:
        total = _count(session, where)
    page = _order(_joined(select(*_SUMMARY_COLUMNS, Department.name.label("department_name"))).where(*where),
                  f.sort).limit(limit).offset(offset)
    return [SystemSummary.model_validate(row._mapping) for row in session.execute(page)], total, exact


def iter_systems(session: Session, actor: Actor, f: SystemFilter) -> list[tuple[InformationSystem, Department]]:
    """Every matching system with its department, sorted: for exports."""
    return [tuple(r) for r in session.execute(_order(filtered_query(session, actor, f), f.sort)).all()]


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
    system = scope.get_scoped(session, actor, InformationSystem, system_id, "信息系统")
    if system.deleted_at is not None:
        raise NotFound(f"信息系统 {system_id} 不存在")
    return system


def get_system_by_code(session: Session, actor: Actor, code: str) -> InformationSystem:
    system = session.execute(select(InformationSystem).where(InformationSystem.code == code)).scalar_one_or_none()
    if system is None or system.deleted_at is not None:
        raise NotFound(f"系统编码 {code} 不存在")
    scope.visible_department(session, actor, system.department_id)
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
    scope.visible_department(session, actor, data.department_id, field="department_id")
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
        scope.visible_department(session, actor, changes["department_id"], field="department_id")
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
    if _turned_classified(change):
        leave_plans_and_networks(session, actor, [system.id])
    if commit:
        session.commit()
    return system


def _turned_classified(change: dict[str, Any] | None) -> bool:
    """Whether an audited change marks the system classified (涉密)."""
    return bool(change) and change.get("is_classified", [None, False])[1] is True


def leave_plans_and_networks(session: Session, actor: Actor, system_ids: list[int]) -> None:
    """Systems just marked classified leave every migration plan and private network they were in (the
    inventory is the source of truth; see migration_service.leave_classified_systems for why the plan gives
    way rather than the marking being refused). In the caller's transaction."""
    migration_service.leave_classified_systems(session, actor, system_ids)
    network_service.leave_classified_systems(session, actor, system_ids)


def change_status(session: Session, actor: Actor, system_id: int, action: str, comment: str = "") -> InformationSystem:
    """start / stop / decommission: the lifecycle transitions, refused with 409 and the reason."""
    actor.require(*WRITE_ROLES)
    target = rules.ACTIONS.get(action)
    if target is None:
        raise NotFound(f"没有名为 {action} 的操作")
    system = get_system(session, actor, system_id)
    _transition(session, actor, system, target, comment)
    session.commit()
    return system


def decommission(session: Session, actor: Actor, system_id: int, comment: str) -> InformationSystem:
    """Take a system out of service for a flow of another domain (zombie clean-up): a running system is
    stopped first, then decommissioned, each step by the lifecycle's rules and audited; one already
    decommissioned stays so. In the caller's transaction: the caller commits, and its use case has
    already decided who may act."""
    system = get_system(session, actor, system_id)
    if system.status == SystemStatus.running:
        _transition(session, actor, system, SystemStatus.stopped, comment)
    if system.status != SystemStatus.decommissioned:
        _transition(session, actor, system, SystemStatus.decommissioned, comment)
    return system


def _transition(session: Session, actor: Actor, system: InformationSystem, target: SystemStatus,
                comment: str) -> None:
    """One lifecycle step, refused with 409 and the reason when the lifecycle does not allow it."""
    current = system.status
    if current == target or (current, target) not in rules.TRANSITIONS:
        raise Conflict(rules.transition_error(current, target) or f"系统已是“{current.zh}”状态",
                       code="illegal_transition")
    system.status = target
    system.updated_at = now()
    session.add(system)
    audit.record(session, actor, rules.TRANSITIONS[(current, target)], "system", system.id,
                 changes={"status": [current.value, target.value], "comment": comment}, label=system.name)


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


# --- Bulk census import ------------------------------------------------------------------------------------
# census.import_workbook checks a whole workbook first; apply_census then writes it with a handful of
# statements in one transaction, so a province-wide census of 20,000 rows takes seconds, not minutes.

SHARING_KEYS = ("direction", "resource_name", "counterpart", "method", "method_note")
_CHUNK = 500  # ids per IN (...) list: well under every driver's bound-parameter limit
_ANALYZE_AFTER = 1000  # rows written by one import


@dataclass
class CensusRow:
    """One checked census row: the values the system holds afterwards (only the columns the sheet had),
    the live system it updates as a plain row (None: a new system) and its sharing lines (None: keep them)."""
    department_id: int
    values: dict[str, Any]
    existing: dict[str, Any] | None = None
    sharing: list[dict[str, Any]] | None = None


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def live_systems(session: Session, department_ids: set[int]) -> dict[tuple[int, str], dict[str, Any]]:
    """The live systems of these departments as plain rows keyed by (department, name), the key a census
    row matches on. Plain rows because building 20,000 ORM objects would cost seconds."""
    table = InformationSystem.__table__
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for chunk in _chunks(sorted(department_ids)):
        stmt = select(table).where(table.c.department_id.in_(chunk), table.c.deleted_at.is_(None))
        for row in session.execute(stmt).mappings():
            found[(row["department_id"], row["name"])] = dict(row)
    return found


def used_codes(session: Session) -> set[str]:
    """Every system code ever given, deleted systems included: a code is never reused."""
    return set(session.execute(select(InformationSystem.code)).scalars())


def _sharing_by_system(session: Session, system_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    table = SystemSharing.__table__
    lines: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(system_ids):
        stmt = (select(table).where(table.c.system_id.in_(chunk))
                .order_by(table.c.system_id, table.c.direction, table.c.id))
        for row in session.execute(stmt).mappings():
            lines.setdefault(row["system_id"], []).append({k: row[k] for k in SHARING_KEYS})
    return lines


def _sharing_key(lines: list[dict[str, Any]]) -> list[tuple]:
    """Sharing lines in a form that compares equal whatever their order."""
    return sorted(tuple(str(audit.jsonable(line.get(k)) or "") for k in SHARING_KEYS) for line in lines)


_PLAIN = (str, int, float, bool, type(None))


def _row_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """audit.snapshot of a plain row: the same keys and value forms as for a model object."""
    return {k: v if v.__class__ in _PLAIN else audit.jsonable(v)
            for k, v in row.items() if k not in AUDIT_EXCLUDE}


def apply_census(session: Session, actor: Actor, rows: list[CensusRow]) -> ImportResult:
    """Write checked census rows in one transaction: insert the new systems, update those that differ,
    replace the sharing lines the workbook names, and audit each created or changed system (before/after
    as update_system does) with one record_many. A row that changes nothing is counted, not written."""
    actor.require(*WRITE_ROLES)
    table, sharing_table = InformationSystem.__table__, SystemSharing.__table__
    at = now()
    old_sharing = _sharing_by_system(session, [r.existing["id"] for r in rows
                                               if r.existing is not None and r.sharing is not None])
    entries: list[tuple] = []
    updates: list[dict[str, Any]] = []
    replaced: dict[int, list[dict[str, Any]]] = {}
    unchanged = 0
    for r in rows:
        if r.existing is None:
            continue
        system_id = r.existing["id"]
        after = {**r.existing, **r.values}
        change = audit.diff(_row_snapshot(r.existing), _row_snapshot(after))
        if r.sharing is not None and _sharing_key(old_sharing.get(system_id, [])) != _sharing_key(r.sharing):
            change["sharing"] = [audit.jsonable(old_sharing.get(system_id, [])), audit.jsonable(r.sharing)]
            replaced[system_id] = r.sharing
        if not change:
            unchanged += 1
            continue
        updates.append({"id": system_id, **{k: after[k] for k in change if k in table.c}, "updated_at": at})
        entries.append(("update", "system", system_id, None, None, after["name"], change))
    new_rows = [r for r in rows if r.existing is None]
    try:
        _update_systems(session, updates)
        created = _insert_systems(session, new_rows, at)
        for chunk in _chunks(list(replaced)):
            session.execute(delete(sharing_table).where(sharing_table.c.system_id.in_(chunk)))
        lines = [{"system_id": system_id, **line}
                 for system_id, sharing in replaced.items() for line in sharing]
        for system_id, row in created:
            lines += [{"system_id": system_id, **line} for line in row.get("sharing", [])]
            entries.append(("create", "system", system_id, None,
                            {**_row_snapshot({"id": system_id, **row["values"]}),
                             "sharing": audit.jsonable(row.get("sharing", []))},
                            row["values"]["name"], None))
        if lines:
            session.execute(insert(sharing_table), lines)
        if entries:
            audit.record_many(session, actor, entries)
        leave_plans_and_networks(session, actor, [e[2] for e in entries if _turned_classified(e[6])])
        session.commit()
        if len(created) + len(updates) >= _ANALYZE_AFTER:
            dialect.refresh_statistics(session, table.name)
    except IntegrityError:
        session.rollback()
        raise Conflict("导入期间清单已被他人修改（出现同名系统或相同编码），未写入任何数据，请重新导入",
                       code="concurrent_change") from None
    return ImportResult(created=len(created), updated=len(updates), unchanged=unchanged)


def _insert_systems(session: Session, rows: list[CensusRow],
                    at: datetime) -> list[tuple[int, dict[str, Any]]]:
    """Insert new systems in one go (insert_plain: executemany on SQLite, COPY on PostgreSQL), then read
    their ids back by code (unique): much faster than INSERT … RETURNING, which SQLite can only run one
    row per statement when the order must be kept."""
    if not rows:
        return []
    table = InformationSystem.__table__
    defaults = {c.name: None for c in table.c if c.name != "id"}
    defaults.update(kind=SystemKind.self_built, status=SystemStatus.registered, networks=[], use_scopes=[],
                    is_classified=False, user_count_varies=False, created_at=at, updated_at=at)
    params = [{**defaults, **r.values, "department_id": r.department_id} for r in rows]
    insert_plain(session, table, {name: [p[name] for p in params] for name in defaults}, convert=defaults)
    ids: dict[str, int] = {}
    for chunk in _chunks([p["code"] for p in params]):
        ids.update(session.execute(select(table.c.code, table.c.id).where(table.c.code.in_(chunk))).all())
    return [(ids[values["code"]], {"values": values, "sharing": r.sharing or []})
            for values, r in zip(params, rows, strict=False)]


def _update_systems(session: Session, updates: list[dict[str, Any]]) -> None:
    """One executemany per set of changed columns (an import usually changes the same few columns)."""
    table = InformationSystem.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:
        columns = tuple(sorted(k for k in row if k != "id"))
        groups.setdefault(columns, []).append({"_id": row["id"], **{f"_{k}": row[k] for k in columns}})
    for columns, params in groups.items():
        stmt = (update(table).where(table.c.id == bindparam("_id"))
                .values({k: bindparam(f"_{k}") for k in columns}))
        session.execute(stmt, params)
