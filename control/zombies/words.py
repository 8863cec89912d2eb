"""A criterion's observed values and thresholds as people read them: each value by its name, in words, with
its unit (有业务请求数据的天数：90 天), never as a key=value pair. Pure: no database, no HTTP."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from control.systems.enums import UsageFrequency, UseScope

# key → (zh-CN, English, unit kind)
MEASURES: dict[str, tuple[str, str, str]] = {
    # observed
    "days_with_requests": ("有业务请求数据的天数", "Days with request data", "days"),
    "days_requests_at_or_below": ("业务请求不超过阈值的天数", "Days with requests at or below the threshold", "days"),
    "days_with_logins": ("有登录数据的天数", "Days with login data", "days"),
    "logins": ("登录次数合计", "Logins in all", "times"),
    "share_of_days_at_or_below": ("不超过阈值的天数占比", "Share of days at or below the threshold", "share"),
    "replaced_by": ("登记的替代系统", "Registered replacement", "text"),
    "most_similar": ("功能最相似的系统", "Most similar system", "text"),
    "similarity": ("功能描述相似度", "Description similarity", "share"),
    "days_with_data": ("有 CPU 与网络数据的天数", "Days with CPU and network data", "days"),
    "idle_days": ("空闲天数", "Idle days", "days"),
    "share_of_days_idle": ("空闲天数占比", "Share of idle days", "share"),
    "last_deployment_day": ("最近一次变更发布", "Last release", "date"),
    "last_recorded_change": ("最近一次记录在案的变更", "Last recorded change", "date"),
    "om_vendors": ("运维单位", "O&M vendors", "text"),
    "om_cost_yearly": ("年度运维经费", "Yearly O&M cost", "money"),
    "warranty_ends": ("质保期结束", "Warranty ends", "date"),
    "use_scopes": ("使用范围", "Scope of use", "scopes"),
    "usage_frequency": ("填报的使用频度", "Reported frequency of use", "frequency"),
    "days_with_active_users": ("有活跃用户数据的天数", "Days with active-user data", "days"),
    "days_active_users_at_or_below": ("活跃用户不超过阈值的天数", "Days with active users at or below the threshold",
                                      "days"),
    # thresholds
    "max_requests_per_day": ("每日业务请求上限", "Requests per day at most", "requests"),
    "min_share_of_days": ("天数占比不低于", "Share of days at least", "share"),
    "min_coverage": ("数据覆盖率不低于", "Data coverage at least", "share"),
    "min_similarity": ("相似度不低于", "Similarity at least", "share"),
    "ngram": ("比较的字长", "Characters compared", "chars"),
    "max_cpu_p95": ("CPU 使用率 P95 上限", "CPU p95 at most", "share"),
    "max_network_bytes": ("每日网络流量上限", "Network traffic per day at most", "bytes"),
    "window_days": ("观察窗口", "Window", "days"),
    "scope": ("使用范围", "Scope of use", "scopes"),
    "low_frequencies": ("视为低频的使用频度", "Frequencies counted as low", "frequency"),
    "max_active_users": ("每日活跃用户上限", "Active users per day at most", "users"),
}

_UNITS = {"days": ("天", " days"), "times": ("次", " logins"), "requests": ("笔", " requests"),
          "users": ("人", " users"), "chars": ("个字", " characters")}


def human_bytes(value: float, en: bool = False) -> str:
    """Bytes in the largest unit that keeps the figure at or above 1 (1.5 GB, 200 MB)."""
    for size, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if abs(value) >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:g} {'bytes' if en else '字节'}"


def value_words(kind: str, value: Any, locale: str = "zh_CN") -> str:
    """One value with its unit."""
    en = locale.startswith("en")
    if value is None or value == "" or value == []:
        return "none" if en else "无"
    if kind == "share":
        return f"{float(value):.0%}"
    if kind == "bytes":
        return human_bytes(float(value), en)
    if kind == "money":
        return f"{Decimal(str(value)).normalize():f} {'×10k yuan' if en else '万元'}"
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind in ("scopes", "frequency"):
        enum = UseScope if kind == "scopes" else UsageFrequency
        items = value if isinstance(value, (list, tuple)) else [value]
        return ("、" if not en else ", ").join(_label(enum, v, locale) for v in items)
    if kind in _UNITS:
        number = f"{float(value):g}"
        zh, en_unit = _UNITS[kind]
        return f"{number}{en_unit}" if en else f"{number} {zh}"
    return str(value)


def _label(enum: type, value: str, locale: str) -> str:
    try:
        return enum(value).label(locale)
    except ValueError:
        return str(value)


def measure_label(key: str, locale: str = "zh_CN") -> str:
    zh, en, _ = MEASURES.get(key, (key, key, "text"))
    return en if locale.startswith("en") else zh


def describe(values: dict[str, Any], locale: str = "zh_CN") -> list[str]:
    """Each observed value or threshold as “name：value unit”."""
    sep = ": " if locale.startswith("en") else "："
    return [f"{measure_label(k, locale)}{sep}{value_words(MEASURES.get(k, ('', '', 'text'))[2], v, locale)}"
            for k, v in values.items()]
