"""The census workbook's layout, shared by the template, the export and the import: sheet names,
column headers, and how a header or sheet name written by hand is recognised."""
from __future__ import annotations

from typing import Any

from control.core.enums import normalize_text
from control.systems.enums import SystemKind
from control.systems.fields import CENSUS_FIELDS, CensusField

SELF_SHEET, VERTICAL_SHEET, SHARING_SHEET = "自建系统", "垂管系统", "信息资源共享"
HELP_SHEET, LISTS_SHEET = "填写说明", "选项"
SHEET_KINDS = {SELF_SHEET: SystemKind.self_built, VERTICAL_SHEET: SystemKind.vertical}
DEPT_NAME, DEPT_CODE = "部门名称", "部门代码"
SYSTEM_NAME, DIRECTION, RESOURCE, COUNTERPART, METHOD = "系统名称", "类别", "信息资源名称", "对方部门", "共享方式"
SHARING_HEADERS = [DEPT_NAME, DEPT_CODE, SYSTEM_NAME, DIRECTION, RESOURCE, COUNTERPART, METHOD]
REQUIRED_MARK = "*"


def fields_of(kind: SystemKind) -> list[CensusField]:
    """The columns of a sheet: every census field for 自建, the reduced form (附件3) for 垂管."""
    return [f for f in CENSUS_FIELDS if kind == SystemKind.self_built or f.vertical]


def header(f: CensusField) -> str:
    return REQUIRED_MARK + f.zh if f.required else f.zh


def comparable(text: Any) -> str:
    """A header or sheet name as compared: width, spaces and the required mark do not matter."""
    return normalize_text(text or "").replace(" ", "").lstrip(REQUIRED_MARK)


SHEET_MARKS = {"自建": SELF_SHEET, "垂管": VERTICAL_SHEET, "共享": SHARING_SHEET}


def sheet_kind(name: str) -> str | None:
    """Which template sheet a sheet is, tolerating renamed ones such as “自建系统（附件2）” or “垂管”."""
    written = comparable(name)
    return next((sheet for mark, sheet in SHEET_MARKS.items() if mark in written), None)

