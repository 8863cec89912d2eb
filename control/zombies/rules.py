"""The five zombie criteria, twice: as pure functions over one system's facts and usage aggregates,
which are the specification and explain a verdict in words (observed values and a zh-CN sentence;
explain() adds the thresholds and window), and as judge(), the same decisions as array arithmetic over
a whole scan (a property test keeps the two equal). A criterion whose data is missing is
insufficient_data, never held. No database, no HTTP."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from control.core.policy import ZombiePolicy
from control.systems.enums import UsageFrequency
from control.zombies.enums import Criterion, CriterionStatus, VerdictStatus


class St:
    """Criterion statuses as plain strings: Enum.value is a property, and a province-wide scan would
    read it half a million times."""
    held = CriterionStatus.held.value
    possible = CriterionStatus.possible.value
    not_held = CriterionStatus.not_held.value
    insufficient_data = CriterionStatus.insufficient_data.value
    disabled = CriterionStatus.disabled.value


BUSINESS, REPLACEABLE, IDLE, MAINTENANCE, SMALL_SCOPE = (Criterion.business_disconnected.value,
                                                       Criterion.replaceable.value, Criterion.idle_resources.value,
                                                       Criterion.maintenance_stopped.value,
                                                       Criterion.small_scope_low_frequency.value)


@dataclass
class SystemFacts:
    """What the inventory says about a system."""
    id: int
    department_id: int
    name: str
    function_description: str | None = None
    replaced_by: str | None = None          # name of the system that replaces it
    use_scopes: list[str] = field(default_factory=list)
    usage_frequency: str | None = None
    om_vendors: str | None = None
    om_cost_yearly: Decimal | None = None
    build_date: date | None = None
    warranty_years: Decimal | None = None
    described: bool | None = None           # whether the description says anything (verdicts keep only this)

    def __post_init__(self) -> None:
        if self.described is None:
            self.described = is_described(self.function_description)


FACTS = [f.name for f in fields(SystemFacts)]


def is_described(text: str | None) -> bool:
    return bool((text or "").strip())


@dataclass
class Usage:
    """Day counts over each criterion's window (days with data, days under the threshold)."""
    req_days: int = 0
    req_low_days: int = 0
    login_days: int = 0
    logins: float = 0.0
    idle_days_with_data: int = 0
    idle_days: int = 0
    au_days: int = 0
    au_low_days: int = 0
    first_day: date | None = None            # first day any metric was observed
    last_deployment_day: date | None = None
    last_recorded_change: date | None = None  # from the audit log


def window(as_of: date, days: int) -> dict:
    return {"from": (as_of - timedelta(days=days - 1)).isoformat(), "to": as_of.isoformat(), "days": days}


def result(status: str, sentence: str, observed: dict | None = None, en: str = "") -> dict:
    """What a scan keeps per criterion, its sentence in zh-CN and English; explain() adds the thresholds
    and window, which are the same for every system of the scan and live once in its policy."""
    return {"status": status, "sentence": sentence, "sentence_en": en or sentence, "observed": observed or {}}


def thresholds(name: str, p: ZombiePolicy) -> dict:
    c = getattr(p.criteria, name)
    if name == BUSINESS:
        return {"max_requests_per_day": c.max_requests_per_day, "min_share_of_days": c.min_share_of_days,
                "min_coverage": p.min_coverage}
    if name == REPLACEABLE:
        return {"min_similarity": c.min_similarity, "ngram": c.ngram}
    if name == IDLE:
        return {"max_cpu_p95": c.max_cpu_p95, "max_network_bytes": c.max_network_bytes,
                "min_share_of_days": c.min_share_of_days, "min_coverage": p.min_coverage}
    if name == MAINTENANCE:
        return {"window_days": c.window_days}
    return {"scope": "office", "low_frequencies": c.low_frequencies, "max_active_users": c.max_active_users,
            "min_share_of_days": c.min_share_of_days}


def explain(criteria: dict, p: ZombiePolicy, as_of: date) -> dict:
    """A verdict's criteria with each one's thresholds and window, as reviewers and the API see them."""
    out = {}
    for name, r in criteria.items():
        enabled = r["status"] != St.disabled
        days = getattr(getattr(p.criteria, name), "window_days", None)
        out[name] = {"thresholds": thresholds(name, p) if enabled else {},
                     "window": window(as_of, days) if enabled and days else None, **r}
    return out


def business_disconnected(u: Usage, p: ZombiePolicy, as_of: date) -> dict:
    c = p.criteria.business_disconnected
    need = p.min_coverage * c.window_days
    obs = {"days_with_requests": u.req_days, "days_requests_at_or_below": u.req_low_days,
           "days_with_logins": u.login_days, "logins": u.logins}
    req_ok, login_ok = u.req_days >= need, u.login_days >= need
    share = u.req_low_days / u.req_days if u.req_days else 0.0
    obs["share_of_days_at_or_below"] = round(share, 4)
    if req_ok and share >= c.min_share_of_days:
        return result(St.held, f"近 {c.window_days} 天中有 {u.req_low_days}/{u.req_days} 天业务请求不超过 "
                      f"{c.max_requests_per_day:g} 笔（{share:.0%}，阈值 {c.min_share_of_days:.0%}）", obs,
                      f"On {u.req_low_days} of {u.req_days} days in the last {c.window_days}, business transactions "
                      f"were at most {c.max_requests_per_day:g} ({share:.0%}, threshold {c.min_share_of_days:.0%})")
    if login_ok and u.logins == 0:
        return result(St.held, f"近 {c.window_days} 天无任何登录（{u.login_days} 天有登录数据）", obs,
                      f"No login in the last {c.window_days} days ({u.login_days} days with login data)")
    if not req_ok and not login_ok:
        return result(St.insufficient_data, f"近 {c.window_days} 天业务请求仅 {u.req_days} 天、登录仅 {u.login_days} 天"
                      f"有数据，不足 {need:.0f} 天，无法判断", obs,
                      f"In the last {c.window_days} days only {u.req_days} days of transactions and {u.login_days} of "
                      f"logins were recorded, fewer than {need:.0f}: cannot judge")
    parts, parts_en = [], []
    if req_ok:
        parts.append(
            f"业务请求不超过 {c.max_requests_per_day:g} 笔的天数占 {share:.0%}，低于 {c.min_share_of_days:.0%}"
        )
        parts_en.append(f"days with at most {c.max_requests_per_day:g} transactions are {share:.0%}, below "
                        f"{c.min_share_of_days:.0%}")
    if login_ok:
        parts.append(f"近 {c.window_days} 天共登录 {u.logins:g} 次")
        parts_en.append(f"{u.logins:g} logins in the last {c.window_days} days")
    return result(St.not_held, "；".join(parts), obs, "; ".join(parts_en).capitalize())


_NOT_WORD = re.compile(r"[\s\W_]+")


def ngrams(text: str | None, n: int) -> frozenset[str]:
    """The character n-grams of the text without spaces and punctuation."""
    text = _NOT_WORD.sub("", (text or "").lower())
    if len(text) <= n:
        return frozenset([text]) if text else frozenset()
    return frozenset(map("".join, zip(*(text[i:] for i in range(n)), strict=False)))


def dice(ga: frozenset[str], gb: frozenset[str]) -> float:
    """Sørensen–Dice similarity of two n-gram sets."""
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def replaceable(f: SystemFacts, similar: tuple[str, float] | None, p: ZombiePolicy) -> dict:
    """`similar`: the most similar other running system of the department and its similarity."""
    c = p.criteria.replaceable
    if f.replaced_by:
        return result(St.held, f"清单登记其功能已由“{f.replaced_by}”替代", {"replaced_by": f.replaced_by},
                      f"The inventory records its function as replaced by “{f.replaced_by}”")
    if not f.described:
        return result(St.insufficient_data, "清单未填写系统功能描述，也未登记替代系统，无法判断", None,
                      "The inventory has no function description and no replacement: cannot judge")
    if similar and similar[1] >= c.min_similarity:
        return result(St.possible, f"功能描述与本部门在运行的“{similar[0]}”高度相似（{similar[1]:.0%}，阈值 "
                      f"{c.min_similarity:.0%}），可能可被替代（弱证据）",
                      {"most_similar": similar[0], "similarity": round(similar[1], 4)},
                      f"Its description is very like that of “{similar[0]}”, running in the same department "
                      f"({similar[1]:.0%}, threshold {c.min_similarity:.0%}): possibly replaceable (weak evidence)")
    observed = {"most_similar": similar[0], "similarity": round(similar[1], 4)} if similar else {}
    return result(St.not_held, "未登记替代系统，功能描述与本部门其他在运行系统不相似", observed,
                  "No replacement recorded, and no running system of the department has a similar description")


def idle_resources(u: Usage, p: ZombiePolicy, as_of: date) -> dict:
    c = p.criteria.idle_resources
    need = p.min_coverage * c.window_days
    share = u.idle_days / u.idle_days_with_data if u.idle_days_with_data else 0.0
    obs = {"days_with_data": u.idle_days_with_data, "idle_days": u.idle_days, "share_of_days_idle": round(share, 4)}
    if u.idle_days_with_data < need:
        return result(St.insufficient_data, f"近 {c.window_days} 天仅 {u.idle_days_with_data} 天有 CPU 与网络数据，"
                      f"不足 {need:.0f} 天，无法判断", obs,
                      f"Only {u.idle_days_with_data} days of CPU and network data in the last {c.window_days}, "
                      f"fewer than {need:.0f}: cannot judge")
    sentence = (f"近 {c.window_days} 天中有 {u.idle_days}/{u.idle_days_with_data} 天 CPU P95 ≤ {c.max_cpu_p95:.0%} 且"
                f"网络流量 ≤ {c.max_network_bytes / 1e6:g} MB（{share:.0%}，阈值 {c.min_share_of_days:.0%}）")
    en = (f"On {u.idle_days} of {u.idle_days_with_data} days in the last {c.window_days}, CPU p95 ≤ "
          f"{c.max_cpu_p95:.0%} and network ≤ {c.max_network_bytes / 1e6:g} MB ({share:.0%}, threshold "
          f"{c.min_share_of_days:.0%})")
    return result(St.held if share >= c.min_share_of_days else St.not_held, sentence, obs, en)


def no_om(om_vendors: str | None, om_cost_yearly: Decimal | None) -> bool:
    """No O&M vendor and a yearly O&M cost of zero."""
    return not (om_vendors or "").strip() and om_cost_yearly is not None and om_cost_yearly == 0


def warranty_ends(build_date: date | None, warranty_years: Decimal | None, om_vendors: str | None) -> date | None:
    """When the warranty ends, for a system with no O&M vendor to take over from it."""
    if build_date and warranty_years is not None and not (om_vendors or "").strip():
        return build_date + timedelta(days=int(Decimal(warranty_years) * 365))
    return None


def maintenance_stopped(f: SystemFacts, u: Usage, p: ZombiePolicy, as_of: date) -> dict:
    c = p.criteria.maintenance_stopped
    since = as_of - timedelta(days=c.window_days - 1)
    obs = {"last_deployment_day": u.last_deployment_day.isoformat() if u.last_deployment_day else None,
           "last_recorded_change": u.last_recorded_change.isoformat() if u.last_recorded_change else None,
           "om_vendors": f.om_vendors or "", "om_cost_yearly": str(f.om_cost_yearly) if f.om_cost_yearly is not None
           else None}
    if no_om(f.om_vendors, f.om_cost_yearly):
        return result(St.held, "清单登记无运维单位，且年度运维经费为 0", obs,
                      "The inventory records no O&M vendor and a yearly O&M cost of 0")
    ends = warranty_ends(f.build_date, f.warranty_years, f.om_vendors)
    if ends:
        obs["warranty_ends"] = ends.isoformat()
        if ends < as_of:
            return result(St.held, f"质保期已于 {ends} 结束，且未登记运维单位", obs,
                          f"The warranty ended on {ends} and no O&M vendor is recorded")
    recent = [d for d in (u.last_deployment_day, u.last_recorded_change) if d and d >= since]
    if recent:
        return result(St.not_held, f"最近一次变更发布或记录在案的变更在 {max(recent)}（{c.window_days} 天内）", obs,
                      f"Last release or recorded change on {max(recent)} (within {c.window_days} days)")
    if u.first_day is None or u.first_day > since:
        return result(St.insufficient_data, f"观测不足 {c.window_days} 天（自 {u.first_day or '无数据'} 起），"
                      "无法确认是否停止更新；清单登记了运维安排", obs,
                      f"Observed for less than {c.window_days} days (since {u.first_day or 'no data'}): cannot tell "
                      "whether updates stopped; the inventory records O&M arrangements")
    return result(St.held, f"{c.window_days} 天内无任何变更发布，也无记录在案的变更", obs,
                  f"No release and no recorded change in {c.window_days} days")


def small_scope_low_frequency(f: SystemFacts, u: Usage, p: ZombiePolicy, as_of: date) -> dict:
    c = p.criteria.small_scope_low_frequency
    need = p.min_coverage * c.window_days
    share = u.au_low_days / u.au_days if u.au_days else 0.0
    obs = {"use_scopes": f.use_scopes, "usage_frequency": f.usage_frequency, "days_with_active_users": u.au_days,
           "days_active_users_at_or_below": u.au_low_days, "share_of_days_at_or_below": round(share, 4)}
    if not f.use_scopes:
        return result(St.insufficient_data, "清单未填写使用范围，无法判断", obs,
                      "The inventory gives no scope of use: cannot judge")
    if f.use_scopes != ["office"]:
        return result(St.not_held, "使用范围超出科室内部", obs, "Used beyond one office")
    if f.usage_frequency in c.low_frequencies:
        frequency = UsageFrequency(f.usage_frequency)
        return result(St.held, f"仅科室内部使用，且普查填报使用频度为低频（{frequency.zh}）", obs,
                      f"Used inside one office only, at a low reported frequency ({frequency.en})")
    if u.au_days >= need:
        status = St.held if share >= c.min_share_of_days else St.not_held
        return result(status, f"仅科室内部使用；近 {c.window_days} 天中有 {u.au_low_days}/{u.au_days} 天活跃用户不超过 "
                      f"{c.max_active_users:g} 人（{share:.0%}，阈值 {c.min_share_of_days:.0%}）", obs,
                      f"Used inside one office only; on {u.au_low_days} of {u.au_days} days in the last "
                      f"{c.window_days}, at most {c.max_active_users:g} active users ({share:.0%}, threshold "
                      f"{c.min_share_of_days:.0%})")
    if f.usage_frequency:
        return result(St.not_held, "仅科室内部使用，但填报使用频度不低，且活跃用户数据不足", obs,
                      "Used inside one office only, but the reported frequency is not low and active-user data "
                      "is too thin")
    return result(St.insufficient_data, "仅科室内部使用，但未填报使用频度，活跃用户数据也不足", obs,
                  "Used inside one office only, but no frequency is reported and active-user data is too thin")


def evaluate(f: SystemFacts, u: Usage, p: ZombiePolicy, as_of: date,
             similar: tuple[str, float] | None) -> tuple[VerdictStatus, list[str], dict]:
    """The verdict: a candidate when (1) or (3) holds, or any two hold; too little data when neither
    (1) nor (3) could be judged and it is not a candidate on other grounds."""
    switches = p.criteria
    results = {
        BUSINESS: lambda: business_disconnected(u, p, as_of),
        REPLACEABLE: lambda: replaceable(f, similar, p),
        IDLE: lambda: idle_resources(u, p, as_of),
        MAINTENANCE: lambda: maintenance_stopped(f, u, p, as_of),
        SMALL_SCOPE: lambda: small_scope_low_frequency(f, u, p, as_of),
    }
    off = result(St.disabled, "该项判定已在策略中关闭", None, "Switched off in the policy")
    criteria = {name: compute() if getattr(switches, name).enabled else dict(off) for name, compute in results.items()}
    held = [k for k, v in criteria.items() if v["status"] == St.held]
    if BUSINESS in held or IDLE in held or len(held) >= 2:
        return VerdictStatus.candidate, held, criteria
    usage_blind = all(criteria[k]["status"] in (St.insufficient_data, St.disabled) for k in (BUSINESS, IDLE))
    return (VerdictStatus.insufficient_data if usage_blind else VerdictStatus.healthy), held, criteria


# --- a whole scan at once ------------------------------------------------------------------------------

CRITERIA = (BUSINESS, REPLACEABLE, IDLE, MAINTENANCE, SMALL_SCOPE)
STATUSES = np.array([St.not_held, St.held, St.possible, St.insufficient_data, St.disabled], dtype=object)
NOT_HELD, HELD, POSSIBLE, INSUFFICIENT, DISABLED = range(5)
VERDICTS = np.array([VerdictStatus.healthy, VerdictStatus.candidate, VerdictStatus.insufficient_data], dtype=object)
HEALTHY, CANDIDATE, BLIND = range(3)
COUNTS = [f.name for f in fields(Usage) if f.type in ("int", "float")]
DAYS = [f.name for f in fields(Usage) if f.type == "date | None"]


def usage_columns(n: int) -> dict[str, np.ndarray]:
    """Empty Usage columns for n systems: counts 0, days 0 (unknown) as day ordinals."""
    return {name: np.zeros(n, dtype=np.float64 if name == "logins" else np.int64) for name in COUNTS + DAYS}


def fact_columns(facts: list[SystemFacts]) -> dict[str, list]:
    """SystemFacts column by column (FACTS), as judge() takes them."""
    return {name: [getattr(f, name) for f in facts] for name in FACTS}


def judge(facts: dict[str, list], u: dict[str, np.ndarray], similarity: np.ndarray, p: ZombiePolicy,
          as_of: date) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The verdict codes (VERDICTS) and each criterion's status codes (STATUSES) of every system,
    with the decisions of the functions above: facts holds the FACTS columns (fact_columns(); a scan
    builds them from its query, without an object per system), u holds usage_columns(), similarity
    the Dice score of each system's most similar neighbour (0 when none)."""
    c, n = p.criteria, len(facts["id"])

    def each(test: Callable[..., object], *names: str) -> np.ndarray:
        """test() of each system's facts `names`, as booleans."""
        return np.fromiter(map(test, *(facts[name] for name in names)), dtype=bool, count=n)

    def share(low: np.ndarray, days: np.ndarray) -> np.ndarray:
        return np.divide(low, days, out=np.zeros(n), where=days > 0)

    def pick(*branches: tuple[np.ndarray, int], default: int) -> np.ndarray:
        return np.select([cond for cond, _ in branches], [code for _, code in branches], default)

    out: dict[str, np.ndarray] = {}
    bd = c.business_disconnected
    need = p.min_coverage * bd.window_days
    req_ok, login_ok = u["req_days"] >= need, u["login_days"] >= need
    out[BUSINESS] = pick((req_ok & (share(u["req_low_days"], u["req_days"]) >= bd.min_share_of_days), HELD),
                         (login_ok & (u["logins"] == 0), HELD), (~req_ok & ~login_ok, INSUFFICIENT), default=NOT_HELD)
    replaced, described = each(bool, "replaced_by"), each(bool, "described")
    out[REPLACEABLE] = pick((replaced, HELD), (~described, INSUFFICIENT),
                            (similarity >= c.replaceable.min_similarity, POSSIBLE), default=NOT_HELD)
    idle = c.idle_resources
    out[IDLE] = pick((u["idle_days_with_data"] < p.min_coverage * idle.window_days, INSUFFICIENT),
                     (share(u["idle_days"], u["idle_days_with_data"]) >= idle.min_share_of_days, HELD),
                     default=NOT_HELD)
    since = (as_of - timedelta(days=c.maintenance_stopped.window_days - 1)).toordinal()
    ended = each(lambda *f: bool((e := warranty_ends(*f)) and e < as_of), "build_date", "warranty_years", "om_vendors")
    out[MAINTENANCE] = pick((each(no_om, "om_vendors", "om_cost_yearly") | ended, HELD),
                            ((u["last_deployment_day"] >= since) | (u["last_recorded_change"] >= since), NOT_HELD),
                            ((u["first_day"] == 0) | (u["first_day"] > since), INSUFFICIENT), default=HELD)
    ss = c.small_scope_low_frequency
    scoped, office = each(bool, "use_scopes"), each(["office"].__eq__, "use_scopes")
    low = each(set(ss.low_frequencies).__contains__, "usage_frequency")
    au_ok = u["au_days"] >= p.min_coverage * ss.window_days
    out[SMALL_SCOPE] = pick((~scoped, INSUFFICIENT), (~office, NOT_HELD), (low, HELD),
                            (au_ok & (share(u["au_low_days"], u["au_days"]) >= ss.min_share_of_days), HELD),
                            (au_ok, NOT_HELD),
                            (each(bool, "usage_frequency"), NOT_HELD),
                            default=INSUFFICIENT)
    for name in CRITERIA:
        if not getattr(c, name).enabled:
            out[name] = np.full(n, DISABLED)
    held = sum((out[name] == HELD).astype(int) for name in CRITERIA)
    candidate = (out[BUSINESS] == HELD) | (out[IDLE] == HELD) | (held >= 2)
    blind = np.isin(out[BUSINESS], (INSUFFICIENT, DISABLED)) & np.isin(out[IDLE], (INSUFFICIENT, DISABLED))
    return pick((candidate, CANDIDATE), (blind, BLIND), default=HEALTHY), out
