"""Pure rules of migration plans: the plan and per-system transition tables, who acts at each step,
behind-plan days and the O&M funding stop. No database, no HTTP."""
from __future__ import annotations

from datetime import date

from control.core.roles import Role
from control.migration.enums import PlanKind, PlanStatus, SystemState, Target

P = PlanStatus
CLASSIFIED = ("涉密信息系统和涉密网络属于党委机要局（保密局）的管理流程，不纳入本平台的迁移计划，"
              "本平台不受理、不保存其任何信息")
# A system in these states and past its planned date is behind plan.
SCHEDULED_STATES = (SystemState.pending, SystemState.migrating, SystemState.exception)
# A plan in these statuses and past its completion date is behind plan.
OPEN_STATUSES = (PlanStatus.draft, PlanStatus.submitted, PlanStatus.returned, PlanStatus.approved)
Y = SystemState

# (status, action) → next status.
TRANSITIONS: dict[tuple[PlanStatus, str], PlanStatus] = {
    (P.draft, "submit"): P.submitted,
    (P.returned, "submit"): P.submitted,
    (P.draft, "cancel"): P.cancelled,
    (P.returned, "cancel"): P.cancelled,
    (P.submitted, "cancel"): P.cancelled,
    (P.submitted, "approve"): P.approved,
    (P.submitted, "return"): P.returned,
    (P.approved, "complete"): P.completed,
}
ACTIONS = sorted({a for _, a in TRANSITIONS})
ACTION_LABELS = {"submit": "提交", "cancel": "撤销", "approve": "批准", "return": "退回修改", "complete": "确认完成"}
# Steps of the plan's own department (its author's steps); every other step is a decision.
AUTHOR_ACTIONS = ("submit", "cancel")
STAGE_ROLES: dict[PlanStatus, tuple[Role, ...]] = {
    P.draft: (Role.department,),
    P.returned: (Role.department,),
    P.submitted: (Role.bureau,),
    P.approved: (Role.infocenter, Role.bureau),
}
WRITE_ROLES = (Role.department,)

# A cloud plan's systems: (state, action) → next state. An exception is entered only by the Bureau's approval
# of an exception request; its gradual migration later starts again from there.
SYSTEM_TRANSITIONS: dict[tuple[SystemState, str], SystemState] = {
    (Y.pending, "start"): Y.migrating,
    (Y.migrating, "finish"): Y.migrated,
    (Y.migrating, "pause"): Y.pending,
    (Y.exception, "start"): Y.migrating,
}
SYSTEM_ACTION_LABELS = {"start": "开始迁移", "finish": "完成迁移", "pause": "暂停迁移"}
SYSTEM_ROLES = (Role.infocenter, Role.department)


def transition_error(status: PlanStatus, action: str) -> str | None:
    """Why the plan cannot take `action` now (zh-CN), or None."""
    if (status, action) in TRANSITIONS:
        return None
    allowed = [ACTION_LABELS[a] for (s, a) in TRANSITIONS if s == status]
    then = f"；可进行：{'、'.join(allowed)}" if allowed else "，不能再办理"
    return f"计划当前为“{status.zh}”，不能{ACTION_LABELS.get(action, action)}{then}"


def system_transition_error(state: SystemState, action: str) -> str | None:
    if (state, action) in SYSTEM_TRANSITIONS:
        return None
    return f"系统迁移状态为“{state.zh}”，不能{SYSTEM_ACTION_LABELS.get(action, action)}"


def plan_errors(kind: PlanKind, target: Target | None, networks: int, systems: int) -> list[tuple[str, str, str]]:
    """(field, zh-CN message, code) for what a plan of this kind must or must not hold."""
    problems = []
    if kind == PlanKind.private_network:
        if target is None:
            problems.append(("target", "专网迁移计划须填写迁移目标（政务外网的区域或政务内网）", "required"))
        if systems:
            problems.append(("systems", "专网迁移计划不列信息系统，请填写纳入迁移的业务专网", "not_applicable"))
    else:
        if target is not None:
            problems.append(("target", "上云计划的目标即政务云，不填写迁移目标", "not_applicable"))
        if networks:
            problems.append(("network_ids", "上云计划不列业务专网，请填写纳入迁移的信息系统", "not_applicable"))
    return problems


def days_behind(planned: date | None, actual: date | None, today: date) -> int:
    """Calendar days a step is behind plan: past its planned date with no actual date (0 when on plan)."""
    if planned is None or actual is not None or today <= planned:
        return 0
    return (today - planned).days


def funding_stops(fiscal: bool, migrated: bool, completion_date: date, today: date) -> bool:
    """第十条: a network built with fiscal money and still not migrated after its plan's completion date
    loses its O&M funding from that date on."""
    return fiscal and not migrated and today > completion_date
