"""What the web layer shows of the domains: the navigation, and the labels of every entity's fields (each
domain registers its own in core's label registry). Given to the app at start, so control/web imports no
domain."""
from __future__ import annotations

from control.automation import labels as automation_labels
from control.cloud import labels as cloud_labels
from control.core import labels
from control.core.roles import Role
from control.devices import labels as devices_labels
from control.migration import labels as migration_labels
from control.networks import labels as networks_labels
from control.org import labels as org_labels
from control.systems import labels as systems_labels
from control.systems.service import WRITE_ROLES
from control.web.render import NavEntry
from control.zombies import labels as zombies_labels

# The navigation, in order. A new page adds one line here (its label also goes into the .po).
NAV: list[NavEntry] = [
    NavEntry("/", "首页", None),
    NavEntry("/systems", "信息系统清单", None),
    NavEntry("/systems/import", "导入普查表", WRITE_ROLES),
    NavEntry("/departments", "部门", None),
    NavEntry("/cloud", "云资源申请", None),
    NavEntry("/cloud/capacity", "容量与配额", (Role.admin, Role.infocenter, Role.bureau, Role.auditor)),
    NavEntry("/plans", "迁移计划", None),
    NavEntry("/plans/board", "迁移进度看板", None),
    NavEntry("/calendar", "工作日日历", None),
    NavEntry("/zombies", "僵尸系统", None),
    NavEntry("/networks", "业务专网", None),
    NavEntry("/devices", "网络设备", None),
    NavEntry("/changes", "自动化变更", (Role.admin, Role.infocenter, Role.ops, Role.auditor, Role.department,
                                         Role.bureau)),
    NavEntry("/runs", "自动化运行", (Role.admin, Role.infocenter, Role.ops, Role.auditor, Role.department,
                                       Role.bureau)),
    NavEntry("/audit", "审计日志", (Role.admin, Role.auditor)),
    NavEntry("/users", "用户", (Role.admin,)),
]



def install_labels() -> None:
    """Fill core's label registry with every domain's field labels (the app and the CLI call it at start)."""
    for domain in (org_labels, systems_labels, cloud_labels, zombies_labels, networks_labels,
                   migration_labels, devices_labels, automation_labels):
        domain.install()


def field_label(name: str, locale: str = "zh_CN", entity_type: str | None = None) -> str:
    """The label of a field a page or an error names (`lines.0.vcpu` → 资源明细第 1 项 · vCPU（核）), as a field
    of `entity_type` (templates: field_label('needed_by', 'cloud_request'); by default the entity of the
    page's path)."""
    return labels.loc_label(name, locale, entity_type)


# Label helpers that templates call by name: stage and outcome names of cloud requests, and the names of
# actions (buttons, history) in the reader's locale.
TEMPLATE_GLOBALS = {"stage_label": cloud_labels.stage_label, "outcome_label": cloud_labels.outcome_label,
                    "action_name": labels.action_label}

__all__ = ["NAV", "TEMPLATE_GLOBALS", "field_label", "install_labels"]
