"""Enumerations of automation runs shown to people: the modes and the kinds of events (zh-CN and English)."""
from __future__ import annotations

from control.core.enums import LabeledEnum


class RunMode(LabeledEnum):
    backup = ("backup", "备份", "Backup")
    check = ("check", "检查（预演）", "Check (dry run)")
    apply = ("apply", "执行", "Apply")
    verify = ("verify", "验证", "Verify")
    rollback = ("rollback", "回退", "Roll back")


class RunKind(LabeledEnum):
    playbook = ("playbook", "剧本（Ansible）", "Playbook (Ansible)")
    device = ("device", "设备变更", "Device change")
    backup = ("backup", "配置备份", "Config backup")


class EventKind(LabeledEnum):
    playbook_on_play_start = ("playbook_on_play_start", "开始剧本", "Play started")
    playbook_on_task_start = ("playbook_on_task_start", "开始任务", "Task started")
    runner_on_ok = ("runner_on_ok", "成功", "OK")
    runner_on_changed = ("runner_on_changed", "已变更", "Changed")
    runner_on_failed = ("runner_on_failed", "失败", "Failed")
    runner_on_unreachable = ("runner_on_unreachable", "主机不可达", "Unreachable")
    runner_on_skipped = ("runner_on_skipped", "跳过", "Skipped")
    runner_item_on_ok = ("runner_item_on_ok", "循环项成功", "Item OK")
    runner_item_on_failed = ("runner_item_on_failed", "循环项失败", "Item failed")
    playbook_on_stats = ("playbook_on_stats", "运行汇总", "Recap")
    command = ("command", "设备命令", "Device command")
    message = ("message", "消息", "Message")


def value_label(enum: type[LabeledEnum], value: str, locale: str = "zh_CN") -> str:
    """A stored value's label (an event name, a run kind or mode); a value the enum does not know is shown as
    it is (a kind registered by a later domain, an ansible-runner event not listed)."""
    try:
        return enum(value).label(locale)
    except ValueError:
        return value


def event_label(event: str, locale: str = "zh_CN") -> str:
    return value_label(EventKind, event, locale)


class ChangeKind(LabeledEnum):
    device = ("device", "设备变更（netmiko）", "Device change (netmiko)")
    playbook = ("playbook", "剧本变更（Ansible）", "Playbook change (Ansible)")


class ChangeStatus(LabeledEnum):
    draft = ("draft", "草稿", "Draft")
    checked = ("checked", "已检查", "Checked")
    approved = ("approved", "已批准", "Approved")
    applying = ("applying", "执行中", "Applying")
    verifying = ("verifying", "验证中", "Verifying")
    succeeded = ("succeeded", "已成功", "Succeeded")
    failed = ("failed", "失败", "Failed")
    rolling_back = ("rolling_back", "回退中", "Rolling back")
    rolled_back = ("rolled_back", "已回退", "Rolled back")
    rollback_failed = ("rollback_failed", "回退失败", "Rollback failed")
    cancelled = ("cancelled", "已取消", "Cancelled")
    interrupted = ("interrupted", "已中断", "Interrupted")


class TargetStatus(LabeledEnum):
    """Where one device (or host) of a change stands."""
    pending = ("pending", "待检查", "Pending")
    checked = ("checked", "已检查", "Checked")
    applying = ("applying", "下发中", "Applying")
    applied = ("applied", "已下发", "Applied")
    verified = ("verified", "已验证", "Verified")
    saved = ("saved", "已保存", "Saved")
    failed = ("failed", "失败", "Failed")
    rolled_back = ("rolled_back", "已回退", "Rolled back")
    rollback_failed = ("rollback_failed", "回退失败", "Rollback failed")
    skipped = ("skipped", "未执行", "Not applied")
