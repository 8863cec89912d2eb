"""Census workbooks (附件2 自建系统, 附件3 垂管系统): the blank template, export of any filtered list, and
an all-or-nothing import that names the sheet, row and column of every bad cell. The same layout goes
both ways, so exporting and importing again changes nothing. The import runs in four steps, one module
each: census_read (the file, with bounded memory), census_parse (cells → rows and errors), census_plan
(rows against the inventory) and service.apply_census (one transaction)."""
from __future__ import annotations

from typing import IO

from sqlmodel import Session

from control.core.auth import Actor
from control.core.batch import without_gc_pauses
from control.systems.census_export import export_workbook
from control.systems.census_layout import (
    DEPT_CODE,
    DEPT_NAME,
    SELF_SHEET,
    SHARING_HEADERS,
    SHARING_SHEET,
    SHEET_KINDS,
    VERTICAL_SHEET,
    fields_of,
    header,
    sheet_kind,
)
from control.systems.census_parse import DepartmentFinder, Errors, Row, read_sharing, read_system_sheet
from control.systems.census_plan import plan
from control.systems.census_read import WorkbookLimits, open_workbook
from control.systems.census_template import template_workbook
from control.systems.schemas import ImportResult
from control.systems.service import WRITE_ROLES, apply_census

# What the API, pages, CLI and bench use.
__all__ = ["DEPT_CODE", "DEPT_NAME", "SHARING_HEADERS", "SHARING_SHEET", "SHEET_KINDS", "WorkbookLimits",
           "export_workbook", "fields_of", "header", "import_workbook", "template_workbook"]


def import_workbook(session: Session, actor: Actor, data: bytes | IO[bytes],
                    limits: WorkbookLimits | None = None) -> ImportResult:
    """Check every row of every sheet first; then write all of it in one transaction, or nothing. `data` is
    the file's bytes or a seekable file (an upload spooled to disk is read from there, never copied)."""
    actor.require(*WRITE_ROLES)
    limits = limits or WorkbookLimits.of()
    with without_gc_pauses():
        return _import(session, actor, data, limits)


def _import(session: Session, actor: Actor, data: bytes | IO[bytes], limits: WorkbookLimits) -> ImportResult:
    reader = open_workbook(data, limits)
    errors = Errors(list(reader.sheets), limits.errors)
    kinds = {name: sheet_kind(name) for name in reader.sheets}
    if not any(kind in SHEET_KINDS for kind in kinds.values()):
        errors.add(None, None, None, f"工作簿中没有“{SELF_SHEET}”或“{VERTICAL_SHEET}”工作表（现有："
                   f"{'、'.join(reader.sheets) or '无'}），请使用模板", "missing_sheet")
        errors.raise_if_any()
    finder = DepartmentFinder(session, actor)
    rows: list[Row] = []
    sharing: dict[tuple[int, str], list[dict]] = {}
    for name, kind in kinds.items():
        if kind in SHEET_KINDS:
            rows += read_system_sheet(reader, name, SHEET_KINDS[kind], finder, errors)
        elif kind == SHARING_SHEET:
            for key, lines in read_sharing(reader, name, finder, errors).items():
                sharing.setdefault(key, []).extend(lines)
    planned = plan(session, rows, sharing, errors)
    errors.raise_if_any()
    return apply_census(session, actor, planned)
