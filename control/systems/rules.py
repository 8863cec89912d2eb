"""Pure rules of the inventory: the lifecycle and the consistency checks of a census record.
No database, no HTTP."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from control.systems.enums import ReachMethod, SystemKind, SystemStatus
from control.systems.fields import CLASSIFIED_FIELDS, FIELDS_BY_NAME, VERTICAL_FIELDS

# registered → running ↔ stopped → decommissioned
TRANSITIONS: dict[tuple[SystemStatus, SystemStatus], str] = {
    (SystemStatus.registered, SystemStatus.running): "start",
    (SystemStatus.stopped, SystemStatus.running): "start",
    (SystemStatus.running, SystemStatus.stopped): "stop",
    (SystemStatus.stopped, SystemStatus.decommissioned): "decommission",
}
ACTIONS = {"start": SystemStatus.running, "stop": SystemStatus.stopped,
           "decommission": SystemStatus.decommissioned}

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")


def transition_error(current: SystemStatus, target: SystemStatus) -> str | None:
    """None when current → target is allowed, else the zh-CN reason it is refused."""
    if current == target or (current, target) in TRANSITIONS:
        return None
    allowed = [t.zh for (c, t) in TRANSITIONS if c == current]
    if not allowed:
        return f"系统已处于“{current.zh}”状态，不能再变更为“{target.zh}”"
    return f"系统当前为“{current.zh}”，只能变更为：{'、'.join(allowed)}，不能直接变更为“{target.zh}”"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def validate_system(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Consistency of one census record as a whole: [(field, zh-CN message, code)].
    `data` holds field values already parsed to Python types."""
    errors: list[tuple[str, str, str]] = []
    code = data.get("code")
    if code and not CODE_RE.match(code):
        errors.append(("code", "系统编码只能由字母、数字和 . _ - 组成，2–64 位，且以字母或数字开头", "invalid_code"))
    if not (data.get("name") or "").strip():
        errors.append(("name", "系统名称必填", "required"))
    if data.get("is_classified"):
        extra = [f for f in FIELDS_BY_NAME if f not in CLASSIFIED_FIELDS and not _empty(data.get(f))]
        for f in extra:
            errors.append((f, f"涉密系统只登记最少字段，不得填写“{FIELDS_BY_NAME[f].zh}”", "classified_minimal"))
        return errors
    if data.get("classified_grade"):
        errors.append(("classified_grade", "非涉密系统不填涉密等级；等级保护级别请填“安全等级”", "not_classified"))
    if data.get("kind") == SystemKind.vertical:
        extra = [f for f in FIELDS_BY_NAME if f not in VERTICAL_FIELDS and not _empty(data.get(f))]
        for f in extra:
            errors.append((f, f"垂管系统问卷（附件3）不含“{FIELDS_BY_NAME[f].zh}”", "vertical_reduced"))
        return errors
    level = data.get("protection_level")
    if level is not None and not 1 <= level <= 5:
        errors.append(("protection_level", "等级保护级别应为 1–5 级", "out_of_range"))
    reach = data.get("can_reach_external")
    if reach is True:
        if not data.get("reach_method"):
            errors.append(("reach_method", "可连接外网或互联网的，必须填写连接方式", "required"))
        elif data.get("reach_method") == ReachMethod.other and not data.get("reach_method_other"):
            errors.append(("reach_method_other", "连接方式为“其他”的，请填写实际使用的连接方式", "required"))
        if data.get("no_reach_reason"):
            errors.append(("no_reach_reason", "可连接外网或互联网的，不填“不可连接的原因”", "contradiction"))
    elif reach is False:
        if not data.get("no_reach_reason"):
            errors.append(("no_reach_reason", "不可连接外网或互联网的，必须填写原因", "required"))
        if data.get("reach_method"):
            errors.append(("reach_method", "不可连接外网或互联网的，不填连接方式", "contradiction"))
    count = data.get("user_count")
    if count is not None and count < 0:
        errors.append(("user_count", "用户数量不能为负数", "out_of_range"))
    if count is not None and data.get("user_count_varies"):
        errors.append(("user_count", "用户数量不能既是数字又是“不固定”", "contradiction"))
    for money in ("build_cost", "om_cost_yearly", "warranty_years"):
        value = data.get(money)
        if value is not None and Decimal(value) < 0:
            errors.append((money, f"“{FIELDS_BY_NAME[money].zh}”不能为负数", "out_of_range"))
    return errors
