"""Migration plan use cases: the only code that writes plans, their systems, exceptions and documents.
Each function takes the acting user, applies scope and records the audit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import delete, exists, false, func, or_, select
from sqlmodel import Session

from control.core import attachments, audit, classified, duties, scope, stages, workflow
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.clock import now, today
from control.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from control.core.roles import Role
from control.core.workflow import WorkflowStage
from control.migration import rules, schedule  # schedule: keeps each plan's late_from on every flush
from control.migration.enums import EDITABLE, ExceptionStatus, PlanKind, PlanStatus, SystemState
from control.migration.models import MigrationPlan, PlanDocument, PlanException, PlanNetwork, PlanSystem
from control.migration.schemas import (
    ActionIn,
    ExceptionDecisionIn,
    ExceptionIn,
    PlanIn,
    PlanSummary,
    PlanUpdate,
    SystemActionIn,
    SystemIn,
)
from control.networks import service as network_service
from control.networks.enums import OUTCOMES, NetworkState
from control.networks.models import PrivateNetwork
from control.networks.schemas import ActionIn as NetworkActionIn
from control.systems.models import InformationSystem

P = PlanStatus
DOCUMENT_TYPES = (attachments.PDF, attachments.DOCX, attachments.PNG, attachments.JPEG)
PLAN_FIELDS = ("name", "content", "target", "completion_date", "connect_by", "migrate_by", "leader_name",
               "leader_title", "leader_phone", "office", "liaison_name", "liaison_phone")


# --- reading ------------------------------------------------------------------------------------------

def get_plan(session: Session, actor: Actor, plan_id: int) -> MigrationPlan:
    return scope.get_scoped(session, actor, MigrationPlan, plan_id, "迁移计划")


def plan_systems(session: Session, plan_id: int) -> list[tuple[PlanSystem, InformationSystem]]:
    return list(session.execute(select(PlanSystem, InformationSystem)
                                .join(InformationSystem, InformationSystem.id == PlanSystem.system_id)
                                .where(PlanSystem.plan_id == plan_id).order_by(PlanSystem.id)).all())


def network_ids(session: Session, plan_id: int) -> list[int]:
    return list(session.execute(select(PlanNetwork.network_id).where(PlanNetwork.plan_id == plan_id)
                                .order_by(PlanNetwork.network_id)).scalars())


def plan_networks(session: Session, plan_id: int) -> list[PrivateNetwork]:
    return list(session.execute(select(PrivateNetwork).join(PlanNetwork, PlanNetwork.network_id == PrivateNetwork.id)
                                .where(PlanNetwork.plan_id == plan_id).order_by(PrivateNetwork.name)).scalars())


def _plan_behind(plan: MigrationPlan, planned: list[date | None], day: date) -> int:
    """Days the plan is behind: its completion date passed while it is open, or the worst of its open
    stage's planned date and its unsettled systems' planned dates (passed without an actual date)."""
    dates = [*planned, plan.completion_date if plan.status in rules.OPEN_STATUSES else None]
    return max((stages.behind_days(d, None, day) for d in dates if d is not None), default=0)


def detail(session: Session, plan: MigrationPlan) -> dict:
    """Everything the plan page and GET /migration-plans/{id} show."""
    day = today()
    dept = session.get(Department, plan.department_id)
    systems = plan_systems(session, plan.id)
    exceptions = _latest_exceptions(session, [ps.id for ps, _ in systems])
    rows = [{**ps.model_dump(), "system_name": s.name, "system_code": s.code,
             "days_behind": stages.behind_days(ps.planned_date, None, day) if ps.state in rules.SCHEDULED_STATES
             else 0, "exception": exceptions.get(ps.id)} for ps, s in systems]
    docs = list(session.execute(select(PlanDocument).where(PlanDocument.plan_id == plan.id)
                                .order_by(PlanDocument.version.desc())).scalars())
    history = workflow.history(session, rules.SUBJECT, plan.id)
    current = next((st for st in history if st.active), None)
    planned = [current.planned_date if current else None,
               *(ps.planned_date for ps, _ in systems if ps.state in rules.SCHEDULED_STATES)]
    return {**plan.model_dump(), "department_name": dept.name, "system_count": len(rows), "systems": rows,
            "networks": [{"network_id": n.id, "name": n.name, "state": n.state, "fiscal_funded": n.fiscal_funded,
                          "funding_stop": rules.funding_stops(n.fiscal_funded, n.state in OUTCOMES,
                                                              plan.completion_date, day)}
                         for n in plan_networks(session, plan.id)],
            "days_behind": _plan_behind(plan, planned, day), "documents": docs, "stages": history,
            "stage_name": current.name if current else None, "due_date": current.due_date if current else None,
            "planned_date": current.planned_date if current else None,
            "actions": rules.PROCEDURES[plan.kind].allowed(plan.status)}


def _latest_exceptions(session: Session, plan_system_ids: list[int]) -> dict[int, PlanException]:
    if not plan_system_ids:
        return {}
    found: dict[int, PlanException] = {}
    for exc in session.execute(select(PlanException).where(PlanException.plan_system_id.in_(plan_system_ids))
                               .order_by(PlanException.id)).scalars():
        found[exc.plan_system_id] = exc
    return found


@dataclass
class PlanFilter:
    """The one filter set every list of plans uses: API, pages, CLI, export."""
    department_id: int | None = None    # this department and those under it
    kind: PlanKind | None = None
    status: PlanStatus | None = None    # the stage the plan is at
    schedule: str | None = None         # on_plan | behind_plan
    funding_stop: bool = False          # plans holding a fiscal network whose O&M funding stops
    awaiting_me: bool = False           # plans the actor decides now (never their own)
    live: bool = False                  # leave out cancelled plans (what the progress board counts)
    q: str | None = None
    region: str | None = None           # the plan's own department's region code (scope.NO_REGION: none)
    level: str | None = None            # the plan's own department's level


def funding_stop_condition(day: date):
    """SQL: a live private-network plan past its completion date holding a fiscal network not yet migrated
    (withdrawn, merged or converted)."""
    unmigrated = exists().where(PlanNetwork.plan_id == MigrationPlan.id, PrivateNetwork.id == PlanNetwork.network_id,
                                PrivateNetwork.fiscal_funded.is_(True), PrivateNetwork.state.not_in(OUTCOMES))
    return ((MigrationPlan.kind == PlanKind.private_network) & (MigrationPlan.status != P.cancelled)
            & (MigrationPlan.completion_date < day) & unmigrated)


def _awaiting(actor: Actor) -> list:
    """What the actor decides now, as the duties rule says: a designated reviewer the review levels of their
    department, the Bureau the approvals; never a plan they wrote or submitted."""
    mine = workflow.not_authored_by(rules.SUBJECT, MigrationPlan.id, actor.username)
    if actor.role == Role.department:
        if not actor.reviewer or actor.department_id is None:
            return [false()]
        return [MigrationPlan.status == P.review, MigrationPlan.reviewer_department_id == actor.department_id, mine]
    if actor.role == Role.bureau:
        return [MigrationPlan.status == P.approval, mine]
    return [false()]


def _conditions(session: Session, actor: Actor, f: PlanFilter) -> list:
    where = scope.scope_condition(actor, MigrationPlan.department_id)
    if f.department_id is not None:
        where.append(scope.under_department(session, actor, f.department_id, MigrationPlan.department_id))
    if f.kind:
        where.append(MigrationPlan.kind == f.kind)
    if f.status:
        where.append(MigrationPlan.status == f.status)
    if f.schedule == "behind_plan":
        where.append(schedule.behind(today()))
    elif f.schedule == "on_plan":
        where.append(~schedule.behind(today()))
    elif f.schedule:
        raise ValidationFailed(f"没有名为 {f.schedule} 的进度筛选（on_plan / behind_plan）", code="invalid_schedule")
    if f.funding_stop:
        where.append(funding_stop_condition(today()))
    if f.awaiting_me:
        where += _awaiting(actor)
    if f.live:
        where.append(MigrationPlan.status != P.cancelled)
    where += scope.of_region_level(MigrationPlan.department_id, f.region, f.level)
    if f.q:
        like = f"%{f.q.strip()}%"
        where.append(or_(MigrationPlan.name.like(like), MigrationPlan.number.like(like)))
    return where


def list_plans(session: Session, actor: Actor, f: PlanFilter, limit: int = 50,
               offset: int = 0) -> tuple[list[PlanSummary], int]:
    """Plans by completion date (the nearest first)."""
    where = _conditions(session, actor, f)
    total = session.execute(select(func.count(MigrationPlan.id)).where(*where)).scalar_one()
    rows = session.execute(select(MigrationPlan, Department.name, WorkflowStage)
                           .join(Department, Department.id == MigrationPlan.department_id)
                           .outerjoin(WorkflowStage, workflow.open_stage(rules.SUBJECT, MigrationPlan.id))
                           .where(*where).order_by(MigrationPlan.completion_date, MigrationPlan.id)
                           .limit(limit).offset(offset)).all()
    dates = _system_dates(session, [p.id for p, _, _ in rows])
    day = today()
    items = [PlanSummary(**plan.model_dump(), department_name=dname, stage_name=st.name if st else None,
                         due_date=st.due_date if st else None, planned_date=st.planned_date if st else None,
                         days_behind=_plan_behind(plan, [st.planned_date if st else None, *dates.get(plan.id, [])],
                                                  day))
             for plan, dname, st in rows]
    return items, total


def iter_plans(session: Session, actor: Actor, f: PlanFilter) -> list[tuple[MigrationPlan, Department]]:
    """Every plan the filter selects, with its department (exports)."""
    stmt = (select(MigrationPlan, Department).join(Department, Department.id == MigrationPlan.department_id)
            .where(*_conditions(session, actor, f)).order_by(Department.path, MigrationPlan.kind, MigrationPlan.name))
    return list(session.execute(stmt).all())


def _system_dates(session: Session, plan_ids: list[int]) -> dict[int, list[date]]:
    """The planned dates of each plan's unsettled systems."""
    out: dict[int, list[date]] = {}
    if plan_ids:
        for pid, planned in session.execute(select(PlanSystem.plan_id, PlanSystem.planned_date)
                                            .where(PlanSystem.plan_id.in_(plan_ids),
                                                   PlanSystem.state.in_(rules.SCHEDULED_STATES))).all():
            out.setdefault(pid, []).append(planned)
    return out


# --- writing the plan ---------------------------------------------------------------------------------

def check_systems(session: Session, dept: Department, systems: list[SystemIn], plan_id: int | None = None,
                  field: str = "systems") -> list[tuple[str, str, str]]:
    """(field, zh-CN message, code) for each system a cloud plan may not hold: unknown or deleted, outside
    the department's subtree, classified (保密局's process), listed twice, or already in another open plan."""
    problems = []
    ids = [s.system_id for s in systems]
    found = {s.id: s for s in session.execute(select(InformationSystem).where(InformationSystem.id.in_(ids))).scalars()}
    paths = dict(session.execute(select(Department.id, Department.path)
                                 .where(Department.id.in_({s.department_id for s in found.values()}))).all())
    taken = _in_open_plans(session, ids, plan_id)
    seen: set[int] = set()
    for i, item in enumerate(systems):
        where = f"{field}.{i}.system_id"
        system = found.get(item.system_id)
        if system is None or system.deleted_at is not None:
            problems.append((where, f"信息系统 {item.system_id} 不存在", "not_found"))
        elif system.is_classified:
            problems.append(classified.problem(where))
        elif not paths[system.department_id].startswith(dept.path):
            problems.append((where, f"信息系统“{system.name}”不属于{dept.name}或其下级单位", "other_department"))
        elif item.system_id in seen:
            problems.append((where, f"信息系统“{system.name}”重复列入", "duplicate"))
        elif item.system_id in taken:
            problems.append((where, f"信息系统“{system.name}”已列入迁移计划 {taken[item.system_id]}", "in_other_plan"))
        seen.add(item.system_id)
    return problems


def check_networks(session: Session, dept: Department, ids: list[int], plan_id: int | None = None,
                   field: str = "network_ids") -> list[tuple[str, str, str]]:
    """(field, zh-CN message, code) for each network a plan may not hold: unknown, outside the department's
    subtree, listed twice, or already in another live plan. Classified networks are never registered."""
    problems = []
    found = {n.id: n for n in session.execute(select(PrivateNetwork).where(PrivateNetwork.id.in_(ids))).scalars()}
    paths = dict(session.execute(select(Department.id, Department.path)
                                 .where(Department.id.in_({n.department_id for n in found.values()}))).all())
    stmt = (select(PlanNetwork.network_id, MigrationPlan.number)
            .join(MigrationPlan, MigrationPlan.id == PlanNetwork.plan_id)
            .where(PlanNetwork.network_id.in_(ids), MigrationPlan.status != P.cancelled))
    taken = dict(session.execute(stmt if plan_id is None else stmt.where(MigrationPlan.id != plan_id)).all())
    seen: set[int] = set()
    for i, nid in enumerate(ids):
        where, network = f"{field}.{i}", found.get(nid)
        if network is None:
            problems.append((where, f"业务专网 {nid} 不存在", "not_found"))
        elif not paths[network.department_id].startswith(dept.path):
            problems.append((where, f"业务专网“{network.name}”不属于{dept.name}或其下级单位", "other_department"))
        elif nid in seen:
            problems.append((where, f"业务专网“{network.name}”重复列入", "duplicate"))
        elif nid in taken:
            problems.append((where, f"业务专网“{network.name}”已列入迁移计划 {taken[nid]}", "in_other_plan"))
        seen.add(nid)
    return problems


def _in_open_plans(session: Session, system_ids: list[int], plan_id: int | None) -> dict[int, str]:
    stmt = (select(PlanSystem.system_id, MigrationPlan.number)
            .join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id)
            .where(PlanSystem.system_id.in_(system_ids), MigrationPlan.status != P.cancelled))
    if plan_id is not None:
        stmt = stmt.where(MigrationPlan.id != plan_id)
    return dict(session.execute(stmt).all())


def _refuse(problems: list[tuple[str, str, str]]) -> None:
    if problems:
        refused = [p for p in problems if p[2] == classified.CODE]
        first = refused[0] if refused else problems[0]
        raise ValidationFailed(first[1], code=first[2],
                               errors=[{"field": f, "message": m, "code": c} for f, m, c in problems])


def snapshot(session: Session, plan: MigrationPlan) -> dict:
    """The plan as the audit log records it, with its scope."""
    return {**audit.snapshot(plan, {"created_at", "updated_at"}), "network_ids": network_ids(session, plan.id),
            "systems": [{"system_id": ps.system_id, "target_date": ps.target_date.isoformat()}
                        for ps, _ in plan_systems(session, plan.id)]}


def _set_scope(session: Session, plan: MigrationPlan, networks: list[int] | None,
               systems: list[SystemIn] | None) -> None:
    """Replace the networks and systems in scope; a system already in the plan keeps its state and dates."""
    if networks is not None:
        old = {n.network_id: n
               for n in session.execute(select(PlanNetwork).where(PlanNetwork.plan_id == plan.id)).scalars()}
        for nid, row in old.items():
            if nid not in networks:
                session.delete(row)
        session.add_all(PlanNetwork(plan_id=plan.id, network_id=nid)
                        for nid in dict.fromkeys(networks) if nid not in old)
    if systems is not None:
        old = {ps.system_id: ps for ps, _ in plan_systems(session, plan.id)}
        wanted = {s.system_id: s.target_date for s in systems}
        for sid, row in old.items():
            if sid not in wanted:
                session.delete(row)
        for sid, target in wanted.items():
            row = old.get(sid)
            if row is None:
                session.add(PlanSystem(plan_id=plan.id, system_id=sid, target_date=target, planned_date=target))
            elif row.target_date != target:
                row.planned_date = target if row.planned_date == row.target_date else row.planned_date
                row.target_date = target
                session.add(row)
    session.flush()


def create_plan(session: Session, actor: Actor, data: PlanIn, *, commit: bool = True) -> MigrationPlan:
    """A new draft plan of the actor's department (or one under it)."""
    actor.require(*rules.WRITE_ROLES)
    dept = scope.visible_department(session, actor, data.department_id, field="department_id")
    _refuse(check_systems(session, dept, data.systems) + check_networks(session, dept, data.network_ids)
            + kind_problems(data.kind, data.model_dump(), data.network_ids, data.systems))
    _check_name(session, data.department_id, data.kind, data.name, None)
    plan = MigrationPlan(**data.model_dump(include={"kind", "department_id", *PLAN_FIELDS}), number="pending",
                         created_by=actor.username)
    session.add(plan)
    session.flush()
    plan.number = f"YZMP-{today().year}-{plan.id:06d}"
    _set_scope(session, plan, data.network_ids, data.systems)
    workflow.add_authors(session, rules.SUBJECT, plan.id, actor.username)
    audit.record(session, actor, "create", "migration_plan", plan.id, after=snapshot(session, plan), label=plan.number)
    if commit:
        session.commit()
    return plan


def kind_problems(kind: PlanKind, values: dict, networks: list, systems: list) -> list[tuple[str, str, str]]:
    """What a plan of this kind must or must not hold, and its dates in order (`values`: the plan's fields)."""
    problems = rules.plan_errors(kind, values.get("target"), len(networks), len(systems))
    if kind == PlanKind.cloud:
        problems += [(f, "上云计划不填写计划联通、迁移日期（各系统填写计划迁移日期）", "not_applicable")
                     for f in ("connect_by", "migrate_by") if values.get(f)]
    return problems + rules.date_order_errors(values.get("connect_by"), values.get("migrate_by"),
                                              values["completion_date"])


def _check_name(session: Session, department_id: int, kind: PlanKind, name: str, plan_id: int | None) -> None:
    stmt = select(MigrationPlan.number).where(MigrationPlan.department_id == department_id,
                                              MigrationPlan.kind == kind, MigrationPlan.name == name)
    if plan_id is not None:
        stmt = stmt.where(MigrationPlan.id != plan_id)
    other = session.execute(stmt).scalars().first()
    if other:
        raise Conflict(f"本部门已有同名的{kind.zh}（{other}），计划名称须唯一", code="duplicate_name")


def editable_plan(session: Session, actor: Actor, plan_id: int) -> MigrationPlan:
    """The plan, if this user may edit it now: a department user only their own department's, 409 unless a
    draft or returned."""
    actor.require(*rules.WRITE_ROLES)
    plan = get_plan(session, actor, plan_id)
    if actor.role == Role.department and actor.department_id != plan.department_id:
        raise Forbidden(f"只有计划所属部门（{session.get(Department, plan.department_id).name}）可以修改本计划")
    if plan.status not in EDITABLE:
        raise Conflict(f"计划为“{plan.status.zh}”，只有草稿或退回修改的计划可以编辑", code="not_editable")
    return plan


def update_plan(session: Session, actor: Actor, plan_id: int, data: PlanUpdate, *,
                commit: bool = True) -> MigrationPlan:
    plan = editable_plan(session, actor, plan_id)
    changes = data.model_dump(exclude_unset=True)
    networks, systems = changes.pop("network_ids", None), data.systems if "systems" in changes else None
    changes.pop("systems", None)
    dept = session.get(Department, plan.department_id)
    if systems is not None:
        _refuse(check_systems(session, dept, systems, plan.id) + _kept_exceptions(session, plan, systems))
    if networks is not None:
        _refuse(check_networks(session, dept, networks, plan.id))
    merged = {**plan.model_dump(include=set(PLAN_FIELDS)), **changes}
    _refuse(kind_problems(plan.kind, merged, networks if networks is not None else network_ids(session, plan.id),
                          systems if systems is not None else plan_systems(session, plan.id)))
    if "name" in changes:
        _check_name(session, plan.department_id, plan.kind, changes["name"], plan.id)
    before = snapshot(session, plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    _set_scope(session, plan, networks, systems)
    after = snapshot(session, plan)
    if after != before:
        plan.updated_at = now()
        session.add(plan)
        audit.record(session, actor, "update", "migration_plan", plan.id, before=before, after=after, label=plan.number)
    if commit:
        session.commit()
    return plan


def _kept_exceptions(session: Session, plan: MigrationPlan, systems: list[SystemIn]) -> list[tuple[str, str, str]]:
    """A system with an exception request on record stays in the plan: the request and its decision are
    part of the plan's history."""
    kept = {s.system_id for s in systems}
    stmt = (select(InformationSystem.name).join(PlanSystem, PlanSystem.system_id == InformationSystem.id)
            .join(PlanException, PlanException.plan_system_id == PlanSystem.id)
            .where(PlanSystem.plan_id == plan.id, PlanSystem.system_id.not_in(kept)))
    return [("systems", f"信息系统“{name}”已申请自行部署例外，不能移出计划", "has_exception")
            for name in dict.fromkeys(session.execute(stmt).scalars())]


# --- the plan's procedure -----------------------------------------------------------------------------

def check_actor(session: Session, actor: Actor, plan: MigrationPlan, action: str) -> None:
    """403 with the reason when this user may not take this step (control/core/duties.py decides): the
    plan's department submits and withdraws it; a review level is signed by its department's designated
    reviewer and the approval by the Bureau, never by anyone who wrote or submitted the plan; the technical
    steps are ticked off by the plan's department or the Information Center."""
    if action in rules.AUTHOR_ACTIONS:
        duties.check(actor, duties.Step(name=rules.ACTION_LABELS[action], roles=rules.SUBMIT_ROLES))
        if actor.department_id != plan.department_id:
            raise Forbidden("只有计划所属部门可以提交或撤销本计划")
        return
    if plan.status == P.review:
        level = plan.review_plan[plan.review_index]
        dept = session.get(Department, level["department_id"])
        step = duties.Step.review_level(level["name"], dept.id, dept.name)
    else:
        step = duties.Step(name=f"{plan.status.zh}：{rules.ACTION_LABELS[action]}",
                           roles=rules.STAGE_ROLES.get(plan.status, ()))
    if action in rules.TECHNICAL_STEPS:
        duties.check(actor, step)
        if actor.role == Role.department and actor.department_id != plan.department_id:
            raise Forbidden("技术环节由计划所属部门或信息中心确认")
        return
    workflow.check_decision(session, actor, step, rules.SUBJECT, plan.id)


def act(session: Session, actor: Actor, proc: workflow.Procedure, plan_id: int, action: str,
        body: ActionIn) -> MigrationPlan:
    """One step of the plan's procedure. Unknown action 404; illegal now 409 with the reason; wrong person
    403. Every step closes the open stage (with its actual date) and opens the next on the stage engine."""
    if action not in rules.ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作")
    plan = get_plan(session, actor, plan_id)
    reason = rules.transition_error(plan.kind, plan.status, action)
    if reason:
        raise Conflict(reason, code="illegal_transition")
    check_actor(session, actor, plan, action)
    if action == "return" and not body.comment.strip():
        raise ValidationFailed("退回必须说明理由", code="comment_required",
                               errors=[{"field": "comment", "message": "请填写理由", "code": "required"}])
    old, current = plan.status, workflow.active(session, rules.SUBJECT, plan.id)
    extra: dict = {}
    if action == "submit":
        _submit(session, proc, plan, actor)
    elif action in ("cancel", "return"):
        workflow.finish(proc, current, "cancelled" if action == "cancel" else "returned", actor.username, body.comment)
        plan.status, plan.reviewer_department_id = rules.next_status(plan.kind, old, action), None
    elif action == "approve":
        workflow.finish(proc, current, "approved", actor.username, body.comment)
        if old == P.review:
            plan.review_index += 1
            _enter_review_or_approval(session, proc, plan)
        else:
            _enter_stage(session, proc, plan, rules.next_status(plan.kind, old, action))
    else:
        extra = _technical_step(session, proc, plan, current, action, body, actor)
    plan.updated_at = now()
    session.add(plan)
    audit.record(session, actor, action, "migration_plan", plan.id,
                 changes={"status": [old.value, plan.status.value], "comment": body.comment, **extra},
                 label=plan.number)
    session.commit()
    return plan


def _submit(session: Session, proc: workflow.Procedure, plan: MigrationPlan, actor: Actor) -> None:
    """The self-check (自查) is done: its stage is recorded, and the plan enters its department chain's
    review levels (fixed now from policy) or, with none, the Bureau's approval."""
    _check_ready(session, plan)
    plan.submitted_by = actor.username
    workflow.add_authors(session, rules.SUBJECT, plan.id, plan.created_by, actor.username)
    if plan.status == P.draft:
        workflow.finish(proc, workflow.start(session, proc, plan.id, "self_check", "自查"), "submitted",
                        actor.username, None)
    dept = session.get(Department, plan.department_id)
    plan.review_plan = stages.review_plan(proc.policy.review_levels, dept.id, dept.parent_id)
    plan.review_index = 0
    _enter_review_or_approval(session, proc, plan)


def _enter_review_or_approval(session: Session, proc: workflow.Procedure, plan: MigrationPlan) -> None:
    """Open review level plan.review_index, or the Bureau's approval when the levels are exhausted."""
    if plan.review_index < len(plan.review_plan):
        level = plan.review_plan[plan.review_index]
        plan.status, plan.reviewer_department_id = P.review, level["department_id"]
        workflow.start(session, proc, plan.id, stages.review_stage(level["key"]), level["name"],
                       working_days=level["working_days"])
    else:
        plan.reviewer_department_id = None
        _enter_stage(session, proc, plan, P.approval)


def _enter_stage(session: Session, proc: workflow.Procedure, plan: MigrationPlan, status: PlanStatus) -> None:
    """Move to `status` and open its policy stage (approval: working days; the technical stages: the plan's
    planned date). Completed opens nothing."""
    plan.status = status
    if status == P.completed:
        return
    planned = rules.stage_planned_date(status, plan.connect_by, plan.migrate_by, plan.completion_date)
    workflow.start_policy_stage(session, proc, plan.id, status.value, planned_date=planned)


def _technical_step(session: Session, proc: workflow.Procedure, plan: MigrationPlan, current,
                    action: str, body: ActionIn, actor: Actor) -> dict:
    """Tick off connect / migrate / withdraw / the cloud migration with a note and evidence on its actual
    date, once the networks or systems it covers are there."""
    problems = []
    if not body.evidence.strip():
        problems.append(("evidence", "请填写完成该环节的佐证（如联通测试记录、迁移验收单、撤销文件）", "required"))
    day = body.on or today()
    if day > today():
        problems.append(("on", "实际日期不能晚于今天", "future_date"))
    elif current is not None and day < current.start_date:
        problems.append(("on", f"实际日期不能早于本环节开始日期（{current.start_date}）", "date_order"))
    _refuse(problems)
    if action in NETWORK_MOVES:
        _move_networks(session, actor, plan, action, day, body)
    waiting = _not_there(session, plan, action)
    if waiting:
        raise Conflict(f"尚未满足“{rules.ACTION_LABELS[action]}”的条件：{'；'.join(waiting[:10])}", code="not_ready")
    note = body.comment + ("\n" if body.comment else "") + f"佐证：{body.evidence}"
    workflow.finish(proc, current, "done", actor.username, note, done_date=day)
    _enter_stage(session, proc, plan, rules.next_status(plan.kind, plan.status, action))
    return {"evidence": body.evidence, "on": day.isoformat()}


# The plan's connect and migrate steps move its networks not yet there, through the networks' own service in
# this transaction; withdraw / merge / convert is each network's own outcome, recorded on the network.
NETWORK_MOVES = {"connect": (NetworkState.in_use,), "migrate": (NetworkState.connected,)}


def _move_networks(session: Session, actor: Actor, plan: MigrationPlan, action: str, day: date,
                   body: ActionIn) -> None:
    for network in plan_networks(session, plan.id):
        if network.state in NETWORK_MOVES[action]:
            network_service.act(session, actor, network.id, action,
                                NetworkActionIn(on=day, note=f"{plan.number}：{body.evidence}"[:2000]), commit=False)


def _not_there(session: Session, plan: MigrationPlan, action: str) -> list[str]:
    """What keeps a technical step from being ticked off: each network must have reached the step in the
    private-network records (联通, 迁移, 撤/并/改 with their dates), each system be migrated or excepted."""
    if action == "complete":
        return [f"系统“{s.name}”为{ps.state.zh}" for ps, s in plan_systems(session, plan.id)
                if ps.state not in rules.SETTLED_STATES]
    reached = {"connect": lambda st: st != NetworkState.in_use,
               "migrate": lambda st: st == NetworkState.migrating or st in OUTCOMES,
               "withdraw": lambda st: st in OUTCOMES}[action]
    return [f"业务专网“{n.name}”为{n.state.zh}" for n in plan_networks(session, plan.id) if not reached(n.state)]


def _check_ready(session: Session, plan: MigrationPlan) -> None:
    """A plan is submitted with its scope: at least one network or system."""
    if plan.kind == PlanKind.cloud and not plan_systems(session, plan.id):
        raise ValidationFailed("上云计划至少列入一个信息系统", code="no_systems")
    if plan.kind == PlanKind.private_network and not network_ids(session, plan.id):
        raise ValidationFailed("专网迁移计划至少列入一个业务专网", code="no_networks")


# --- systems and networks that turn classified ---------------------------------------------------------

def leave_classified_systems(session: Session, actor: Actor, system_ids: list[int]) -> None:
    """Systems just marked classified in the inventory leave every plan they are in, with their exception
    requests. The inventory is the source of truth and a classified system belongs to the Confidential
    Bureau's process: refusing the marking would keep a wrong inventory to keep a plan, so the plan gives
    way, and its history (one audit entry per system, ids only) says why. In the caller's transaction."""
    if not system_ids:
        return
    rows = session.execute(select(PlanSystem, MigrationPlan.number)
                           .join(MigrationPlan, MigrationPlan.id == PlanSystem.plan_id)
                           .where(PlanSystem.system_id.in_(system_ids))
                           .order_by(PlanSystem.plan_id, PlanSystem.system_id)).all()
    if not rows:
        return
    session.execute(delete(PlanException).where(PlanException.plan_system_id.in_([ps.id for ps, _ in rows])))
    for ps, _ in rows:
        session.delete(ps)
    audit.record_many(session, actor, [("update", "migration_plan", ps.plan_id, None, None, number,
                                        {"system_id": [ps.system_id, None], "reason": classified.LEFT})
                                       for ps, number in rows])


def forget_network(session: Session, actor: Actor, network_id: int) -> None:
    """A network marked classified leaves every plan it is in (the networks' remove_classified deletes it
    next), each plan's history saying why with the network's id only. In the caller's transaction."""
    rows = session.execute(select(PlanNetwork, MigrationPlan.number)
                           .join(MigrationPlan, MigrationPlan.id == PlanNetwork.plan_id)
                           .where(PlanNetwork.network_id == network_id).order_by(PlanNetwork.plan_id)).all()
    if not rows:
        return
    for pn, _ in rows:
        session.delete(pn)
    session.flush()
    audit.record_many(session, actor, [("update", "migration_plan", pn.plan_id, None, None, number,
                                        {"network_id": [network_id, None], "reason": classified.LEFT})
                                       for pn, number in rows])


# --- the systems of a cloud plan ----------------------------------------------------------------------

def _plan_system(session: Session, actor: Actor, plan_id: int, system_id: int) -> tuple[MigrationPlan, PlanSystem]:
    plan = get_plan(session, actor, plan_id)
    row = session.execute(select(PlanSystem).where(PlanSystem.plan_id == plan.id,
                                                   PlanSystem.system_id == system_id)).scalars().first()
    if row is None:
        raise NotFound(f"信息系统 {system_id} 不在计划 {plan.number} 中")
    return plan, row


def system_action(session: Session, actor: Actor, plan_id: int, system_id: int, action: str,
                  body: SystemActionIn) -> MigrationPlan:
    """Start, finish or pause one system's migration (a person ticks the step off with a note)."""
    if action not in rules.SYSTEM_ACTION_LABELS:
        raise NotFound(f"没有名为 {action} 的操作")
    plan, row = _plan_system(session, actor, plan_id, system_id)
    duties.check(actor, duties.Step(name=rules.SYSTEM_ACTION_LABELS[action], roles=rules.SYSTEM_ROLES))
    if plan.status != P.migration:
        raise Conflict(f"计划为“{plan.status.zh}”，大数据局批准后才能登记系统迁移进度", code="plan_not_approved")
    reason = rules.system_transition_error(row.state, action)
    if reason:
        raise Conflict(reason, code="illegal_transition")
    day = body.on or today()
    if day > today():
        raise ValidationFailed("实际日期不能晚于今天", code="future_date",
                               errors=[{"field": "on", "message": "实际日期不能晚于今天", "code": "future_date"}])
    before = audit.snapshot(row)
    row.state = rules.SYSTEM_TRANSITIONS[(row.state, action)]
    if action == "start":
        row.started_date = day
    elif action == "finish":
        row.migrated_date = day
    row.note = body.note or row.note
    session.add(row)
    audit.record(session, actor, f"{action}_migration", "migration_plan_system", row.id, before=before,
                 after=audit.snapshot(row),
                 label=f"{plan.number} / {session.get(InformationSystem, row.system_id).name}")
    session.commit()
    return plan


def request_exception(session: Session, actor: Actor, plan_id: int, system_id: int, data: ExceptionIn) -> MigrationPlan:
    """A department asks that one system of its plan stay in-house; the Bureau decides."""
    actor.require(*rules.SUBMIT_ROLES)
    plan, row = _plan_system(session, actor, plan_id, system_id)
    if actor.department_id != plan.department_id:
        raise Forbidden("只有计划所属部门可以申请例外")
    if plan.status == P.cancelled or plan.status == P.completed:
        raise Conflict(f"计划为“{plan.status.zh}”，不能申请例外", code="plan_closed")
    if row.state not in (SystemState.pending, SystemState.migrating):
        raise Conflict(f"系统迁移状态为“{row.state.zh}”，不能申请例外", code="illegal_transition")
    if session.execute(select(PlanException.id).where(PlanException.plan_system_id == row.id,
                                                      PlanException.status == ExceptionStatus.requested)).first():
        raise Conflict("该系统已有待审批的例外申请", code="exception_pending")
    exc = PlanException(plan_system_id=row.id, reason=data.reason, justification=data.justification,
                        requested_by=actor.username)
    session.add(exc)
    session.flush()
    audit.record(session, actor, "request_exception", "migration_exception", exc.id,
                 after=audit.snapshot(exc, {"requested_at"}), label=plan.number)
    session.commit()
    return plan


def decide_exception(session: Session, actor: Actor, plan_id: int, system_id: int,
                     data: ExceptionDecisionIn) -> MigrationPlan:
    """The Bureau approves (with the interfaces to open and a later target date) or rejects; never the
    department user who asked or who wrote the plan."""
    plan, row = _plan_system(session, actor, plan_id, system_id)
    exc = session.execute(select(PlanException).where(
        PlanException.plan_system_id == row.id, PlanException.status == ExceptionStatus.requested)).scalars().first()
    if exc is None:
        raise Conflict("该系统没有待审批的例外申请", code="no_exception")
    duties.check(actor, duties.Step(name="审批自行部署例外", roles=(Role.bureau,)),
                 {exc.requested_by, *workflow.authors(session, rules.SUBJECT, plan.id)})
    if data.approve:
        problems = []
        if not data.interfaces:
            problems.append(("interfaces", "批准例外须登记该系统须开放的数据共享接口及佐证", "required"))
        if data.later_target_date is None or data.later_target_date <= row.target_date:
            problems.append(("later_target_date",
                             f"批准例外须给出晚于原计划日期（{row.target_date}）的逐步迁移完成日期", "required"))
        _refuse(problems)
    elif not data.comment.strip():
        raise ValidationFailed("不批准须说明理由", code="comment_required",
                               errors=[{"field": "comment", "message": "请填写理由", "code": "required"}])
    before = audit.snapshot(exc, {"requested_at"})
    exc.status = ExceptionStatus.approved if data.approve else ExceptionStatus.rejected
    exc.decided_by, exc.decided_at, exc.decision_comment = actor.username, now(), data.comment
    if data.approve:
        exc.interfaces = [i.model_dump() for i in data.interfaces]
        exc.later_target_date = data.later_target_date
        row.state, row.planned_date = SystemState.exception, data.later_target_date
        session.add(row)
    session.add(exc)
    audit.record(session, actor, "approve_exception" if data.approve else "reject_exception", "migration_exception",
                 exc.id, before=before, after=audit.snapshot(exc, {"requested_at", "decided_at"}), label=plan.number)
    session.commit()
    return plan


# --- the technical plan document ----------------------------------------------------------------------

def add_document(session: Session, actor: Actor, plan_id: int, filename: str, content_type: str,
                 stream: BinaryIO, max_bytes: int) -> PlanDocument:
    """A new version of the technical plan (PDF, DOCX or an image), read by core.attachments."""
    plan = get_plan(session, actor, plan_id)
    if actor.role != Role.department or actor.department_id != plan.department_id:
        raise Forbidden("技术方案由计划所属部门上传")
    upload = attachments.read(stream, filename, content_type, max_bytes, allowed=DOCUMENT_TYPES, what="技术方案",
                              default_name="document")
    version = (session.execute(select(func.max(PlanDocument.version)).where(PlanDocument.plan_id == plan.id))
               .scalar_one() or 0) + 1
    doc = PlanDocument(plan_id=plan.id, version=version, **upload.columns(), uploaded_by=actor.username)
    session.add(doc)
    session.flush()
    audit.record(session, actor, "attach", "migration_plan", plan.id,
                 changes={"document": [None, {"version": version, "filename": doc.filename, "sha256": doc.sha256}]},
                 label=plan.number)
    session.commit()
    return doc


def get_document(session: Session, actor: Actor, plan_id: int, document_id: int) -> PlanDocument:
    plan = get_plan(session, actor, plan_id)
    doc = session.get(PlanDocument, document_id)
    if doc is None or doc.plan_id != plan.id:
        raise NotFound("技术方案文件不存在")
    return doc

