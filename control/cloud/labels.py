"""What people call the fields, stages and outcomes of cloud requests, registered in core's label registry
at start. Pages import the helpers here (stage_label, outcome_label) or use core's field_label with the
entity types "cloud_request", "cloud_capacity", "cloud_quota"."""
from __future__ import annotations

from control.cloud.enums import LineKind, ReclaimReason, RequestStatus, Zone
from control.core import labels
from control.core.enums import LabeledEnum

# Amounts as pools, quotas and shortfalls count them.
RESOURCES: dict[str, labels.Label] = {
    "vcpu": ("vCPU（核）", "vCPUs"), "memory_gib": ("内存（GiB）", "Memory (GiB)"),
    "storage_gib": ("存储（GiB）", "Storage (GiB)"), "extranet_ips": ("政务外网IP（个）", "Extranet IPs"),
    "internet_ips": ("互联网IP（个）", "Internet IPs"), "bandwidth_mbps": ("带宽（Mbps）", "Bandwidth (Mbps)"),
}

# One resource line of a request (LineIn / ResourceLine).
LINE: dict[str, labels.Label] = {
    **RESOURCES,
    "kind": ("资源类型", "Resource type"), "count": ("数量", "Count"),
    "system_disk_gib": ("系统盘（GiB）", "System disk (GiB)"), "data_disk_gib": ("数据盘（GiB）", "Data disk (GiB)"),
    "os_image": ("操作系统镜像", "OS image"), "size_gib": ("容量（GiB）", "Size (GiB)"),
    "quantity": ("IP 地址数（个）", "IP addresses"), "product": ("产品", "Product"), "spec": ("规格", "Spec"),
    "note": ("备注", "Note"), "trimmed_from": ("核减前", "Before trimming"), "trim_reason": ("核减理由", "Trim reason"),
}

# The request itself, and what its actions record.
REQUEST: dict[str, labels.Label] = {
    "number": ("申请编号", "Request number"), "department_id": ("申请部门", "Requesting department"),
    "system_id": ("信息系统", "Information system"), "new_system_name": ("拟新建系统名称", "New system name"),
    "contact_name": ("联系人", "Contact"), "contact_phone": ("联系电话", "Contact phone"),
    "purpose": ("用途", "Purpose"), "needed_by": ("需求日期", "Needed by"), "use_until": ("使用截止日期", "Use until"),
    "zone": ("部署区域", "Zone"), "protection_level": ("安全等级（等保级别）", "Protection level"),
    "status": ("状态", "Status"), "review_plan": ("审核层级", "Review levels"),
    "review_index": ("当前审核层级", "Current review level"),
    "reviewer_department_id": ("审核部门", "Reviewing department"), "returned_from": ("退回环节", "Returned from"),
    "reclaim_reason": ("收回原因", "Reclaim reason"), "delivery_note": ("交付说明", "Delivery note"),
    "created_by": ("填报人", "Created by"), "submitted_by": ("提交人", "Submitted by"),
    "lines": ("资源明细", "Resource lines"), "comment": ("意见", "Comment"),
    "trims": ("评估核减", "Trims"), "line_id": ("资源行", "Resource line"), "from": ("核减前", "Before trimming"),
    "reason": ("理由", "Reason"), "delivered": ("已交付资源", "Delivered resources"),
    "name": ("名称", "Name"), "address": ("地址", "Address"),
    "attachment": ("附件", "Attachment"), "filename": ("文件名", "File name"), "sha256": ("SHA-256 摘要", "SHA-256"),
    "stage": ("办理环节", "Stage"),
    "request_id": ("申请", "Request"), "key": ("层级", "Level"), "working_days": ("工作日时限", "Working days"),
    **LINE,
}

class StageKey(LabeledEnum):
    """Stage keys of a request's stages (workflow_stage.stage; review:<level key> for review levels) and the
    policy's level keys."""
    acceptance = ("acceptance", "受理审批", "Acceptance and approval")
    assessment = ("assessment", "评估", "Assessment")
    delivery = ("delivery", "交付", "Delivery")
    review = ("review", "逐级审核", "Review")
    department_head = ("department_head", "本单位负责人审核", "Head of department review")
    superior_office = ("superior_office", "上级主管部门审核", "Superior office review")


STAGES: dict[str, labels.Label] = {k.value: (k.zh, k.en) for k in StageKey}
OUTCOMES: dict[str, labels.Label] = {
    "approved": ("通过", "Approved"), "returned": ("退回修改", "Returned for revision"),
    "rejected": ("驳回", "Rejected"), "assessed": ("评估通过", "Assessed"), "delivered": ("已交付", "Delivered"),
    "cancelled": ("已撤销", "Withdrawn"),
}


def _pick(label: labels.Label, locale: str) -> str:
    return label[1] if locale.startswith("en") else label[0]


def stage_label(stage: str | None, locale: str = "zh_CN", name: str | None = None) -> str:
    """A stage key (acceptance, review:department_head) as words; a level the policy named but this table
    does not know keeps the policy's name."""
    if not stage:
        return ""
    key = stage.removeprefix("review:")
    if key in STAGES:
        return _pick(STAGES[key], locale)
    return name or key


def outcome_label(outcome: str | None, locale: str = "zh_CN") -> str:
    if not outcome:
        return ""
    return _pick(OUTCOMES[outcome], locale) if outcome in OUTCOMES else outcome


def install() -> None:
    labels.register("cloud_request", REQUEST, enums={"status": RequestStatus, "zone": Zone, "kind": LineKind,
                                                     "reclaim_reason": ReclaimReason, "key": StageKey},
                    routes=("/api/v1/cloud-requests", "/cloud"), nested={"lines": "cloud_line"})
    labels.register("cloud_line", LINE, enums={"kind": LineKind})
    labels.register("cloud_capacity", {**RESOURCES, "zone": ("部署区域", "Zone")}, enums={"zone": Zone},
                    routes=("/api/v1/cloud-capacity", "/cloud/capacity"))
    labels.register("cloud_quota", {**RESOURCES, "department_id": ("部门", "Department")},
                    routes=("/api/v1/cloud-quotas",))
