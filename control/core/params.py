"""Types for path and query parameters (and body fields) that the database and date arithmetic can
hold: an integer past 2^63−1 or a date in year 1 is refused with 422 before it reaches SQL or
`date ± timedelta`, instead of overflowing into a 500."""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any, TypeVar

from annotated_types import Ge, Le, MaxLen
from pydantic import BeforeValidator

from control.core.errors import ValidationFailed
from control.core.textsafe import CleanLine

E = TypeVar("E", bound=Enum)

INT64_MAX = 2**63 - 1
# Dates the service reasons about: working days, metric windows, deadlines. Far enough either side for
# any real record, near enough that adding or subtracting a few years of days cannot overflow.
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2200, 12, 31)

Id = Annotated[int, Ge(1), Le(INT64_MAX)]
Offset = Annotated[int, Ge(0), Le(INT64_MAX)]
AnyYear = Annotated[int, Ge(-INT64_MAX), Le(INT64_MAX)]
Int64 = Annotated[int, Ge(-INT64_MAX), Le(INT64_MAX)]
CalendarDate = Annotated[date, Ge(MIN_DATE), Le(MAX_DATE)]
# A search or filter string: one clean line (no lone surrogates or controls to break the SQL driver).
SearchText = Annotated[CleanLine, MaxLen(100)]
# A count or amount stored in an INTEGER column (32 bits on PostgreSQL).
Int32 = Annotated[int, Ge(-(2**31)), Le(2**31 - 1)]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(media_type: str, description: str) -> dict:
    """The OpenAPI `responses` of a route that returns a file (a download, not JSON)."""
    return {200: {"description": description, "content": {media_type: {"schema": {"type": "string",
                                                                                     "format": "binary"}}}}}


def blank_is_none(value: Any) -> Any:
    """A page's filter form sends every field, the empty ones as ""; that means "no filter"."""
    return None if value == "" else value


Blank = BeforeValidator(blank_is_none)


# --- form fields read by hand (pages): a bad value is a 422 naming the field by its label --------------

def _refuse(field: str, label: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{label}{message}", errors=[{"field": field, "message": f"{label}{message}",
                                                          "code": "invalid"}])


def form_int(value: Any, field: str, label: str, *, ge: int = 0, le: int = 2**31 - 1) -> int | None:
    """An integer form field, blank meaning none."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise _refuse(field, label, "应为整数") from None
    if not ge <= number <= le:
        raise _refuse(field, label, f"应在 {ge} 至 {le} 之间")
    return number


def form_date(value: Any, field: str, label: str) -> date | None:
    """A date form field (2024-01-31), blank meaning none, inside MIN_DATE..MAX_DATE."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _refuse(field, label, "格式应为 2024-01-31") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise _refuse(field, label, f"应在 {MIN_DATE} 至 {MAX_DATE} 之间")
    return day


def form_choice(enum: type[E], value: Any, field: str, label: str) -> E | None:
    """An enumeration value from a form or query string, blank meaning none."""
    if value in (None, ""):
        return None
    try:
        return enum(value)
    except ValueError:
        raise _refuse(field, label, "不是可选值之一") from None
