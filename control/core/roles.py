"""The roles a user can hold: who may do what is decided against these in every layer."""
from __future__ import annotations

from control.core.enums import LabeledEnum


class Role(LabeledEnum):
    admin = ("admin", "系统管理员", "Administrator")
    bureau = ("bureau", "大数据局审批人", "Big Data Bureau approver")
    infocenter = ("infocenter", "信息中心运维人员", "Information Center operator")
    department = ("department", "部门（用户单位）", "Department user")
    auditor = ("auditor", "审计人员", "Auditor")
    ops = ("ops", "运维值班", "Ops")
