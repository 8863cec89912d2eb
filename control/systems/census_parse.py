"""Census cells → rows of system values, every bad cell an error naming its sheet, row and column; the
errors kept are the first ones by position, up to a limit, with the total counted."""
from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from control.core.accounts import Department
from control.core.auth import Actor
from control.core.enums import normalize_text
from control.core.errors import ValidationFailed
from control.org.codes import CodeError, normalize_code
from control.systems import cells
from control.systems.census_layout import (
    COUNTERPART,
    DEPT_CODE,
    DEPT_NAME,
    DIRECTION,
    HELP_SHEET,
    METHOD,
    RESOURCE,
    SELF_SHEET,
    SHARING_HEADERS,
    SYSTEM_NAME,
    comparable,
    fields_of,
)
from control.systems.census_read import ExcelError, XlsxReader
from control.systems.enums import SharingDirection, SharingMethod, SystemKind
from control.systems.fields import CENSUS_FIELDS, CLASSIFIED_FIELDS, VERTICAL_FIELDS, CensusField
from control.systems.models import InformationSystem

_COLUMNS = {c.name: c.type for c in InformationSystem.__table__.c}
_INT_MAX = 2**31 - 1


def _column_limits(f: CensusField, value: Any) -> Any:
    """Fit a parsed value to its database column: text length, integer range, decimal precision (rounded
    to the column's places, so that a re-import finds it unchanged)."""
    column = _COLUMNS.get(f.name)
    if isinstance(value, str):
        length = getattr(column, "length", None)
        if length and len(value) > length:
            raise cells.CellError(f"内容过长：最多 {length} 个字，实际 {len(value)} 个字", "too_long")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT_MAX:
        raise cells.CellError(f"数值 {value} 超出范围", "out_of_range")
    elif isinstance(value, Decimal):
        digits = column.precision - column.scale
        if abs(value) >= Decimal(10) ** digits:
            raise cells.CellError(f"数值 {value:f} 超出范围：整数部分最多 {digits} 位", "out_of_range")
        value = value.quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    return value


def parse_cell(f: CensusField, raw: Any) -> dict[str, Any]:
    """One census cell → {field: value} (user count also sets user_count_varies). Raises CellError."""
    if isinstance(raw, ExcelError):
        raise cells.CellError(f"单元格是公式错误值 {raw}，请填写实际内容", "formula_error")
    if cells.not_applicable(raw) and not (f.type == "bool" and cells.is_bool_mark(raw)):
        if f.required:
            raise cells.CellError(f"该列必填，不能填“{raw}”", "required")
        raw = None  # 无, 暂无, /, — …: the column does not apply to this system
    if f.name == "user_count":
        count, varies = cells.parse_user_count(raw)
        return {"user_count": _column_limits(f, count), "user_count_varies": varies}
    if f.name == "is_classified" and cells.is_blank(raw):
        return {}  # blank keeps a registered system's classification; a new one is not classified
    if f.type == "enum":
        value = cells.parse_enum(raw, f.enum)
    elif f.type == "multienum":
        value = [m.value for m in cells.parse_multi(raw, f.enum)]
    elif f.type == "bool":
        value = cells.parse_bool(raw)
    elif f.name == "protection_level":
        value = cells.parse_level(raw)
    elif f.type == "int":
        value = cells.parse_int(raw)
    elif f.type == "decimal":
        units = cells.YEAR_UNITS if f.name == "warranty_years" else cells.MONEY_UNITS
        value = cells.parse_decimal(raw, units)
    elif f.type == "date":
        value = cells.parse_date(raw)
    else:
        value = cells.parse_text(raw, multiline=f.type == "longtext")
    return {f.name: _column_limits(f, value)}


# Fields a 垂管 row clears: the reduced form has no such columns, so a vertical system holds none of them.
_NOT_VERTICAL = {f.name: ([] if f.type == "multienum" else None) for f in CENSUS_FIELDS
                 if f.name not in VERTICAL_FIELDS and f.name not in CLASSIFIED_FIELDS}
_NOT_VERTICAL["user_count_varies"] = False


class ImportFailed(ValidationFailed):
    """The import's 422: the first errors by position, and how many there are in all (`errors_total`)."""

    def __init__(self, detail: str, errors: list[dict], total: int):
        super().__init__(detail, code="import_failed", errors=errors)
        self.total = total

    def problem(self) -> dict[str, Any]:
        return {**super().problem(), "errors_total": self.total}


class Errors:
    """Problems found, each naming sheet, Excel row, column header and an English code. Only the first
    `limit` by position (sheet order, then row) are kept, however many a junk workbook makes; all are
    counted. One cell gets one sentence: the first problem found in it (a cell that could not be read is
    not reported again by the row's rules, which saw it empty)."""

    def __init__(self, sheet_order: list[str], limit: int) -> None:
        self.order = {name: i for i, name in enumerate(sheet_order)}
        self.limit = limit
        self.total = 0
        self.kept: list[tuple[int, int, int, dict]] = []  # a max-heap by position: keys negated
        self.cells: set[tuple[str, int, str]] = set()

    def add(self, sheet: str | None, row: int | None, column: str | None, message: str, code: str) -> None:
        if sheet and row and column:
            if (sheet, row, column) in self.cells:
                return
            self.cells.add((sheet, row, column))
        self.total += 1
        item = (-self.order.get(sheet, -1), -(row or 0), -self.total,
                {"sheet": sheet, "row": row, "column": column, "message": message, "code": code})
        if len(self.kept) < self.limit:
            heapq.heappush(self.kept, item)
        elif item > self.kept[0]:
            heapq.heapreplace(self.kept, item)

    def raise_if_any(self) -> None:
        if not self.total:
            return
        items = [entry[3] for entry in sorted(self.kept, reverse=True)]
        shown = "" if self.total <= len(items) else f"（仅列出前 {len(items)} 处）"
        raise ImportFailed(f"导入未通过校验：共 {self.total} 处错误{shown}，未写入任何数据", items, self.total)


class DepartmentFinder:
    """Departments by code or, when no code is given, by their exact name (which must be unique);
    all loaded once, each answer kept for the rows that repeat it."""

    def __init__(self, session: Session, actor: Actor):
        self.actor = actor
        self.by_code: dict[str, Department] = {}
        self.by_name: dict[str, list[Department]] = {}
        for d in session.execute(select(Department)).scalars():
            self.by_code[d.code] = d
            self.by_name.setdefault(d.name, []).append(d)
        self.answers: dict[tuple, tuple] = {}

    def find(self, name: Any, code: Any) -> tuple[Department | None, str, str, str]:
        """(department, column, zh-CN message, error code); the department is None when there is an error."""
        key = (name, code)
        if key not in self.answers:
            self.answers[key] = self._find(*(None if cells.not_applicable(v) else cells.parse_text(v, multiline=False)
                                             for v in (name, code)))
        return self.answers[key]

    def _find(self, name: str | None, code: str | None) -> tuple[Department | None, str, str, str]:
        if code:
            try:
                normal = normalize_code(code)
            except CodeError as exc:
                return None, DEPT_CODE, str(exc), "invalid_department_code"
            dept = self.by_code.get(normal)
            if dept is None:
                return None, DEPT_CODE, f"部门代码 {normal} 未在本平台登记", "unknown_department"
            if name and normalize_text(name) != normalize_text(dept.name):
                return None, DEPT_NAME, f"部门名称“{name}”与部门代码 {normal} 登记的“{dept.name}”不一致", \
                    "department_mismatch"
        else:
            if not name:
                return None, DEPT_NAME, "部门名称与部门代码至少填写一项", "required"
            found = self.by_name.get(name) or self.by_name.get(normalize_text(name), [])
            if not found:
                return None, DEPT_NAME, f"部门“{name}”未在本平台登记（请核对名称，或填写部门代码）", \
                    "unknown_department"
            if len(found) > 1:
                return None, DEPT_NAME, f"有 {len(found)} 个部门名为“{name}”，请同时填写部门代码", \
                    "ambiguous_department"
            dept = found[0]
        if not self.actor.can_see_path(dept.path):
            return None, DEPT_NAME, f"无权导入“{dept.name}”的系统：只能导入本单位及下级单位的系统", \
                "forbidden_department"
        return dept, "", "", ""


@dataclass
class Row:
    sheet: str
    number: int
    department: Department
    values: dict[str, Any]

_DEPT_HEADERS = {comparable(DEPT_NAME): DEPT_NAME, comparable("单位名称"): DEPT_NAME, comparable(DEPT_CODE): DEPT_CODE,
                 comparable("统一社会信用代码"): DEPT_CODE, comparable("组织机构代码"): DEPT_CODE}


def find_header(rows: Iterator[tuple[int, list[Any]]],
                 wanted: str) -> tuple[int, list[str], list[str]] | None:
    """The header row: the first of the first ten rows naming the wanted column (a title row may sit above).
    Returns its number, the headers as compared and as written."""
    for number, values in rows:
        keys = [comparable(v) if v is not None else "" for v in values]
        if comparable(wanted) in keys:
            return number, keys, [str(v).strip() if v is not None else "" for v in values]
        if number >= 10:
            return None
    return None


# What repeats is short (choices, ticks, dates, names of people) and few: longer text and values past the
# first distinct ones of a column are parsed each time, so the cache cannot fill memory.
_CACHED_LENGTH, _CACHED_VALUES = 64, 4096


def _parse_once(f: CensusField, value: Any, seen: dict) -> dict[str, Any] | cells.CellError:
    if value.__class__ is str and len(value) > _CACHED_LENGTH:
        key = None
    else:
        key = value if value.__class__ is str else (value.__class__, value)
        result = seen.get(key)
        if result is not None:
            return result
    try:
        result = parse_cell(f, value)
    except cells.CellError as exc:
        result = exc
    if key is not None and len(seen) < _CACHED_VALUES:
        seen[key] = result
    return result


def read_system_sheet(reader: XlsxReader, sheet: str, kind: SystemKind, finder: DepartmentFinder,
                       errors: Errors) -> list[Row]:
    rows = reader.rows(sheet)
    found = find_header(rows, SYSTEM_NAME)
    if found is None:
        errors.add(sheet, 1, SYSTEM_NAME, f"“{sheet}”表缺少“{SYSTEM_NAME}”列（请使用模板的表头）", "missing_column")
        return []
    head_row, head, written = found
    fields = {comparable(f.zh): f for f in fields_of(kind)}
    others = {comparable(f.zh): f for f in CENSUS_FIELDS if f.name not in VERTICAL_FIELDS}
    dept_columns: dict[str, int] = {}
    field_columns: list[tuple[int, CensusField]] = []
    seen: set[str] = set()
    for index, (key, text) in enumerate(zip(head, written, strict=False)):
        if not key:
            continue
        if key in seen:
            errors.add(sheet, head_row, text, f"列“{text}”出现了两次", "duplicate_column")
        seen.add(key)
        if key in _DEPT_HEADERS:
            dept_columns[_DEPT_HEADERS[key]] = index
        elif key in fields:
            field_columns.append((index, fields[key]))
        elif key in others:
            errors.add(sheet, head_row, text, f"垂管系统问卷（附件3）不含“{text}”列：自建系统请填在“{SELF_SHEET}”表",
                       "unknown_column")
        else:
            errors.add(sheet, head_row, text, f"无法识别的列“{text}”：请使用模板的表头（见“{HELP_SHEET}”表）",
                       "unknown_column")
    if not dept_columns:
        errors.add(sheet, head_row, DEPT_NAME, f"缺少“{DEPT_NAME}”或“{DEPT_CODE}”列", "missing_column")
        return []
    name_at, code_at = dept_columns.get(DEPT_NAME), dept_columns.get(DEPT_CODE)
    # Each column's distinct short cells are parsed once: choices, ticks, dates and names of people repeat.
    parsed: list[dict[Any, dict[str, Any] | cells.CellError]] = [{} for _ in field_columns]
    named = next((i for i, (_, f) in enumerate(field_columns) if f.name == "name"), None)
    out = []
    for number, raw in rows:
        if all(v is None or v.__class__ is str and not v.strip() for v in raw):
            continue
        raw = raw + [None] * (len(head) - len(raw))
        dept, column, message, code = finder.find(raw[name_at] if name_at is not None else None,
                                                  raw[code_at] if code_at is not None else None)
        if dept is None:
            errors.add(sheet, number, column, message, code)
        values: dict[str, Any] = {"kind": kind}
        failed = set()
        for position, ((index, f), seen_cells) in enumerate(zip(field_columns, parsed, strict=False)):
            value = raw[index]
            result = _parse_once(f, value, seen_cells)
            if result.__class__ is dict:
                values.update(result)
            else:
                errors.add(sheet, number, f.zh, result.message, result.code)
                failed.add(position)
        if kind == SystemKind.vertical:
            values.update(_NOT_VERTICAL)
        if not values.get("name"):
            if named not in failed:
                errors.add(sheet, number, SYSTEM_NAME, "系统名称必填", "required")
        elif dept is not None:
            out.append(Row(sheet, number, dept, values))
    return out


def read_sharing(reader: XlsxReader, sheet: str, finder: DepartmentFinder,
                  errors: Errors) -> dict[tuple[int, str], list[dict]]:
    """Sharing lines by (department id, system name), each with its row number."""
    lines: dict[tuple[int, str], list[dict]] = {}
    rows = reader.rows(sheet)
    found = find_header(rows, SYSTEM_NAME)
    if found is None:
        errors.add(sheet, 1, SYSTEM_NAME, f"“{sheet}”表缺少“{SYSTEM_NAME}”列（请使用模板的表头）", "missing_column")
        return lines
    head_row, head, written = found
    known = {comparable(h): h for h in SHARING_HEADERS} | _DEPT_HEADERS
    at: dict[str, int] = {}
    for index, (key, text) in enumerate(zip(head, written, strict=False)):
        if key and key not in known:
            errors.add(sheet, head_row, text, f"无法识别的列“{text}”：可用的列为 {'、'.join(SHARING_HEADERS)}",
                       "unknown_column")
        elif key:
            at[known[key]] = index
    missing = [column for column in (DIRECTION, RESOURCE) if column not in at]
    if DEPT_NAME not in at and DEPT_CODE not in at:
        missing.append(DEPT_NAME)
    for column in missing:
        errors.add(sheet, head_row, column, f"“{sheet}”表缺少“{column}”列", "missing_column")
    if missing:
        return lines
    for number, raw in rows:
        if all(cells.is_blank(v) for v in raw):
            continue
        cell = {column: (raw[index] if index < len(raw) else None) for column, index in at.items()}
        refused = set()
        for column, value in cell.items():
            if cells.not_applicable(value):  # 无, /, — …: empty where the column is optional
                if column in (SYSTEM_NAME, DIRECTION, RESOURCE):
                    errors.add(sheet, number, column, f"该列必填，不能填“{value}”", "required")
                    refused.add(column)
                cell[column] = None
        dept, column, message, code = finder.find(cell.get(DEPT_NAME), cell.get(DEPT_CODE))
        if dept is None:
            errors.add(sheet, number, column, message, code)
        line: dict[str, Any] = {"sheet": sheet, "row": number, "method_note": None}
        for column, enum, key in ((DIRECTION, SharingDirection, "direction"),
                                  (METHOD, SharingMethod, "method")):
            try:
                line[key] = cells.parse_enum(cell.get(column), enum)
            except cells.CellError as exc:
                errors.add(sheet, number, column, exc.message, exc.code)
        for column, key, limit in ((SYSTEM_NAME, "name", 200), (RESOURCE, "resource_name", 200),
                                   (COUNTERPART, "counterpart", 200)):
            text = cells.parse_text(cell.get(column), multiline=False)
            if text and len(text) > limit:
                errors.add(sheet, number, column, f"内容过长：最多 {limit} 个字", "too_long")
            line[key] = text
        for column, key in ((SYSTEM_NAME, "name"), (DIRECTION, "direction"), (RESOURCE, "resource_name")):
            if key in line and not line[key] and column not in refused:
                errors.add(sheet, number, column, f"{column}必填", "required")
        if dept is not None and line["name"]:
            lines.setdefault((dept.id, line.pop("name")), []).append(line)
    return lines

