"""What people call the fields and values of automation changes, registered in core's label registry at start."""
from __future__ import annotations

from control.automation.enums import ChangeKind, ChangeStatus, TargetStatus
from control.core import labels

CHANGE: dict[str, labels.Label] = {
    "kind": ("变更类型", "Change kind"), "template": ("设备变更模板", "Device template"),
    "playbook": ("剧本", "Playbook"), "title": ("变更名称", "Title"), "variables": ("变量", "Variables"),
    "status": ("状态", "Status"), "department_id": ("所属部门", "Department"), "author": ("发起人", "Author"),
    "concurrency": ("并发设备数", "Devices at once"), "plan_step_id": ("迁移计划环节", "Plan step"),
    "cloud_request_id": ("云资源申请", "Cloud request"), "zombie_case_id": ("僵尸系统审核", "Zombie case"),
    "checked_at": ("检查时间", "Checked at"), "checked_by": ("检查人", "Checked by"),
    "approved_at": ("批准时间", "Approved at"), "approved_by": ("批准人", "Approved by"),
    "approved_digest": ("批准时的检查摘要", "Approved check digest"), "digest": ("检查摘要", "Check digest"),
    "run_id": ("运行", "Run"), "error": ("错误", "Error"), "targets": ("目标设备或主机", "Targets"),
    "comment": ("意见", "Comment"), "device_ids": ("设备", "Devices"),
    "device_variables": ("各设备变量", "Per-device variables"), "hosts": ("主机", "Hosts"),
    "on_classified_network": ("涉密系统或网络", "Classified system or network"),
}
TARGET: dict[str, labels.Label] = {
    "position": ("顺序", "Position"), "device_id": ("设备", "Device"), "host": ("主机", "Host"),
    "name": ("名称", "Name"), "variables": ("本设备变量", "Device's own variables"), "status": ("状态", "Status"),
    "backup_id": ("检查时的配置备份", "Checked backup"),
    "backup_digest": ("检查时的配置摘要", "Checked config digest"), "commands": ("命令", "Commands"),
    "rollback_commands": ("回退命令", "Rollback commands"), "verify": ("验证命令", "Verify commands"),
    "expected_diff": ("预计差异", "Expected diff"), "applied": ("已下发", "Applied"),
    "applied_at": ("下发时间", "Applied at"), "verified": ("已验证", "Verified"),
    "verified_at": ("验证时间", "Verified at"), "saved_at": ("保存时间", "Saved at"),
    "rolled_back_at": ("回退时间", "Rolled back at"), "error": ("错误", "Error"),
}


def install() -> None:
    labels.register("change", CHANGE, enums={"kind": ChangeKind, "status": ChangeStatus},
                    routes=("/api/v1/changes", "/changes"))
    labels.register("change_target", TARGET, enums={"status": TargetStatus})
