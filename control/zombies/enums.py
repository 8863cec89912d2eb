"""Zombie-system enumerations: usage metrics, criteria, verdicts and review states."""
from __future__ import annotations

from control.core.enums import LabeledEnum


class Metric(LabeledEnum):
    """The canonical daily usage metrics, one value per system per day."""
    cpu_p95 = ("cpu_p95", "CPU 使用率 P95", "CPU p95 (ratio)")
    memory_avg = ("memory_avg", "内存平均使用率", "Memory average (ratio)")
    network_bytes = ("network_bytes", "网络流量（字节/日）", "Network bytes per day")
    requests = ("requests", "业务请求数（笔/日）", "Business transactions per day")
    active_users = ("active_users", "活跃用户数（人/日）", "Distinct active users per day")
    logins = ("logins", "登录次数（次/日）", "Logins per day")
    deployments = ("deployments", "变更发布次数（次/日）", "Changes or releases per day")


class Criterion(LabeledEnum):
    business_disconnected = (
        "business_disconnected",
        "使用与实际业务流程长期脱节",
        "Long disconnected from the business",
    )
    replaceable = ("replaceable", "功能可被其他系统替代", "Function can be replaced")
    idle_resources = ("idle_resources", "所占用资源长期处于空闲状态", "Resources long idle")
    maintenance_stopped = ("maintenance_stopped", "运行维护停止更新服务", "O&M stopped updating it")
    small_scope_low_frequency = ("small_scope_low_frequency", "使用范围小、频度低", "Small scope, low frequency")


class CriterionStatus(LabeledEnum):
    held = ("held", "符合", "Held")
    possible = ("possible", "可能符合（弱证据）", "Possible (weak evidence)")
    not_held = ("not_held", "不符合", "Not held")
    insufficient_data = ("insufficient_data", "数据不足", "Insufficient data")
    disabled = ("disabled", "未启用", "Switched off")


class VerdictStatus(LabeledEnum):
    candidate = ("candidate", "疑似僵尸系统", "Candidate")
    healthy = ("healthy", "未发现问题", "Not a candidate")
    insufficient_data = ("insufficient_data", "数据不足，无法判断", "Too little data")


class CaseState(LabeledEnum):
    """The auditors' review of one system: candidate → confirmed | exempted → clean-up planned → cleaned up.
    A candidate whose criteria stop holding is cleared by the scan that shows it."""
    candidate = ("candidate", "待审核", "Awaiting review")
    confirmed = ("confirmed", "已确认", "Confirmed")
    exempted = ("exempted", "已豁免", "Exempted")
    cleanup_planned = ("cleanup_planned", "已安排清理", "Clean-up planned")
    cleaned_up = ("cleaned_up", "已清理", "Cleaned up")
    cleared = ("cleared", "已自动解除", "Cleared by a later scan")


OPEN_CASE_STATES = (CaseState.candidate, CaseState.confirmed, CaseState.exempted, CaseState.cleanup_planned)
