"""Migration plan enumerations (article 11: private networks onto the extranet or intranet; article 31:
systems onto the government cloud), stable English values with zh-CN labels."""
from __future__ import annotations

from control.core.enums import LabeledEnum


class PlanKind(LabeledEnum):
    private_network = ("private_network", "业务专网迁移计划", "Private-network migration plan", "专网", "专网迁移")
    cloud = ("cloud", "信息系统迁移上云计划", "Cloud migration plan", "上云", "迁移上云", "系统上云")


class Target(LabeledEnum):
    """Where a private network's systems go (第二条: the extranet's three zones, or the intranet)."""
    extranet_public = ("extranet_public", "政务外网公用网络区", "Extranet public zone", "公用网络区", "公用区")
    extranet_dedicated = ("extranet_dedicated", "政务外网专用网络区", "Extranet dedicated zone", "专用网络区",
                          "专用区")
    extranet_internet = ("extranet_internet", "政务外网互联网接入区", "Extranet internet access zone",
                         "互联网接入区", "互联网区")
    intranet = ("intranet", "电子政务内网", "E-government intranet", "政务内网", "内网")


class PlanStatus(LabeledEnum):
    """Where a plan stands: the stage it is at (第十一条: 自查 → 逐级审核 → 大数据局审批 → 联通 → 迁移 → 撤并改;
    第三十一条: 自查 → 申请 → 审批 → 迁移)."""
    draft = ("draft", "草稿（自查）", "Draft (self-check)", "草稿", "自查")
    review = ("review", "逐级审核中", "Under review in the department chain", "逐级审核")
    approval = ("approval", "待大数据局审批", "Awaiting Bureau approval", "审批", "大数据局审批")
    connect = ("connect", "联通阶段", "Connecting", "联通")
    migrate = ("migrate", "迁移阶段", "Migrating", "迁移")
    withdraw = ("withdraw", "撤并改阶段", "Withdraw / merge / convert", "撤并改")
    migration = ("migration", "系统迁移上云中", "Systems migrating to the cloud", "迁移上云")
    completed = ("completed", "已完成", "Completed", "完成")
    returned = ("returned", "退回修改", "Returned for revision")
    cancelled = ("cancelled", "已撤销", "Cancelled")


EDITABLE = (PlanStatus.draft, PlanStatus.returned)


class SystemState(LabeledEnum):
    """One system of a cloud plan (第三十一条)."""
    pending = ("pending", "待迁移", "Pending")
    migrating = ("migrating", "迁移中", "Migrating")
    migrated = ("migrated", "已迁移", "Migrated")
    exception = ("exception", "例外（自行部署）", "Exception (kept in-house)", "例外")


class ExceptionReason(LabeledEnum):
    """Why a system asks to stay in-house (第三十一条: 专业性强、安全性高、体量大)."""
    specialised = ("specialised", "专业性强", "Highly specialised", "专业性较强")
    high_security = ("high_security", "安全性要求高", "High security", "安全性高", "安全要求高")
    very_large = ("very_large", "体量大", "Very large", "体量巨大", "规模大")


class ExceptionStatus(LabeledEnum):
    requested = ("requested", "待审批", "Awaiting decision", "已申请")
    approved = ("approved", "已批准", "Approved")
    rejected = ("rejected", "未批准", "Rejected", "驳回")
