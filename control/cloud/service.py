"""Cloud resource request use cases: the only code that writes requests, stages, deliveries,
capacity pools and quotas. Each function takes the acting user, applies scope and records the audit."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import BigInteger, cast, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from control.cloud import rules
from control.cloud.enums import HOLDING_STATUSES, LineKind, ReclaimReason, RequestStatus, SlaState, Zone
from control.cloud.models import (
    Attachment,
    CapacityPool,
    CloudRequest,
    DeliveredItem,
    DepartmentQuota,
    ResourceLine,
)
from control.cloud.schemas import (
    ActionIn,
    CapacityIn,
    LineIn,
    QuotaIn,
    RequestIn,
    RequestSummary,
    RequestUpdate,
    check_order,
)
from control.core import attachments, audit, classified, duties, scope, stages, workflow
from control.core.accounts import Department
from control.core.auth import Actor
from control.core.calendar import WorkingCalendar
from control.core.clock import now, today
from control.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from control.core.policy import Policy
from control.core.roles import Role
from control.systems.models import InformationSystem

S = RequestStatus
Stage = workflow.WorkflowStage
SUBJECT = "cloud_request"      # what the stage engine (control/core/workflow.py) calls a request
ATTACHMENT_TYPES = (attachments.PDF, attachments.PNG, attachments.JPEG)
CAPACITY_ADMINS = (Role.infocenter, Role.admin)


@dataclass
class Context:
    """What every workflow step needs besides the database: the calendar and the policy."""
    calendar: WorkingCalendar
    policy: Policy

    @property
    def proc(self) -> workflow.Procedure:
        return workflow.Procedure(subject=SUBJECT, calendar=self.calendar, policy=self.policy.cloud_requests)


# --- reading ------------------------------------------------------------------------------------------

def get_request(session: Session, actor: Actor, request_id: int) -> CloudRequest:
    return scope.get_scoped(session, actor, CloudRequest, request_id, "云资源申请")


def active_stage(session: Session, request_id: int) -> workflow.WorkflowStage | None:
    return workflow.active(session, SUBJECT, request_id)


def lines_of(session: Session, request_id: int) -> list[ResourceLine]:
    return list(session.execute(select(ResourceLine).where(ResourceLine.request_id == request_id)
                                .order_by(ResourceLine.id)).scalars())


def detail(session: Session, req: CloudRequest, ctx: Context) -> dict:
    """Everything the request page and GET /cloud-requests/{id} show."""
    dept = session.get(Department, req.department_id)
    system = session.get(InformationSystem, req.system_id) if req.system_id else None
    history = workflow.history(session, SUBJECT, req.id)
    stage_rows = [{**s.model_dump(), "working_days_left": workflow.working_days_left(ctx.proc, s)} for s in history]
    current = next((s for s in history if s.active), None)
    reviewer = session.get(Department, req.reviewer_department_id) if req.reviewer_department_id else None
    lines = lines_of(session, req.id)
    return {**req.model_dump(), "department_name": dept.name,
            "next_actor": rules.next_actor(req.status, (dept.id, dept.name),
                                           (reviewer.id, reviewer.name) if reviewer else None,
                                           current.due_date if current else None),
            "system_name": system.name if system else req.new_system_name,
            "stage": current.stage if current else None, "stage_name": current.name if current else None,
            "due_date": current.due_date if current else None,
            "sla_state": current.sla_state if current else None,
            "sla_working_days": current.sla_working_days if current else 0,
            "lines": lines, "stages": stage_rows,
            "shortfalls": shortfall_warnings(session, req, lines) if req.status in WARN_STATUSES else [],
            "delivered": list(session.execute(select(DeliveredItem).where(DeliveredItem.request_id == req.id)
                                              .order_by(DeliveredItem.id)).scalars()),
            "attachments": list(session.execute(select(Attachment).where(Attachment.request_id == req.id)
                                                .order_by(Attachment.id)).scalars())}


# Before assessment reserves capacity, every reader of the request is warned of what it would overdraw.
WARN_STATUSES = (S.draft, S.returned, S.review, S.acceptance, S.assessment)


def shortfall_warnings(session: Session, req: CloudRequest, lines: list[ResourceLine]) -> list[str]:
    """What approving these lines would overdraw, in zh-CN: the zone's registered capacity and the
    department's quota, beside what the requests holding resources already take. A warning at review and
    acceptance; at assessment the same reasons refuse the request."""
    need = sum((rules.line_amount(**line.model_dump()) for line in lines if line.count), rules.Amount())
    pool = session.get(CapacityPool, req.zone)
    problems = []
    if pool is None:
        problems.append(f"{req.zone.zh}尚未登记可分配容量")
    else:
        problems += [f"{req.zone.zh}{p}" for p in rules.shortfalls(
            need, _used(session, zone=req.zone, exclude=req.id), pool.model_dump())]
    quota = session.get(DepartmentQuota, req.department_id)
    if quota is not None:
        problems += [f"部门配额{p}" for p in rules.shortfalls(
            need, _used(session, department_id=req.department_id, exclude=req.id), quota.model_dump())]
    return problems


@dataclass
class RequestFilter:
    status: str | None = None
    department_id: int | None = None
    queue: str | None = None          # review | acceptance | assessment | delivery
    sla_state: str | None = None
    overdue: bool | None = None
    awaiting_me: bool = False         # steps the actor may take now (a designated reviewer: their reviews)
    mine: bool = False                # requests the actor created or submitted
    q: str | None = None
    sort: str = "due"                 # due | -created | number


def _not_authored_by(actor: Actor) -> list:
    """The creator and every submitter, the latest and the earlier ones, never decide their own request
    (control/core/duties.py)."""
    return [CloudRequest.created_by != actor.username,
            or_(CloudRequest.submitted_by.is_(None), CloudRequest.submitted_by != actor.username),
            workflow.not_authored_by(SUBJECT, CloudRequest.id, actor.username)]


def _awaiting(actor: Actor) -> list:
    """What the actor may decide now, as the duties rule says: a designated department reviewer the review
    levels of their department, the Bureau acceptance, the Information Center assessment and delivery;
    never a request they filed."""
    if actor.role == Role.department:
        if not actor.reviewer or actor.department_id is None:
            return [false()]
        return [CloudRequest.status == S.review, CloudRequest.reviewer_department_id == actor.department_id,
                *_not_authored_by(actor)]
    statuses = rules.DECIDES.get(actor.role, ())
    return [CloudRequest.status.in_(statuses), *_not_authored_by(actor)] if statuses else [false()]


def _request_conditions(session: Session, actor: Actor, f: RequestFilter) -> tuple[list, bool, bool]:
    """WHERE clauses of a request list, and whether they need the system and the request row (a queue
    filtered on its stage alone is counted from the stage index only)."""
    where, need_system = scope.scope_condition(actor, CloudRequest.department_id), False
    if f.department_id is not None:
        where.append(scope.under_department(session, actor, f.department_id, CloudRequest.department_id))
    need_request = bool(where)
    if f.status:
        where.append(CloudRequest.status == f.status)
    if f.queue:
        if f.queue not in STAGE_KINDS:
            raise ValidationFailed(f"没有名为 {f.queue} 的队列", code="invalid_queue")
        # Driven by the active stage, so the (active, subject, stage, due_date) index gives the order.
        where.append(workflow.of_kind(f.queue))
        if f.queue == "review" and actor.role == Role.department:
            where += _awaiting(actor)     # a department's review queue: only what this user may sign
    if f.awaiting_me:
        where += _awaiting(actor)
    if f.mine:
        where.append(or_(CloudRequest.created_by == actor.username, CloudRequest.submitted_by == actor.username,
                         workflow.authored_by(SUBJECT, CloudRequest.id, actor.username)))
    if f.sla_state:
        where.append(Stage.sla_state == f.sla_state)
    if f.overdue is not None:
        where.append((Stage.sla_state == SlaState.overdue) if f.overdue
                     else or_(Stage.sla_state.is_(None), Stage.sla_state != SlaState.overdue))
    if f.q:
        like = f"%{f.q.strip()}%"
        where.append(or_(CloudRequest.number.like(like), CloudRequest.purpose.like(like),
                         CloudRequest.new_system_name.like(like), InformationSystem.name.like(like)))
        need_system = True
    stage_only = bool(f.queue) and not (need_request or need_system or f.status or f.awaiting_me or f.mine)
    return where, need_system, stage_only


def list_requests(session: Session, actor: Actor, f: RequestFilter, limit: int = 50,
                  offset: int = 0) -> tuple[list[RequestSummary], int]:
    where, need_system, stage_only = _request_conditions(session, actor, f)
    stage_join = workflow.open_stage(SUBJECT, CloudRequest.id)
    if stage_only:
        count = select(func.count()).select_from(Stage).where(Stage.active, Stage.subject == SUBJECT)
    else:
        count = select(func.count(CloudRequest.id)).select_from(CloudRequest).outerjoin(Stage, stage_join)
    if need_system:
        count = count.outerjoin(InformationSystem, InformationSystem.id == CloudRequest.system_id)
    total = session.execute(count.where(*where)).scalar_one()
    # Nearest deadline first; nothing due (no open stage, no deadline, calendar year unknown) last.
    order = {"due": (Stage.due_date.asc().nulls_last(), CloudRequest.id),
             "-created": (CloudRequest.created_at.desc(), CloudRequest.id.desc()),
             "number": (CloudRequest.number,)}.get(f.sort)
    if order is None:
        raise ValidationFailed(f"不能按“{f.sort}”排序", code="invalid_sort")
    reviewer = aliased(Department)
    stmt = (select(CloudRequest, Department.name, Stage, InformationSystem.name, reviewer.name)
            .select_from(CloudRequest).outerjoin(Stage, stage_join)
            .join(Department, Department.id == CloudRequest.department_id)
            .outerjoin(InformationSystem, InformationSystem.id == CloudRequest.system_id)
            .outerjoin(reviewer, reviewer.id == CloudRequest.reviewer_department_id))
    rows = session.execute(stmt.where(*where).order_by(*order).limit(limit).offset(offset)).all()
    items = [RequestSummary(id=r.id, number=r.number, department_id=r.department_id, department_name=dname,
                            system_name=sname or r.new_system_name, zone=r.zone, status=r.status,
                            stage=st.stage if st else None, stage_name=st.name if st else None,
                            due_date=st.due_date if st else None, sla_state=st.sla_state if st else None,
                            sla_working_days=st.sla_working_days if st else 0, created_at=r.created_at,
                            updated_at=r.updated_at,
                            next_actor=rules.next_actor(r.status, (r.department_id, dname),
                                                        (r.reviewer_department_id, rname) if rname else None,
                                                        st.due_date if st else None))
             for r, dname, st, sname, rname in rows]
    return items, total


# --- writing the request ----------------------------------------------------------------------------

def _check_system(session: Session, actor: Actor, department: Department, system_id: int | None) -> None:
    if system_id is None:
        return
    system = session.get(InformationSystem, system_id)
    if system is None or system.deleted_at is not None:
        raise ValidationFailed("所选信息系统不存在", errors=[{"field": "system_id", "message": "系统不存在",
                                                              "code": "not_found"}])
    owner = session.get(Department, system.department_id)
    if not owner.path.startswith(department.path):
        raise Forbidden(f"信息系统“{system.name}”不属于{department.name}")
    if system.is_classified:
        classified.refuse("system_id")


def _replace_lines(session: Session, request_id: int, lines: list[LineIn]) -> None:
    for old in lines_of(session, request_id):
        session.delete(old)
    session.flush()
    session.add_all(ResourceLine(request_id=request_id, **line.model_dump()) for line in lines)


def _lines_snapshot(lines) -> list[dict]:
    return [audit.jsonable(line.model_dump(exclude={"id", "request_id"})) for line in lines]


def create_request(session: Session, actor: Actor, data: RequestIn, *, submit_with: Context | None = None
                   ) -> CloudRequest:
    """A new draft; given a Context, also submitted, in the same transaction: a failed submit saves nothing,
    so a retry cannot leave a duplicate draft behind."""
    actor.require(Role.department)
    dept = scope.visible_department(session, actor, data.department_id, field="department_id")
    _check_system(session, actor, dept, data.system_id)
    req = CloudRequest(**data.model_dump(exclude={"lines"}), number="pending", created_by=actor.username)
    session.add(req)
    session.flush()
    req.number = f"YZCR-{today().year}-{req.id:06d}"
    workflow.add_authors(session, SUBJECT, req.id, actor.username)
    _replace_lines(session, req.id, data.lines)
    audit.record(session, actor, "create", "cloud_request", req.id,
                 after={**audit.snapshot(req, {"created_at", "updated_at"}), "lines": _lines_snapshot(data.lines)},
                 label=req.number)
    if submit_with is not None:
        _step(session, actor, submit_with, req.id, "submit", ActionIn())
    session.commit()
    return req


def editable_request(session: Session, actor: Actor, request_id: int) -> CloudRequest:
    """The request, if this user may edit it now: 403 unless of the department that filed it, 409 unless a
    draft or returned."""
    actor.require(Role.department)
    req = get_request(session, actor, request_id)
    if actor.department_id != req.department_id:
        raise Forbidden(f"只有申请部门（{session.get(Department, req.department_id).name}）可以修改本申请")
    if req.status not in rules.EDITABLE:
        raise Conflict(f"申请为“{req.status.zh}”，只有草稿或退回修改的申请可以编辑", code="not_editable")
    return req


def update_request(session: Session, actor: Actor, request_id: int, data: RequestUpdate, *,
                   submit_with: Context | None = None) -> CloudRequest:
    """Edit a draft or returned request; given a Context, also (re)submit it in the same transaction."""
    req = editable_request(session, actor, request_id)
    changes = data.model_dump(exclude_unset=True)
    reason = check_order(changes.get("needed_by", req.needed_by), changes.get("use_until", req.use_until))
    if reason:
        raise ValidationFailed(reason, code="date_order",
                               errors=[{"field": "use_until", "message": reason, "code": "date_order"}])
    lines = changes.pop("lines", None)
    if "system_id" in changes:
        _check_system(session, actor, session.get(Department, req.department_id), changes["system_id"])
    before = {**audit.snapshot(req, {"created_at", "updated_at"}), "lines": _lines_snapshot(lines_of(session, req.id))}
    for key, value in changes.items():
        setattr(req, key, value)
    if (req.system_id is None) == (not req.new_system_name):
        raise ValidationFailed("请选择清单中的信息系统，或填写拟新建系统名称（二者选一）", code="system_required")
    if lines is not None:
        _replace_lines(session, req.id, data.lines)
    req.updated_at = now()
    session.add(req)
    session.flush()
    after = {**audit.snapshot(req, {"created_at", "updated_at"}), "lines": _lines_snapshot(lines_of(session, req.id))}
    audit.record(session, actor, "update", "cloud_request", req.id, before=before, after=after, label=req.number)
    if submit_with is not None:
        _step(session, actor, submit_with, req.id, "submit", ActionIn())
    session.commit()
    return req


def add_attachment(session: Session, actor: Actor, request_id: int, filename: str, content_type: str,
                   stream: BinaryIO, max_bytes: int) -> Attachment:
    """The signed form (YUNZHANG_ATTACHMENT_MAX_BYTES at most), read by core.attachments."""
    req = get_request(session, actor, request_id)
    if actor.role not in (Role.department, Role.bureau, Role.infocenter):
        raise Forbidden("当前角色不能上传附件")
    upload = attachments.read(stream, filename, content_type, max_bytes, allowed=ATTACHMENT_TYPES, what="附件",
                              default_name="attachment")
    att = Attachment(request_id=req.id, **upload.columns(), uploaded_by=actor.username)
    session.add(att)
    session.flush()
    audit.record(session, actor, "attach", "cloud_request", req.id,
                 changes={"attachment": [None, {"id": att.id, "filename": att.filename, "sha256": att.sha256}]},
                 label=req.number)
    session.commit()
    return att


def get_attachment(session: Session, actor: Actor, request_id: int, attachment_id: int) -> Attachment:
    req = get_request(session, actor, request_id)
    att = session.get(Attachment, attachment_id)
    if att is None or att.request_id != req.id:
        raise NotFound("附件不存在")
    return att


# --- the workflow -------------------------------------------------------------------------------------

def _close_stage(ctx: Context, record: Stage | None, outcome: str, actor: Actor, comment: str) -> None:
    workflow.finish(ctx.proc, record, outcome, actor.username, comment)


def _enter_review_or_acceptance(session: Session, ctx: Context, req: CloudRequest, keep: Stage | None) -> None:
    """Open review level req.review_index, or the Bureau's stage when the plan is exhausted."""
    level = workflow.start_review_level(session, ctx.proc, req.id, req.review_plan, req.review_index, keep_from=keep)
    if level is not None:
        req.status, req.reviewer_department_id = S.review, level["department_id"]
    else:
        req.status, req.reviewer_department_id = S.acceptance, None
        workflow.start_policy_stage(session, ctx.proc, req.id, "acceptance", keep_from=keep)


def current_step(session: Session, req: CloudRequest) -> duties.Step:
    """The step the request is at, as the duties rule reads it: a review level signed by its department's
    designated reviewer, or a stage taken by a role."""
    if req.status == S.review:
        level = req.review_plan[req.review_index]
        dept = session.get(Department, level["department_id"])
        return duties.Step.review_level(level["name"], dept.id, dept.name)
    step = rules.NEXT_STEPS.get(req.status)
    return duties.Step(name=step.zh if step else req.status.zh, roles=rules.STAGE_ROLES.get(req.status, ()))


def _check_actor(session: Session, actor: Actor, req: CloudRequest, action: str) -> None:
    """403 with the reason when this user may not take this step (control/core/duties.py decides)."""
    if action not in rules.AUTHOR_ACTIONS:
        workflow.check_decision(session, actor, current_step(session, req), SUBJECT, req.id,
                                current=(req.created_by, req.submitted_by))
        return
    if action == "cancel" and req.status in rules.IN_FLIGHT:
        if actor.username not in workflow.authors(session, SUBJECT, req.id) | {req.created_by, req.submitted_by}:
            raise Forbidden("办理中的申请只能由申请人或填报人撤销", code="not_author")
        return
    duties.check(actor, duties.Step(name=rules.ACTION_LABELS[action], roles=rules.STAGE_ROLES.get(req.status, ())))


def act(session: Session, actor: Actor, ctx: Context, request_id: int, action: str, body: ActionIn,
        prepare_hosts=None) -> CloudRequest:
    """Take one workflow step. Illegal in this state: 409 with the reason; wrong person: 403. A delivery with
    `body.prepare_hosts` calls `prepare_hosts(session, actor, request)` (control/cloud/automation.py, injected to
    keep the domains apart), which creates the host-preparation change in the delivery's transaction."""
    req = _step(session, actor, ctx, request_id, action, body)
    if action == "deliver" and body.prepare_hosts:
        if prepare_hosts is None:
            raise Conflict("此处不能运行主机准备剧本", code="automation_unavailable")
        prepare_hosts(session, actor, req)
    session.commit()
    return req


def _step(session: Session, actor: Actor, ctx: Context, request_id: int, action: str, body: ActionIn) -> CloudRequest:
    """One workflow step in the caller's transaction."""
    if action not in rules.ACTIONS:
        raise NotFound(f"没有名为 {action} 的操作")
    req = get_request(session, actor, request_id)
    reason = rules.transition_error(req.status, action)
    if reason:
        raise Conflict(reason, code="illegal_transition")
    _check_actor(session, actor, req, action)
    if action in ("return", "reject") and not body.comment.strip():
        raise ValidationFailed("退回或驳回必须说明理由", code="comment_required",
                               errors=[{"field": "comment", "message": "请填写理由", "code": "required"}])
    old_status, current = req.status, active_stage(session, req.id)
    extra: dict = {}
    if action not in rules.AUTHOR_ACTIONS:     # who decided under which level (or stage)
        step = current_step(session, req)
        extra["stage"] = f"{step.name}（{step.department_name}）" if step.department_name else step.name
    if action == "submit":
        _submit(session, ctx, req, actor)
    elif action == "cancel":
        _close_stage(ctx, current, "cancelled", actor, body.comment)
        req.status, req.reviewer_department_id = S.cancelled, None
    elif action in ("return", "reject"):
        _close_stage(ctx, current, "returned" if action == "return" else "rejected", actor, body.comment)
        req.status = S.returned if action == "return" else S.rejected
        req.returned_from = current.stage if action == "return" and current else req.returned_from
        req.reviewer_department_id = None
    elif action == "approve":
        _close_stage(ctx, current, "approved", actor, body.comment)
        if req.status == S.review:
            req.review_index += 1
            _enter_review_or_acceptance(session, ctx, req, None)
        else:
            req.status = S.assessment
            workflow.start_policy_stage(session, ctx.proc, req.id, "assessment")
    elif action == "assess":
        extra["trims"] = _assess(session, req, body)
        _close_stage(ctx, current, "assessed", actor, body.comment)
        req.status = S.delivery
        workflow.start_policy_stage(session, ctx.proc, req.id, "delivery")
    elif action == "deliver":
        extra["delivered"] = _deliver(session, req, body)
        _close_stage(ctx, current, "delivered", actor, body.comment)
        req.status = S.in_use
    elif action == "reclaim":
        why = body.reclaim_reason or (ReclaimReason.requested if actor.role == Role.department else None)
        if why is None:
            raise ValidationFailed("收回须说明原因：使用期满、用户单位申请释放或僵尸系统清理", code="reason_required")
        if actor.role == Role.department and why != ReclaimReason.requested:
            raise Forbidden("用户单位只能申请释放本单位的资源")
        req.status, req.reclaim_reason = S.reclaimed, why
        extra["reclaim_reason"] = why.value
    req.updated_at = now()
    session.add(req)
    audit.record(session, actor, action, "cloud_request", req.id,
                 changes={"status": [old_status.value, req.status.value], "comment": body.comment, **extra},
                 label=req.number)
    return req


def _submit(session: Session, ctx: Context, req: CloudRequest, actor: Actor) -> None:
    if not lines_of(session, req.id):
        raise ValidationFailed("申请至少需要一行资源", code="no_lines")
    if req.use_until is not None and req.use_until < today():
        message = f"使用截止日期（{req.use_until}）已过，请修改后再提交"
        raise ValidationFailed(message, code="use_until_past",
                               errors=[{"field": "use_until", "message": message, "code": "use_until_past"}])
    req.submitted_by = actor.username
    workflow.add_authors(session, SUBJECT, req.id, actor.username)
    if req.status == S.draft or req.returned_from is None:
        dept = session.get(Department, req.department_id)
        req.review_plan = stages.review_plan(ctx.policy.cloud_requests.review_levels, dept.id, dept.parent_id)
        req.review_index = 0
        _enter_review_or_acceptance(session, ctx, req, None)
        return
    # A resubmission goes back to the stage that returned it; policy says whether its clock restarts.
    keep = workflow.clock_to_keep(session, ctx.proc, req.id, req.returned_from)
    stage_key = req.returned_from
    req.returned_from = None
    if stage_key.startswith(stages.REVIEW_PREFIX):
        _enter_review_or_acceptance(session, ctx, req, keep)
    else:
        req.status, req.reviewer_department_id = S(stage_key), None
        workflow.start_policy_stage(session, ctx.proc, req.id, stage_key, keep_from=keep)


TRIMMABLE = ("count", "vcpu", "memory_gib", "data_disk_gib", "size_gib", "quantity", "bandwidth_mbps")


def _assess(session: Session, req: CloudRequest, body: ActionIn) -> list[dict]:
    """Apply the assessor's trims, then check the zone's free capacity and the department's quota."""
    lines = {line.id: line for line in lines_of(session, req.id)}
    trims = []
    for trim in body.trims:
        line = lines.get(trim.line_id)
        if line is None:
            raise ValidationFailed(f"资源行 {trim.line_id} 不属于本申请", code="unknown_line")
        original = {k: getattr(line, k) for k in TRIMMABLE}
        for key in TRIMMABLE:
            value = getattr(trim, key)
            if value is not None:
                if original[key] is not None and value > original[key]:
                    raise ValidationFailed(f"资源行 {line.id} 的 {key} 只能核减，不能增加", code="trim_increase")
                setattr(line, key, value)
        line.trimmed_from, line.trim_reason = original, trim.reason
        session.add(line)
        trims.append({"line_id": line.id, "from": original, "reason": trim.reason})
    problems = shortfall_warnings(session, req, list(lines.values()))
    if problems:
        session.rollback()
        raise Conflict("容量或配额不足，评估未通过：" + "；".join(problems), code="capacity_exceeded",
                       errors=[{"field": "capacity", "message": p, "code": "capacity_exceeded"} for p in problems])
    return trims


def _deliver(session: Session, req: CloudRequest, body: ActionIn) -> list[dict]:
    if not body.delivered:
        raise ValidationFailed("交付须登记已交付的资源（名称、地址、规格）", code="delivered_required")
    line_ids = {line.id for line in lines_of(session, req.id)}
    for item in body.delivered:
        if item.line_id is not None and item.line_id not in line_ids:
            raise ValidationFailed(f"资源行 {item.line_id} 不属于本申请", code="unknown_line")
        session.add(DeliveredItem(request_id=req.id, **item.model_dump()))
    req.delivery_note = body.delivery_note
    return [audit.jsonable(i.model_dump()) for i in body.delivered]


# --- capacity and quotas --------------------------------------------------------------------------------

SUMMED = ("vcpu", "memory_gib", "system_disk_gib", "data_disk_gib", "size_gib", "quantity", "bandwidth_mbps")


def _used(session: Session, zone: Zone | None = None, department_id: int | None = None,
          exclude: int | None = None) -> rules.Amount:
    """What the requests holding resources take. The database sums count × size per line kind (the request
    page reads this on every view, and a province holds tens of thousands of lines); line_amount, linear in
    count, turns each kind's sums into capacity."""
    count = cast(ResourceLine.count, BigInteger)
    stmt = (select(ResourceLine.kind, *(func.sum(count * getattr(ResourceLine, f)) for f in SUMMED))
            .join(CloudRequest, CloudRequest.id == ResourceLine.request_id)
            .where(CloudRequest.status.in_(HOLDING_STATUSES)).group_by(ResourceLine.kind))
    if zone is not None:
        stmt = stmt.where(CloudRequest.zone == zone)
    if department_id is not None:
        stmt = stmt.where(CloudRequest.department_id == department_id)
    if exclude is not None:
        stmt = stmt.where(CloudRequest.id != exclude)
    return sum((rules.line_amount(LineKind(kind), count=1,     # PostgreSQL sums bigints as numeric
                                  **{f: None if v is None else int(v) for f, v in zip(SUMMED, sums, strict=True)})
                for kind, *sums in session.execute(stmt).all()), rules.Amount())


def _as_dict(amount: rules.Amount) -> dict[str, int]:
    return dict(zip(rules.RESOURCE_LABELS, amount.astuple(), strict=False))


def capacity(session: Session, actor: Actor) -> list[dict]:
    out = []
    for zone in Zone:
        pool = session.get(CapacityPool, zone) or CapacityPool(zone=zone)
        used = _as_dict(_used(session, zone=zone))
        total = pool.model_dump(include=set(rules.RESOURCE_LABELS))
        out.append({**total, "zone": zone, "used": used, "free": {k: total[k] - used[k] for k in total}})
    return out


def set_capacity(session: Session, actor: Actor, zone: Zone, data: CapacityIn) -> None:
    actor.require(*CAPACITY_ADMINS)
    pool = session.get(CapacityPool, zone)
    before = pool.model_dump(include=set(rules.RESOURCE_LABELS)) if pool else None
    pool = pool or CapacityPool(zone=zone)
    for key, value in data.model_dump().items():
        setattr(pool, key, value)
    pool.updated_at = now()
    session.add(pool)
    audit.record(session, actor, "update" if before else "create", "cloud_capacity", zone.value, before=before,
                 after=data.model_dump(), label=zone.zh)
    session.commit()


def quotas(session: Session, actor: Actor) -> list[dict]:
    stmt = scope.scoped(select(DepartmentQuota, Department)
                        .join(Department, Department.id == DepartmentQuota.department_id),
                        actor, DepartmentQuota.department_id)
    used_by: dict[int, rules.Amount] = defaultdict(rules.Amount)
    for line, dept_id in session.execute(select(ResourceLine, CloudRequest.department_id)
                                         .join(CloudRequest, CloudRequest.id == ResourceLine.request_id)
                                         .where(CloudRequest.status.in_(HOLDING_STATUSES))).all():
        used_by[dept_id] = used_by[dept_id] + rules.line_amount(**line.model_dump())
    return [{**q.model_dump(include=set(rules.RESOURCE_LABELS)), "department_id": d.id, "department_name": d.name,
             "used": _as_dict(used_by[d.id])} for q, d in session.execute(stmt.order_by(Department.path)).all()]


def set_quota(session: Session, actor: Actor, department_id: int, data: QuotaIn) -> None:
    actor.require(*CAPACITY_ADMINS)
    dept = scope.visible_department(session, actor, department_id)
    quota = session.get(DepartmentQuota, department_id)
    before = quota.model_dump(include=set(rules.RESOURCE_LABELS)) if quota else None
    quota = quota or DepartmentQuota(department_id=department_id)
    for key, value in data.model_dump().items():
        setattr(quota, key, value)
    quota.updated_at = now()
    session.add(quota)
    audit.record(session, actor, "update" if before else "create", "cloud_quota", department_id, before=before,
                 after=data.model_dump(), label=dept.name)
    session.commit()


def reclaim_for_system(session: Session, actor: Actor, system_id: int, why: ReclaimReason,
                       comment: str) -> list[CloudRequest]:
    """Reclaim everything a system holds in use, for a flow of another domain (zombie clean-up): each
    request moved by the transition table and audited like the reclaim action. In the caller's transaction:
    the caller commits, and its use case has already decided who may act."""
    reqs = session.execute(select(CloudRequest).where(CloudRequest.system_id == system_id,
                                                      CloudRequest.status == S.in_use)).scalars().all()
    for req in reqs:
        old_status = req.status
        req.status, req.reclaim_reason, req.updated_at = rules.TRANSITIONS[(old_status, "reclaim")], why, now()
        session.add(req)
        audit.record(session, actor, "reclaim", "cloud_request", req.id,
                     changes={"status": [old_status.value, req.status.value], "comment": comment,
                              "reclaim_reason": why.value}, label=req.number)
    return list(reqs)


# --- scheduled work ---------------------------------------------------------------------------------

def recompute_sla(session: Session, ctx: Context) -> dict[str, int]:
    """Recompute the SLA state of every open stage, of cloud requests and every other procedure
    (hourly job; control/core/workflow.py)."""
    return workflow.recompute(session, ctx.calendar, ctx.policy.due_soon_margins())


def expired_requests(session: Session) -> list[int]:
    """Requests in use past their end date, for the daily reclaim."""
    return list(session.execute(select(CloudRequest.id).where(CloudRequest.status == S.in_use,
                                                              CloudRequest.use_until < today())).scalars())


def reclaim_expired(session: Session, actor: Actor, ctx: Context, request_id: int) -> CloudRequest:
    """Reclaim one request whose end date has passed, in its own transaction."""
    return act(session, actor, ctx, request_id, "reclaim", ActionIn(comment="使用期满自动收回",
                                                                    reclaim_reason=ReclaimReason.end_date))


def sla_counts(session: Session) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """(open stages by (stage kind, sla_state), worst overdue working days by stage kind) for /metrics."""
    return workflow.sla_counts(session, SUBJECT)


STAGE_KINDS = ("review", "acceptance", "assessment", "delivery")
