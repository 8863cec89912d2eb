"""Device enumerations, stable English values with zh-CN labels. A device's zone is the migration plans'
Target (the extranet's three zones, or the intranet): one list of zones for plans and devices."""
from __future__ import annotations

from control.core.enums import LabeledEnum
from control.migration.enums import Target as Zone


class DeviceSource(LabeledEnum):
    inventory = ("inventory", "清单文件", "Inventory file", "文件")
    service = ("service", "平台登记", "Registered in the service", "平台")


class BackupOutcome(LabeledEnum):
    """What the last backup attempt of a device came to."""
    changed = ("changed", "已保存新版本", "New version stored", "新版本")
    unchanged = ("unchanged", "配置未变化", "Unchanged", "未变化")
    failed = ("failed", "备份失败", "Failed", "失败")


__all__ = ["BackupOutcome", "DeviceSource", "Zone"]
