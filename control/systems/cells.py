"""Reading the cells of census spreadsheets the way departments really fill them in: ticks as ☑ √ 是 Y,
a copied check-box line such as “☑正在运行 ☐停止运行”, dates as 2017年1月10日 or 2017.1.10 or an Excel
date, several choices in one cell, full-width digits, stray spaces, money in 元 or 万元, “不固定” for a
user count, “三级” for a protection level. Pure functions; a bad cell raises CellError with a zh-CN
message that says what is wrong and which forms are accepted."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from control.core.enums import LabeledEnum, normalize_text
from control.core.textsafe import clean_text

EXCEL_EPOCH = date(1899, 12, 30)
TRUE_MARKS = {"☑", "☒", "√", "✓", "✔", "是", "y", "yes", "true", "t", "1", "有", "对"}
FALSE_MARKS = {"☐", "□", "否", "n", "no", "false", "f", "0", "×", "✗", "✘", "x", "无", "不是"}
BOOL_FORMS = "是/否、☑/☐、√/×、Y/N"
CHECKED, UNCHECKED = "☑☒√✓✔■", "☐□"
SEPARATORS = re.compile(r"[、,，;；/／\n\r]+")
VARIES = {"不固定", "不定", "变动", "变动频繁", "不确定"}
NOT_APPLICABLE = {"无", "暂无", "没有", "空", "不适用", "无此项", "/", "\\", "-", "--", "—", "——", "–", "―", "─",
                  "n/a", "na"}
_TRAILING = "。.，,;；!！"
DATE_FORMS = "2017年1月10日、2017-01-10、2017.1.10、2017/1/10、2017年1月 或 Excel 日期"
# Units a number may carry, as (multiply, divide) to the stored unit: money in 万元, warranty in years.
Units = dict[str, tuple[int, int]]
MONEY_UNITS: Units = {"万元": (1, 1), "万": (1, 1), "亿元": (10000, 1), "亿": (10000, 1), "元": (1, 10000)}
YEAR_UNITS: Units = {"年": (1, 1), "个月": (1, 12), "月": (1, 12)}
COUNT_UNITS: Units = {"人": (1, 1), "个": (1, 1), "户": (1, 1), "名": (1, 1)}
_APPROXIMATE = re.compile(r"^(?:约|大约|近)|(?:左右|余|多|以上|\+)$")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


class CellError(ValueError):
    """A cell that cannot be read: a zh-CN message naming the accepted forms, and an English code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _compact(value: object) -> str:
    """NFKC (full-width → half-width) with every space removed: how cells are compared."""
    return normalize_text(value).replace(" ", "")


def not_applicable(value: object) -> bool:
    """无, 暂无, /, —, -, 空 … (full width too, with a trailing 。): what departments write in a column
    that does not apply to their system. An optional column reads it as empty."""
    return isinstance(value, str) and _compact(value).lower().rstrip(_TRAILING) in NOT_APPLICABLE


def is_bool_mark(value: object) -> bool:
    """A tick or word a yes/no column takes (“无” is a no there, not an empty cell)."""
    return _compact(value).lower() in TRUE_MARKS | FALSE_MARKS


def parse_text(value: object, *, multiline: bool = True) -> str | None:
    """Free text: kept as written (textsafe.clean_text: NFC, no control characters; one-line text has
    its line breaks flattened), trimmed; a whole-number cell (a phone number) becomes its digits."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value), multiline=multiline).strip() or None


def ticked(value: object) -> list[str] | None:
    """The labels ticked in a check-box line copied from the paper form (“☑正在运行 ☐停止运行”), or None
    when the cell is not such a line."""
    text = str(value)
    if not re.search(rf"[{CHECKED}{UNCHECKED}]\s*\S", text):
        return None
    pairs = re.findall(rf"([{CHECKED}{UNCHECKED}])\s*([^{CHECKED}{UNCHECKED}]*)", text)
    return [label.strip(" 、,，;；/\n") for mark, label in pairs if mark in CHECKED and label.strip(" 、,，;；/\n")]


def parse_bool(value: object) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = _compact(value).lower()
    labels = ticked(value) if len(key) > 1 else None
    if labels is not None and len(labels) == 1:
        key = _compact(labels[0]).lower()
    if key in TRUE_MARKS:
        return True
    if key in FALSE_MARKS:
        return False
    raise CellError(f"“{value}”无法识别为是/否：可填 {BOOL_FORMS}", "invalid_bool")


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERN = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})月?(?:份)?$")
_YEAR_PATTERN = re.compile(r"^(\d{4})年?(?:度)?$")


def parse_date(value: object) -> date | None:
    """A date cell, an Excel serial number, or text: 2017年1月10日, 2017-01-10, 2017.1.10, 2017/1/10,
    20170110. A month alone (2017年1月) means its first day and a year alone (2017年) its 1 January, as
    forms often give no more."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_date(value)
    text = _compact(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return _date(int(m[1]), int(m[2]), int(m[3]), value)
    m = _MONTH_PATTERN.match(text)
    if m:
        return _date(int(m[1]), int(m[2]), 1, value)
    m = _YEAR_PATTERN.match(text)
    if m:
        return _date(int(m[1]), 1, 1, value)
    raise CellError(f"“{value}”不是可识别的日期：可填 {DATE_FORMS}", "invalid_date")


def _number_date(value: float) -> date:
    """A number in a date column: a year (2017), or an Excel serial day (42745 is 2017-01-10). A number
    such as 2017.1 is a year and month typed into a number cell: 1 and 10 cannot be told apart."""
    if 1900 <= value <= 2100:
        if float(value).is_integer():
            return date(int(value), 1, 1)
        raise CellError(f"“{value}”像是年月，但数字单元格分不清 1 月和 10 月：请填 2017年1月 这样的文字，"
                        f"或 {DATE_FORMS}", "invalid_date")
    if 1 <= value < 2958466:
        return EXCEL_EPOCH + timedelta(days=int(value))
    raise CellError(f"“{value}”不是有效的日期：可填 {DATE_FORMS}", "invalid_date")


def _date(y: int, m: int, d: int, raw: object) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise CellError(f"“{raw}”不是存在的日期（请核对年、月、日）", "invalid_date") from None


def parse_decimal(value: object, units: Units | None = None) -> Decimal | None:
    """12.5, １２．５, 1,200, 约12.5: a number, optionally with one of `units`: 12.5万元 and 125000元 are
    both 12.5 with MONEY_UNITS; 3年 and 36个月 both 3 with YEAR_UNITS."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    units = units or {}
    text = _APPROXIMATE.sub("", _compact(value).replace(",", "").lstrip("¥￥"))
    multiply, divide = 1, 1
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            text, (multiply, divide) = _APPROXIMATE.sub("", text[: -len(unit)]), units[unit]
            break
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        accepted = f"，可带单位 {'、'.join(units)}" if units else ""
        raise CellError(f"“{value}”不是数字：请填阿拉伯数字，如 12.5{accepted}", "invalid_number")
    return number * multiply / divide


def parse_int(value: object, units: Units | None = None) -> int | None:
    if is_blank(value):
        return None
    number = parse_decimal(value, units or COUNT_UNITS)
    if number != number.to_integral_value():
        raise CellError(f"“{value}”应为整数", "invalid_number")
    return int(number)


def parse_level(value: object) -> int | None:
    """A protection level: 3, 3级, 三级, 第三级, 等保三级, 等保3级."""
    if is_blank(value):
        return None
    text = _compact(value).removeprefix("等保").removeprefix("等级保护").removeprefix("第").removesuffix("级")
    if text in _CN_DIGITS:
        return _CN_DIGITS[text]
    try:
        return parse_int(text or value, {})
    except CellError:
        raise CellError(f"“{value}”不是等级保护级别：请填 1–5，如 3、3级 或 三级", "invalid_number") from None


def parse_user_count(value: object) -> tuple[int | None, bool]:
    """(count, varies): a number (约500人, 1,200), or “不固定” when the user base changes often."""
    if not is_blank(value) and _compact(value) in VARIES:
        return None, True
    try:
        return parse_int(value), False
    except CellError:
        raise CellError(f"“{value}”应为用户数（整数，如 120 或 120人），用户量变动频繁的填“不固定”",
                        "invalid_number") from None


def parse_enum(value: object, enum: type[LabeledEnum]) -> LabeledEnum | None:
    """One choice by its value, zh-CN label or alias (LabeledEnum.parse), or ticked on a check-box line."""
    if is_blank(value):
        return None
    labels = ticked(value)
    if labels is not None:
        if not labels:
            return None
        if len(labels) > 1:
            raise CellError(f"“{value}”应只勾选一项：{'、'.join(m.zh for m in enum)}", "invalid_choice")
        value = labels[0]
    try:
        return enum.parse(value)
    except ValueError as exc:
        raise CellError(str(exc), "invalid_choice") from None


def parse_multi(value: object, enum: type[LabeledEnum]) -> list[LabeledEnum]:
    """Several choices in one cell, separated by 、 , ， ; ； / or new lines, or ticked on a check-box line."""
    if is_blank(value):
        return []
    labels = ticked(value)
    parts = labels if labels is not None else SEPARATORS.split(str(value))
    out: list[LabeledEnum] = []
    for part in parts:
        if part.strip():
            member = parse_enum(part.strip(), enum)
            if member not in out:
                out.append(member)
    return out


def format_bool(value: bool | None) -> str | None:
    return None if value is None else ("是" if value else "否")


def format_multi(values: list[str], enum: type[LabeledEnum]) -> str | None:
    return "、".join(enum(v).zh for v in values) if values else None
