"""What people call the fields and values of devices and their config versions, registered in core's label
registry at start."""
from __future__ import annotations

from control.core import labels
from control.devices.enums import BackupOutcome, DeviceSource, Zone

DEVICE: dict[str, labels.Label] = {
    "name": ("设备名称", "Device name"), "host": ("管理地址", "Management address"), "port": ("SSH 端口", "SSH port"),
    "device_type": ("设备类型（netmiko）", "Device type (netmiko)"), "site": ("站点", "Site"),
    "department_id": ("所属部门", "Department"), "network_id": ("业务专网", "Private network"),
    "zone": ("网络区域", "Zone"), "username": ("登录用户名", "Login user"),
    "password_ref": ("登录密码引用", "Password reference"),
    "enable_secret_ref": ("特权密码引用", "Enable secret reference"), "source": ("来源", "Source"),
    "drifted": ("配置漂移", "Config drift"), "drift_since": ("发现漂移时间", "Drift found at"),
    "last_backup_at": ("最近备份时间", "Last backup at"),
    "last_backup_outcome": ("最近备份结果", "Last backup outcome"),
    "last_backup_error": ("最近备份错误", "Last backup error"),
    "last_success_at": ("最近成功备份时间", "Last successful backup"),
    "on_classified_network": ("属于涉密网络", "On a classified network"),
    "version": ("配置版本", "Config version"), "digest": ("配置摘要", "Config digest"),
    "comment": ("说明", "Comment"),
}
BACKUP: dict[str, labels.Label] = {
    "device_id": ("设备", "Device"), "version": ("配置版本", "Config version"), "content": ("配置内容", "Config"),
    "digest": ("配置摘要", "Config digest"), "taken_at": ("备份时间", "Taken at"), "taken_by": ("备份人", "Taken by"),
    "expected": ("本平台变更后的备份", "Taken after a yunzhang change"), "drift": ("配置漂移", "Drift"),
}


def install() -> None:
    labels.register("device", DEVICE, enums={"zone": Zone, "source": DeviceSource,
                                             "last_backup_outcome": BackupOutcome},
                    routes=("/api/v1/devices", "/devices"))
    labels.register("device_backup", BACKUP)
