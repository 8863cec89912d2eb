"""What the web layer shows of the domains: the navigation and the labels of field names on the error
page. Given to the app at start (app.state), so control/web imports no domain."""
from __future__ import annotations

from control.core.roles import Role
from control.systems.fields import label as field_label
from control.systems.service import WRITE_ROLES
from control.web.render import NavEntry

# The navigation, in order. A new page adds one line here (its label also goes into the .po).
NAV: list[NavEntry] = [
    NavEntry("/", "首页", None),
    NavEntry("/systems", "信息系统清单", None),
    NavEntry("/systems/import", "导入普查表", WRITE_ROLES),
    NavEntry("/departments", "部门", None),
    NavEntry("/cloud", "云资源申请", None),
    NavEntry("/cloud/capacity", "容量与配额", (Role.admin, Role.infocenter, Role.bureau, Role.auditor)),
    NavEntry("/calendar", "工作日日历", None),
    NavEntry("/zombies", "僵尸系统", None),
    NavEntry("/audit", "审计日志", (Role.admin, Role.auditor)),
    NavEntry("/users", "用户", (Role.admin,)),
]

__all__ = ["NAV", "field_label"]
