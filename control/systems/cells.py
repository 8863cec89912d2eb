"""Reading the cells of census spreadsheets the way departments really fill them in: ticks as ☑ √ 是 Y,
dates as 2017年1月10日 or 2017.1.10 or an Excel date, several choices in one cell, full-width digits,
stray spaces, "不固定" for a user count. Pure functions; each bad cell raises CellError with a zh-CN
message that names the accepted forms."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from control.core.enums import LabeledEnum, normalize_text

EXCEL_EPOCH = date(1899, 12, 30)
TRUE_MARKS = {"☑", "√", "✓", "✔", "是", "y", "yes", "true", "1", "有", "☒"}
FALSE_MARKS = {"☐", "□", "否", "n", "no", "false", "0", "×", "✗", "无"}
SEPARATORS = re.compile(r"[、,，;；/\n\r]+")
VARIES = {"不固定", "变动", "不定"}


class CellError(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: object) -> str | None:
    """Free text: kept as written, trimmed; a number cell becomes its plain text."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_bool(value: object) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = normalize_text(value).replace(" ", "").lower()
    if key in TRUE_MARKS:
        return True
    if key in FALSE_MARKS:
        return False
    raise CellError(f"“{value}”无法识别为是/否：可填 是/否、☑/☐、√/×、Y/N", "invalid_bool")


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONTH_PATTERN = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})月?$")


def parse_date(value: object) -> date | None:
    """A date cell, an Excel serial number, or text: 2017年1月10日, 2017-01-10, 2017.1.10, 2017/1/10,
    20170110; a month alone (2017年1月) means its first day, as forms often give only the month."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError(f"“{value}”不是有效的 Excel 日期", "invalid_date")
    text = normalize_text(value).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return _date(int(m[1]), int(m[2]), int(m[3]), value)
    m = _MONTH_PATTERN.match(text)
    if m:
        return _date(int(m[1]), int(m[2]), 1, value)
    raise CellError(f"“{value}”不是可识别的日期：可填 2017年1月10日、2017-01-10、2017.1.10、2017/1/10 或 Excel 日期",
                    "invalid_date")


def _date(y: int, m: int, d: int, raw: object) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise CellError(f"“{raw}”不是存在的日期", "invalid_date") from None


def _number_text(value: object, units: tuple[str, ...]) -> str:
    text = normalize_text(value).replace(" ", "").replace(",", "")
    for unit in units:
        if text.endswith(unit):
            text = text[: -len(unit)]
    return text


def parse_decimal(value: object, units: tuple[str, ...] = ("万元", "万", "元", "年")) -> Decimal | None:
    """12.5, １２．５, 12.5万元, 3年."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    try:
        number = Decimal(_number_text(value, units))
    except InvalidOperation:
        raise CellError(f"“{value}”不是数字（可带“万元”“年”等单位）", "invalid_number") from None
    if not number.is_finite():
        raise CellError(f"“{value}”不是数字", "invalid_number")
    return number


def parse_int(value: object, units: tuple[str, ...] = ("人", "个", "级")) -> int | None:
    if is_blank(value):
        return None
    number = parse_decimal(value, units)
    if number != number.to_integral_value():
        raise CellError(f"“{value}”应为整数", "invalid_number")
    return int(number)


def parse_user_count(value: object) -> tuple[int | None, bool]:
    """(count, varies): a number, or “不固定” when the user base changes often."""
    if not is_blank(value) and normalize_text(value).replace(" ", "") in VARIES:
        return None, True
    try:
        return parse_int(value), False
    except CellError:
        raise CellError(f"“{value}”应为用户数（整数），或填“不固定”", "invalid_number") from None


def parse_enum(value: object, enum: type[LabeledEnum]) -> LabeledEnum | None:
    if is_blank(value):
        return None
    try:
        return enum.parse(value)
    except ValueError as exc:
        raise CellError(str(exc), "invalid_choice") from None


def parse_multi(value: object, enum: type[LabeledEnum]) -> list[LabeledEnum]:
    """Several choices in one cell, separated by 、 , ， ; ； / or new lines; ☑ marks are ignored."""
    if is_blank(value):
        return []
    out: list[LabeledEnum] = []
    for part in SEPARATORS.split(str(value)):
        part = part.strip().strip("☑√✓✔").strip()
        if part:
            member = parse_enum(part, enum)
            if member not in out:
                out.append(member)
    return out


def format_bool(value: bool | None) -> str | None:
    return None if value is None else ("是" if value else "否")


def format_multi(values: list[str], enum: type[LabeledEnum]) -> str | None:
    return "、".join(enum(v).zh for v in values) if values else None
