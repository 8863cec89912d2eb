"""What people call the fields of zombie scans, cases and usage imports, registered in core's label
registry at start."""
from __future__ import annotations

from control.core import labels
from control.zombies.enums import CaseState, Criterion

SCAN: dict[str, labels.Label] = {
    "as_of": ("扫描截止日", "As of"), "scanned": ("扫描系统数", "Systems scanned"),
    "candidates": ("疑似僵尸系统数", "Candidates"), "insufficient": ("数据不足系统数", "Too little data"),
    "opened": ("新增待审核", "Cases opened"), "cleared": ("自动解除", "Cases cleared"),
    "flagged_for_rereview": ("需重新审核", "Flagged for re-review"),
    "exemptions_expired": ("豁免到期", "Exemptions expired"), "actor": ("扫描人", "Scanned by"),
    "duration_seconds": ("用时（秒）", "Duration (s)"),
    "classified_scanned": ("涉密系统数（仅计数）", "Classified systems (counted only)"),
}
CASE: dict[str, labels.Label] = {
    "state": ("审核状态", "Review state"), "scan_id": ("扫描", "Scan"), "system_id": ("信息系统", "System"),
    "held": ("符合的判定标准", "Criteria held"), "reason": ("理由", "Reason"),
    "exempt_until": ("豁免截止日期", "Exempt until"), "plan": ("清理计划", "Clean-up plan"),
    "cleanup_plan": ("清理计划", "Clean-up plan"), "stop": ("停止运行", "Stop the system"),
    "archive": ("数据归档", "Archive"), "reclaim_cloud": ("收回云资源", "Reclaim cloud resources"),
    "planned_by": ("安排人", "Planned by"),
    "due": ("计划完成日期", "Due"), "needs_rereview": ("需重新审核", "Needs re-review"),
    "rereview_reason": ("重新审核原因", "Re-review reason"),
    "department_response": ("部门说明", "Department's response"), "decided_by": ("审核人", "Decided by"),
    "opened_scan_id": ("发现于扫描", "Opened by scan"), "last_scan_id": ("最近扫描", "Last scan"),
    "cleared_scan_id": ("解除于扫描", "Cleared by scan"), "department_id": ("所属部门", "Department"),
}
USAGE: dict[str, labels.Label] = {
    "samples": ("数据点数", "Samples"), "systems": ("涉及系统数", "Systems"), "days": ("涉及天数", "Days"),
}


def install() -> None:
    labels.register("zombie_scan", SCAN, routes=("/api/v1/zombie-scans", "/zombies/scan"))
    labels.register("zombie_case", CASE, enums={"state": CaseState, "held": Criterion},
                    routes=("/api/v1/zombie-cases", "/zombies/cases"))
    labels.register("usage_metrics", USAGE)
