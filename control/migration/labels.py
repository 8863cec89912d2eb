"""What people call the fields and values of migration plans, registered in core's label registry at start
(entity types "migration_plan", "migration_plan_system", "migration_exception")."""
from __future__ import annotations

from control.core import labels
from control.migration.enums import ExceptionReason, ExceptionStatus, PlanKind, PlanStatus, SystemState, Target

PLAN: dict[str, labels.Label] = {
    "number": ("计划编号", "Plan number"), "kind": ("计划类型", "Plan kind"),
    "department_id": ("部门", "Department"), "name": ("计划名称", "Plan name"),
    "content": ("迁移内容", "Content"), "target": ("迁移目标", "Target"),
    "completion_date": ("完成时限", "Completion date"),
    "connect_by": ("计划联通日期", "Planned connection date"), "migrate_by": ("计划迁移日期", "Planned migration date"),
    "review_plan": ("审核层级", "Review levels"), "review_index": ("当前审核层级", "Current review level"),
    "reviewer_department_id": ("审核部门", "Reviewing department"), "evidence": ("佐证", "Evidence"),
    "on": ("实际日期", "Actual date"),
    "leader_name": ("责任领导", "Responsible leader"), "leader_title": ("责任领导职务", "Leader's title"),
    "leader_phone": ("责任领导电话", "Leader's phone"), "office": ("责任处室", "Responsible office"),
    "liaison_name": ("联络员", "Liaison"), "liaison_phone": ("联络员电话", "Liaison's phone"),
    "status": ("状态", "Status"), "created_by": ("填报人", "Created by"), "submitted_by": ("提交人", "Submitted by"),
    "network_ids": ("纳入迁移的业务专网", "Private networks in scope"),
    "systems": ("纳入迁移的信息系统", "Systems in scope"), "comment": ("意见", "Comment"),
    "document": ("技术方案", "Technical plan"), "filename": ("文件名", "File name"),
    "sha256": ("SHA-256 摘要", "SHA-256"), "version": ("版本", "Version"),
    "system_id": ("信息系统", "Information system"), "target_date": ("计划迁移日期", "Target date"),
    "network_id": ("业务专网", "Private network"), "reason": ("原因", "Reason"),
    "late_from": ("最早未完成计划日期", "Earliest open planned date"),
}
PLAN_SYSTEM: dict[str, labels.Label] = {
    "plan_id": ("迁移计划", "Migration plan"), "planned_date": ("现计划日期", "Planned date"),
    "system_id": ("信息系统", "Information system"), "target_date": ("计划迁移日期", "Target date"),
    "state": ("迁移状态", "Migration state"), "started_date": ("开始迁移日期", "Started on"),
    "migrated_date": ("完成迁移日期", "Migrated on"), "note": ("说明", "Note"),
}
EXCEPTION: dict[str, labels.Label] = {
    "reason": ("例外理由", "Reason"), "justification": ("情况说明", "Justification"),
    "status": ("审批状态", "Decision"), "interfaces": ("须开放的数据共享接口", "Data-sharing interfaces to open"),
    "later_target_date": ("逐步迁移完成日期", "Later target date"),
    "decision_comment": ("审批意见", "Decision comment"), "plan_system_id": ("计划内系统", "System in plan"),
    "requested_by": ("申请人", "Requested by"), "decided_by": ("审批人", "Decided by"),
    "decided_at": ("审批时间", "Decided at"), "requested_at": ("申请时间", "Requested at"),
}


def install() -> None:
    labels.register("migration_plan", PLAN, enums={"kind": PlanKind, "target": Target, "status": PlanStatus},
                    routes=("/api/v1/migration-plans", "/plans"))
    labels.register("migration_plan_system", PLAN_SYSTEM, enums={"state": SystemState})
    labels.register("migration_exception", EXCEPTION, enums={"reason": ExceptionReason, "status": ExceptionStatus})
