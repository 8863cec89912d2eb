"""One registry of what people call things: each entity's field labels in zh-CN and English and the
enumerations of its values. The domains fill it at start (control/navigation.py, `install_labels`); the
audit log, the CSV export, validation messages and pages read it, so no reader shows a field name such as
`memory_gib` or an enum key such as `approved`. Core holds the registry only and imports no domain.

API (for every area):
    register(entity_type, {field: (zh, en)}, enums={field: LabeledEnum})   # a domain, at start
    field_label(field, locale="zh_CN", entity_type=None) -> str            # entity's label, else common
    value_label(field, value, locale="zh_CN", entity_type=None) -> str     # a value as people read it
    describe_changes(entity_type, changes, locale) -> str                  # an audit diff in one line
"""
from __future__ import annotations

from typing import Any

Label = tuple[str, str]          # (zh-CN, English)
COMMON = "*"                     # labels shared by every entity, used when the entity has none of its own

_FIELDS: dict[str, dict[str, Label]] = {}
_ENUMS: dict[str, dict[str, type]] = {}
_NESTED: dict[tuple[str, str], str] = {}      # (entity, field holding records) → the records' entity
_ROUTES: dict[str, str] = {}                  # URL path prefix → the entity its bodies describe


def register(entity_type: str, fields: dict[str, Label], enums: dict[str, type] | None = None,
             routes: tuple[str, ...] = (), nested: dict[str, str] | None = None) -> None:
    """Add (or replace) labels of one entity type; registering twice is harmless. `routes`: the URL
    prefixes (API and pages) whose bodies describe this entity, so a validation error there is labelled
    as this entity's field (`code` is 系统编码 under /systems, 统一社会信用代码 under /departments);
    `nested`: fields holding records of another entity (a request's `lines`)."""
    _FIELDS.setdefault(entity_type, {}).update(fields)
    _ENUMS.setdefault(entity_type, {}).update(enums or {})
    _ROUTES.update(dict.fromkeys(routes, entity_type))
    _NESTED.update({(entity_type, f): inner for f, inner in (nested or {}).items()})


def entity_for_path(path: str) -> str | None:
    """The entity whose fields a request to `path` sends: the longest registered prefix that holds it."""
    found = [p for p in _ROUTES if path == p or path.startswith(p.rstrip("/") + "/")]
    return _ROUTES[max(found, key=len)] if found else None


def _lookup(table: dict[str, dict[str, Any]], entity_type: str | None, name: str) -> Any:
    """The entity's own entry, then the common one, then (for a caller that does not know the entity) the
    first entity's label, or an enumeration only when every entity that has the field agrees on it."""
    for scope in (entity_type, COMMON):
        if scope is not None and name in table.get(scope, {}):
            return table[scope][name]
    if entity_type is None:
        found = {id(fields[name]): fields[name] for fields in table.values() if name in fields}
        if len(found) == 1 or table is _FIELDS:
            return next(iter(found.values()), None)
    return None


def has_label(entity_type: str, name: str) -> bool:
    return name in _FIELDS.get(entity_type, {}) or name in _FIELDS.get(COMMON, {})


def field_label(name: str, locale: str = "zh_CN", entity_type: str | None = None) -> str:
    """The label of a field in the locale; an unregistered name is shown as it is (a unit test keeps every
    audited field registered)."""
    found = _lookup(_FIELDS, entity_type, name)
    if found is None:
        return name
    return found[1] if locale.startswith("en") else found[0]


def loc_label(loc: str | tuple | list, locale: str = "zh_CN", entity_type: str | None = None) -> str:
    """The place a validation error names (`lines.0.vcpu`, or pydantic's loc tuple) as words:
    资源明细第 1 项 · vCPU（核）. The transport parts (body, query, path) are left out."""
    parts = [p for p in (loc.split(".") if isinstance(loc, str) else loc) if p not in ("body", "query", "path")]
    en = locale.startswith("en")
    words: list[str] = []
    for part in parts:
        if isinstance(part, int) or (isinstance(part, str) and part.isdecimal()):
            n = int(part) + 1
            if words:
                words[-1] += f" #{n}" if en else f"第 {n} 项"
            continue
        if str(part).startswith(("function-", "model-", "union[")) or "[" in str(part):
            continue      # pydantic's names of validators and union members are no field
        words.append(field_label(str(part), locale, entity_type))
        entity_type = _NESTED.get((entity_type or "", str(part)), entity_type)
    return " · ".join(words)


def loc_entity(loc: str | tuple | list, entity_type: str | None = None) -> str | None:
    """The entity whose field the last part of `loc` is (a request's `lines.0.kind` is a resource line's)."""
    parts = loc.split(".") if isinstance(loc, str) else loc
    for part in parts[:-1]:
        entity_type = _NESTED.get((entity_type or "", str(part)), entity_type)
    return entity_type


def value_enum(name: str, entity_type: str | None = None) -> type | None:
    return _lookup(_ENUMS, entity_type, name)


def value_label(name: str, value: Any, locale: str = "zh_CN", entity_type: str | None = None) -> str:
    """One recorded value as people read it: enum labels, 是/否, lists joined, nested records with their
    fields' labels, — for nothing."""
    en = locale.startswith("en")
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return ("Yes" if value else "No") if en else ("是" if value else "否")
    if isinstance(value, list):
        sep = "; " if en else "；" if any(isinstance(v, dict) for v in value) else "、"
        return sep.join(value_label(name, v, locale, entity_type) for v in value)
    if isinstance(value, dict):
        parts = [f"{field_label(k, locale, entity_type)}{': ' if en else '：'}{value_label(k, v, locale, entity_type)}"
                 for k, v in value.items() if v not in (None, "", [], {})]
        return ("(" + ", ".join(parts) + ")") if en else ("（" + "，".join(parts) + "）")
    enum = value_enum(name, entity_type)
    if enum is not None and isinstance(value, str):
        try:
            return enum(value).label(locale)
        except ValueError:
            pass
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def change_pairs(changes: dict[str, Any]) -> list[tuple[str, Any, Any, bool]]:
    """(field, old, new, is_pair) of an audit entry's changes: a [old, new] pair or a plain value (a list of
    two records, such as two trims, is a value)."""
    out = []
    for key, v in changes.items():
        if isinstance(v, list) and len(v) == 2 and not all(isinstance(x, dict) for x in v):
            out.append((key, v[0], v[1], True))
        else:
            out.append((key, None, v, False))
    return out


def describe_changes(entity_type: str, changes: dict[str, Any], locale: str = "zh_CN") -> str:
    """An audit entry's changes in one line for people (the CSV export): 标签：旧 → 新；…"""
    en = locale.startswith("en")
    parts = []
    for key, old, new, pair in change_pairs(changes):
        if pair and old is None and new in (None, "", [], False):
            continue
        text = value_label(key, new, locale, entity_type)
        if pair and old is not None:
            text = f"{value_label(key, old, locale, entity_type)} → {text}"
        parts.append(f"{field_label(key, locale, entity_type)}{': ' if en else '：'}{text}")
    return ("; " if en else "；").join(parts)


# Keys every entity may record (core's own entities are registered here too: core knows them).
register(COMMON, {
    "id": ("编号", "ID"), "comment": ("说明", "Comment"), "reason": ("理由", "Reason"), "status": ("状态", "Status"),
    "name": ("名称", "Name"), "department_id": ("部门", "Department"), "note": ("备注", "Note"),
    "active": ("启用", "Active"), "deleted_at": ("删除时间", "Deleted at"),
})
register("calendar_year", {
    "arrangement": ("节假日安排", "Holiday arrangement"), "year": ("年份", "Year"), "source": ("来源", "Source"),
    "holidays": ("放假日期", "Holidays"), "workdays": ("调休上班日期", "Make-up working days"),
    "updated_by": ("修改人", "Updated by"),
})

# What the audit log calls the actions and the entity types the services record.
ACTIONS: dict[str, Label] = {
    "create": ("新增", "Create"), "update": ("修改", "Update"), "delete": ("删除", "Delete"),
    "import": ("导入", "Import"),
    "replace": ("替换", "Replace"), "start": ("投入运行", "Start"), "stop": ("停止运行", "Stop"),
    "decommission": ("下线", "Decommission"), "deactivate": ("停用", "Deactivate"), "scan": ("扫描", "Scan"),
    "reclaim": ("收回", "Reclaim"), "attach": ("上传附件", "Attach"), "submit": ("提交", "Submit"),
    "cancel": ("撤销", "Withdraw"), "approve": ("通过", "Approve"), "return": ("退回修改", "Return for revision"),
    "reject": ("驳回", "Reject"), "assess": ("评估通过", "Assess"), "deliver": ("交付", "Deliver"),
    "confirm": ("确认", "Confirm"), "exempt": ("豁免", "Exempt"), "plan_cleanup": ("安排清理", "Plan clean-up"),
    "complete_cleanup": ("完成清理", "Complete clean-up"), "respond": ("部门说明", "Respond"),
    "open": ("发现疑似", "Open case"), "scan-update": ("扫描更新", "Updated by scan"),
    "unlock": ("解锁", "Unlock"), "reset_password": ("重置密码", "Reset password"),
    "change_password": ("修改密码", "Change password"),
    # private networks (业务专网)
    "connect": ("联通", "Connect"), "migrate": ("开始迁移", "Start migration"),
    "withdraw": ("撤销专网", "Withdraw network"), "merge": ("合并专网", "Merge network"),
    "convert": ("改造专网", "Convert network"),
    "remove_classified": ("标为涉密并移出本平台", "Marked classified and removed"),
    # migration plans (迁移计划): the steps ticked off, per-system steps and in-house exceptions
    "complete": ("确认迁移完成", "Confirm migration complete"), "start_migration": ("开始迁移", "Start migration"),
    "finish_migration": ("完成迁移", "Finish migration"), "pause_migration": ("暂停迁移", "Pause migration"),
    "request_exception": ("申请自行部署例外", "Request in-house exception"),
    "approve_exception": ("批准例外", "Approve exception"), "reject_exception": ("不批准例外", "Reject exception"),
    # devices (网络设备): inventory file sync, config backups, drift found and accepted
    "sync": ("按清单文件同步", "Sync from inventory file"), "backup": ("备份配置", "Back up config"),
    "drift": ("发现配置漂移", "Config drift found"), "accept_drift": ("确认配置漂移", "Accept config drift"),
    # automation changes (变更): people's actions, then what the runs report
    "check": ("检查变更", "Check change"), "apply": ("执行变更", "Apply change"), "rollback": ("回退变更", "Roll back"),
    "resume": ("继续执行", "Resume"), "check_passed": ("检查完成", "Check passed"),
    "check_failed": ("检查失败", "Check failed"), "sent": ("命令下发完成", "Commands sent"),
    "resumed": ("继续下发", "Resumed"), "verified": ("验证通过", "Verified"), "failed": ("变更失败", "Failed"),
    "cancelled": ("已取消", "Cancelled"), "interrupted": ("运行中断", "Interrupted"),
    "rolled_back": ("回退完成", "Rolled back"), "rollback_failed": ("回退失败", "Rollback failed"),
}
ENTITY_TYPES: dict[str, Label] = {
    "system": ("信息系统", "Information system"), "department": ("部门", "Department"), "user": ("用户", "User"),
    "cloud_request": ("云资源申请", "Cloud request"), "cloud_capacity": ("云资源容量", "Cloud capacity"),
    "cloud_quota": ("云资源配额", "Cloud quota"), "calendar_year": ("节假日安排", "Holiday arrangement"),
    "zombie_scan": ("僵尸系统扫描", "Zombie scan"), "zombie_case": ("僵尸系统审核", "Zombie case"),
    "usage_metrics": ("使用指标", "Usage metrics"),
    "private_network": ("业务专网", "Private network"),
    "migration_plan": ("迁移计划", "Migration plan"), "migration_plan_system": ("计划内系统", "System in plan"),
    "migration_exception": ("自行部署例外", "In-house exception"),
    "device": ("网络设备", "Network device"), "change": ("自动化变更", "Automation change"),
}


def action_label(action: str, locale: str = "zh_CN") -> str:
    found = ACTIONS.get(action)
    return action if found is None else found[1] if locale.startswith("en") else found[0]


def entity_type_label(entity_type: str, locale: str = "zh_CN") -> str:
    found = ENTITY_TYPES.get(entity_type)
    return entity_type if found is None else found[1] if locale.startswith("en") else found[0]
