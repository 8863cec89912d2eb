"""Pure rules of cloud requests: the transition table, who may act at each step, capacity
arithmetic and SLA states. No database, no HTTP."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from control.cloud.enums import LineKind, NextStep, RequestStatus
from control.cloud.labels import RESOURCES
from control.core.roles import Role
from control.core.stages import Transitions

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
ACTION_LABELS = {"submit": "提交", "cancel": "撤销", "approve": "通过", "return": "退回修改", "reject": "驳回",
                 "assess": "评估通过", "deliver": "交付", "reclaim": "收回"}
FLOW = Transitions(TRANSITIONS, ACTION_LABELS, noun="申请")
ACTIONS = FLOW.actions

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
    return FLOW.error(status, action)


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

