"""Pure rules of cloud requests: the transition table, who may act at each step, capacity
arithmetic and SLA states. No database, no HTTP."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from control.cloud.enums import LineKind, NextStep, RequestStatus, SlaState
from control.cloud.labels import RESOURCES
from control.core.calendar import UnknownYear, WorkingCalendar
from control.core.roles import Role

S = RequestStatus

# (status, action) → next status; "review approve" may stay in review for the next level.
TRANSITIONS: dict[tuple[RequestStatus, str], RequestStatus] = {
    (S.draft, "submit"): S.review,
    (S.draft, "cancel"): S.cancelled,
    (S.returned, "submit"): S.review,
    (S.returned, "cancel"): S.cancelled,
    (S.review, "cancel"): S.cancelled,
    (S.acceptance, "cancel"): S.cancelled,
    (S.assessment, "cancel"): S.cancelled,
    (S.review, "approve"): S.acceptance,
    (S.review, "return"): S.returned,
    (S.review, "reject"): S.rejected,
    (S.acceptance, "approve"): S.assessment,
    (S.acceptance, "return"): S.returned,
    (S.acceptance, "reject"): S.rejected,
    (S.assessment, "assess"): S.delivery,
    (S.assessment, "return"): S.returned,
    (S.assessment, "reject"): S.rejected,
    (S.delivery, "deliver"): S.in_use,
    (S.in_use, "reclaim"): S.reclaimed,
}
ACTIONS = sorted({a for _, a in TRANSITIONS})
ACTION_LABELS = {"submit": "提交", "cancel": "撤销", "approve": "通过", "return": "退回修改", "reject": "驳回",
                 "assess": "评估通过", "deliver": "交付", "reclaim": "收回"}

# Who acts in each status. Review steps are signed by the level department's designated reviewer instead.
STAGE_ROLES: dict[RequestStatus, tuple[Role, ...]] = {
    S.draft: (Role.department,),
    S.returned: (Role.department,),
    S.acceptance: (Role.bureau,),
    S.assessment: (Role.infocenter,),
    S.delivery: (Role.infocenter,),
    S.in_use: (Role.infocenter, Role.department),
}
EDITABLE = (S.draft, S.returned)
# Steps that decide nothing about the request (the applicant's own, and reclaiming what is in use): every
# other step is a decision, which the applicant and the creator never take.
AUTHOR_ACTIONS = ("submit", "cancel", "reclaim")
# Withdrawn while in the workflow by its applicant or creator only (a draft: by its department).
IN_FLIGHT = (S.review, S.acceptance, S.assessment)
NEXT_STEPS = {S.draft: NextStep.submit, S.returned: NextStep.resubmit, S.review: NextStep.review,
              S.acceptance: NextStep.acceptance, S.assessment: NextStep.assessment, S.delivery: NextStep.delivery}
# The statuses whose step a user of each role decides (review levels: designated department users).
DECIDES = {role: tuple(s for s in (S.acceptance, S.assessment, S.delivery) if role in STAGE_ROLES[s])
           for role in Role}


def next_actor(status: RequestStatus, department: tuple[int, str], reviewer_department: tuple[int, str] | None,
               due_date: date | None) -> dict | None:
    """Who acts next on a request (None once nothing is awaited): the role, the department (the applicant's
    for its own steps; a review level's, whose designated reviewer signs it), the step and its due date,
    with the line people read, e.g. "待 白水县教育局 审核人 审核，截止 2026-12-03"."""
    step = NEXT_STEPS.get(status)
    if step is None:
        return None
    designated = status == S.review
    role = Role.department if designated else STAGE_ROLES[status][0]
    dept_id, dept_name = ((reviewer_department or (None, None)) if designated else department) \
        if role == Role.department else (None, None)
    who = f"{dept_name} 审核人" if designated else (dept_name or role.zh)
    text = f"待 {who} {step.zh}" + (f"，截止 {due_date.isoformat()}" if due_date else "")
    return {"role": role, "department_id": dept_id, "department_name": dept_name, "designated": designated,
            "step": step, "due_date": due_date, "text": text}


def transition_error(status: RequestStatus, action: str) -> str | None:
    if (status, action) in TRANSITIONS:
        return None
    allowed = [ACTION_LABELS[a] for (s, a) in TRANSITIONS if s == status]
    label = ACTION_LABELS.get(action, action)
    if not allowed:
        return f"申请已{status.zh}，不能再“{label}”"
    return f"申请当前为“{status.zh}”，不能“{label}”；可执行：{'、'.join(allowed)}"


@dataclass(frozen=True)
class Amount:
    """Capacity a request takes, in the units pools and quotas are kept in."""
    vcpu: int = 0
    memory_gib: int = 0
    storage_gib: int = 0
    extranet_ips: int = 0
    internet_ips: int = 0
    bandwidth_mbps: int = 0

    def __add__(self, other: Amount) -> Amount:
        return Amount(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=False)))

    def astuple(self) -> tuple[int, ...]:
        return (self.vcpu, self.memory_gib, self.storage_gib, self.extranet_ips, self.internet_ips,
                self.bandwidth_mbps)


RESOURCE_LABELS = {name: zh for name, (zh, _en) in RESOURCES.items()}   # one table: control/cloud/labels.py


def line_amount(kind: LineKind, count: int = 1, vcpu: int | None = None, memory_gib: int | None = None,
                system_disk_gib: int | None = None, data_disk_gib: int | None = None, size_gib: int | None = None,
                quantity: int | None = None, bandwidth_mbps: int | None = None, **_ignored) -> Amount:
    n = 1 if count is None else count
    if kind == LineKind.vm:
        return Amount(vcpu=(vcpu or 0) * n, memory_gib=(memory_gib or 0) * n,
                      storage_gib=((system_disk_gib or 0) + (data_disk_gib or 0)) * n)
    if kind in (LineKind.block_storage, LineKind.object_storage, LineKind.file_storage):
        return Amount(storage_gib=(size_gib or 0) * n)
    if kind == LineKind.extranet_ip:
        return Amount(extranet_ips=(quantity or 0) * n)
    if kind == LineKind.internet_ip:
        return Amount(internet_ips=(quantity or 0) * n)
    if kind == LineKind.bandwidth:
        return Amount(bandwidth_mbps=(bandwidth_mbps or 0) * n)
    return Amount()  # managed services are not counted against raw capacity


def shortfalls(need: Amount, used: Amount, limit: dict[str, int | None]) -> list[str]:
    """zh-CN reasons, one per resource where used + need exceeds the limit (None: unlimited)."""
    reasons = []
    for name, n, u in zip(RESOURCE_LABELS, need.astuple(), used.astuple(), strict=False):
        cap = limit.get(name)
        if cap is not None and n and u + n > cap:
            reasons.append(f"{RESOURCE_LABELS[name]}：需要 {n}，已占用 {u}，上限 {cap}，缺 {u + n - cap}")
    return reasons


def deadline(cal: WorkingCalendar, start: date, working_days: int | None) -> tuple[date | None, str | None]:
    """(due date, calendar error). An unknown year is reported on the stage, not raised."""
    if working_days is None:
        return None, None
    try:
        return cal.add_working_days(start, working_days), None
    except UnknownYear as exc:
        return None, exc.detail


def sla(cal: WorkingCalendar, due: date | None, today: date, done: date | None, margin: int,
        calendar_error: str | None = None) -> tuple[SlaState, int]:
    """The SLA state of a stage and its N: overdue by / done late by N working days."""
    if due is None:
        return (SlaState.calendar_unknown if calendar_error else SlaState.no_deadline), 0
    try:
        if done is not None:
            late = cal.working_days_between(due, done) if done > due else 0
            return (SlaState.done_late if done > due else SlaState.done_on_time), late
        if today > due:
            return SlaState.overdue, cal.working_days_between(due, today)
        left = cal.working_days_between(today, due)
    except UnknownYear:
        return SlaState.calendar_unknown, 0
    return (SlaState.due_soon if left <= margin else SlaState.on_time), 0
