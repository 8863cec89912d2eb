"""Cloud request enumerations (云资源需求申请表), stable English values with zh-CN labels."""
from __future__ import annotations

from control.core.enums import LabeledEnum
from control.core.stages import SlaState  # noqa: F401  (the SLA states cloud requests show)


class Zone(LabeledEnum):
    public = ("public", "政务外网公用网络区", "Extranet public zone", "公用网络区", "公共区")
    dedicated = ("dedicated", "政务外网专用网络区", "Extranet dedicated zone", "专用网络区", "专用区")
    internet_access = ("internet_access", "互联网接入区", "Internet access zone", "互联网区")


class RequestStatus(LabeledEnum):
    draft = ("draft", "草稿", "Draft")
    review = ("review", "逐级审核中", "Under review in the department chain")
    acceptance = ("acceptance", "受理审批中", "Awaiting Bureau acceptance and approval")
    assessment = ("assessment", "评估中", "Under Information Center assessment")
    delivery = ("delivery", "交付中", "Being delivered")
    in_use = ("in_use", "使用中", "In use")
    returned = ("returned", "退回修改", "Returned for revision")
    rejected = ("rejected", "已驳回", "Rejected")
    reclaimed = ("reclaimed", "已收回", "Reclaimed")
    cancelled = ("cancelled", "已撤销", "Cancelled")


OPEN_STATUSES = (RequestStatus.review, RequestStatus.acceptance, RequestStatus.assessment, RequestStatus.delivery)
HOLDING_STATUSES = (RequestStatus.delivery, RequestStatus.in_use)  # capacity reserved at assessment


class LineKind(LabeledEnum):
    vm = ("vm", "云主机", "Virtual machine", "虚拟机", "云服务器")
    block_storage = ("block_storage", "块存储", "Block storage", "云硬盘")
    object_storage = ("object_storage", "对象存储", "Object storage")
    file_storage = ("file_storage", "文件存储", "File storage", "NAS")
    extranet_ip = ("extranet_ip", "政务外网IP地址", "Extranet IP addresses", "外网IP")
    internet_ip = ("internet_ip", "互联网IP地址", "Internet IP addresses", "公网IP", "互联网IP")
    bandwidth = ("bandwidth", "带宽", "Bandwidth")
    database = ("database", "数据库服务", "Managed database", "数据库")
    middleware = ("middleware", "中间件服务", "Middleware", "中间件")
    security = ("security", "安全服务", "Security service", "WAF", "备份")


class ReclaimReason(LabeledEnum):
    end_date = ("end_date", "使用期满", "End date reached")
    requested = ("requested", "用户单位申请释放", "Released on request")
    zombie_cleanup = ("zombie_cleanup", "僵尸系统清理", "Zombie clean-up")


class NextStep(LabeledEnum):
    """The step a request waits for, as its next actor's line names it."""
    submit = ("submit", "提交", "submit")
    resubmit = ("resubmit", "修改后重新提交", "revise and resubmit")
    review = ("review", "审核", "review")
    acceptance = ("acceptance", "受理审批", "accept and approve")
    assessment = ("assessment", "评估", "assess")
    delivery = ("delivery", "交付", "deliver")
