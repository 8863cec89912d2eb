"""The one answer to classified (涉密) systems and networks: they belong to the Confidential Bureau's (保密局)
process, so automation, plans, exports and private-network records refuse them with the same zh-CN reason
and the same code, and the audit entry of a record that turned classified says only that it did."""
from __future__ import annotations

from typing import NoReturn

from control.core.errors import ValidationFailed

CODE = "classified"
REFUSAL = ("涉密信息系统和涉密网络属于党委机要局（保密局）的管理流程，不纳入本平台的迁移计划、自动化和导出，"
           "本平台不受理、不保存其任何信息")
# Why a record left a plan or a network, or was removed, when it turned classified: the history says this much.
LEFT = "已标为涉密，按保密局的程序办理，移出本平台"


def problem(field: str) -> tuple[str, str, str]:
    """(field, message, code) for a list of problems reported together."""
    return field, REFUSAL, CODE


def refuse(field: str) -> NoReturn:
    """422 with the one reason, naming the field that carried the classified system or network."""
    raise ValidationFailed(REFUSAL, code=CODE, errors=[{"field": field, "message": REFUSAL, "code": CODE}])
