"""Pure rules of migration plans: the two procedures' transition tables (on the shared stage engine's
Transitions), who acts at each stage, the planned date of each stage, the per-system state machine and
the O&M funding stop. No database, no HTTP."""
from __future__ import annotations

from datetime import date

from control.core.roles import Role
from control.core.stages import Transitions
from control.migration.enums import PlanKind, PlanStatus, SystemState, Target

P = PlanStatus
Y = SystemState
SUBJECT = "migration_plan"      # the plans' name in the shared stage table

ACTION_LABELS = {"submit": "提交", "cancel": "撤销", "approve": "通过", "return": "退回修改",
                 "connect": "确认联通完成", "migrate": "确认迁移完成", "withdraw": "确认撤并改完成",
                 "complete": "确认系统迁移完成"}
_COMMON = {
    (P.draft, "submit"): P.review,
    (P.returned, "submit"): P.review,
    (P.draft, "cancel"): P.cancelled,
    (P.returned, "cancel"): P.cancelled,
    (P.review, "cancel"): P.cancelled,
    (P.approval, "cancel"): P.cancelled,
    (P.review, "approve"): P.approval,     # the last level; earlier levels stay in review
    (P.review, "return"): P.returned,
    (P.approval, "return"): P.returned,
}
# 第十一条: self-check → level-by-level review → Bureau approval → connect → migrate → withdraw / merge / convert.
NETWORK_PLAN = Transitions({**_COMMON, (P.approval, "approve"): P.connect, (P.connect, "connect"): P.migrate,
                            (P.migrate, "migrate"): P.withdraw, (P.withdraw, "withdraw"): P.completed},
                           ACTION_LABELS, "计划")
# 第三十一条: self-check → application (level-by-level) → Bureau approval → migration, system by system.
CLOUD_PLAN = Transitions({**_COMMON, (P.approval, "approve"): P.migration, (P.migration, "complete"): P.completed},
                         ACTION_LABELS, "计划")
PROCEDURES = {PlanKind.private_network: NETWORK_PLAN, PlanKind.cloud: CLOUD_PLAN}
ACTIONS = sorted(ACTION_LABELS)
# Steps of the plan's own department that decide nothing: submit and withdraw its own plan.
AUTHOR_ACTIONS = ("submit", "cancel")
# The technical steps a person ticks off (with a note and evidence), and the plan's stage each closes.
TECHNICAL_STEPS = ("connect", "migrate", "withdraw", "complete")
# Who acts in each status; review levels are signed by the level department's designated reviewer instead.
STAGE_ROLES: dict[PlanStatus, tuple[Role, ...]] = {
    P.draft: (Role.department,),
    P.returned: (Role.department,),
    P.approval: (Role.bureau,),
    P.connect: (Role.department, Role.infocenter),
    P.migrate: (Role.department, Role.infocenter),
    P.withdraw: (Role.department, Role.infocenter),
    P.migration: (Role.department, Role.infocenter),
}
# Who writes plans: the department, or the Information Center (and an administrator) entering the
# workbooks departments mail in. Only the plan's own department submits or withdraws it.
WRITE_ROLES = (Role.department, Role.infocenter, Role.admin)
SUBMIT_ROLES = (Role.department,)
OPEN_STATUSES = (P.draft, P.review, P.approval, P.connect, P.migrate, P.withdraw, P.migration, P.returned)

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
# A system in these states and past its planned date is behind plan.
SCHEDULED_STATES = (Y.pending, Y.migrating, Y.exception)
# A cloud plan completes when every system is migrated or stays in-house by an approved exception.
SETTLED_STATES = (Y.migrated, Y.exception)


def transition_error(kind: PlanKind, status: PlanStatus, action: str) -> str | None:
    """Why the plan cannot take `action` now (zh-CN), or None."""
    return PROCEDURES[kind].error(status, action)


def next_status(kind: PlanKind, status: PlanStatus, action: str) -> PlanStatus:
    return PROCEDURES[kind].next(status, action)


def stage_planned_date(status: PlanStatus, connect_by: date | None, migrate_by: date | None,
                       completion_date: date) -> date | None:
    """The date a technical stage is judged by: the plan's own dates for connect and migrate (the
    completion date when the plan gives none), the completion date for withdraw and for the cloud migration."""
    if status == P.connect:
        return connect_by or completion_date
    if status == P.migrate:
        return migrate_by or completion_date
    if status in (P.withdraw, P.migration):
        return completion_date
    return None


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


def date_order_errors(connect_by: date | None, migrate_by: date | None,
                      completion_date: date) -> list[tuple[str, str, str]]:
    """联通 before 迁移 before the completion date."""
    problems = []
    if connect_by and migrate_by and connect_by > migrate_by:
        problems.append(("migrate_by", f"计划迁移日期（{migrate_by}）不能早于计划联通日期（{connect_by}）",
                         "date_order"))
    for field, value in (("connect_by", connect_by), ("migrate_by", migrate_by)):
        if value and value > completion_date:
            problems.append((field, f"{value} 晚于计划完成时限（{completion_date}）", "date_order"))
    return problems


def funding_stops(fiscal: bool, migrated: bool, completion_date: date, today: date) -> bool:
    """第十条: a network built with fiscal money and still not migrated after its plan's completion date
    loses its O&M funding from that date on."""
    return fiscal and not migrated and today > completion_date
