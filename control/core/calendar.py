"""Chinese working days. The State Council's yearly arrangements (holidays and 调休 make-up working
days) come from the maintained `chinesecalendar` library, which refuses a year it has no published
data for instead of guessing. An administrator can add a year's arrangement (or correct one) from the
web UI, the CLI or a policy file; such an arrangement replaces the library's data for that year.
A date in a year neither knows raises UnknownYear naming the year: it is never guessed.

Rule: N working days from day D ends at the end of the Nth working day after D; D never counts."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar
from chinese_calendar import constants as cc_data
from sqlalchemy import Column, DateTime, func, select
from sqlmodel import Field, Session, SQLModel

from control.core.clock import now
from control.core.errors import ValidationFailed


class UnknownYear(ValidationFailed):
    """The holiday arrangement of a year is not known: neither published in the library nor added."""
    code = "calendar_year_unknown"
    title = "节假日安排未知"

    def __init__(self, year: int):
        super().__init__(f"{year} 年的节假日安排尚未发布或未导入，无法计算工作日；请管理员导入 {year} 年的安排",
                         errors=[{"field": "year", "message": f"未知年份 {year}", "code": self.code}])
        self.year = year


class CalendarYear(SQLModel, table=True):
    """A year whose arrangement an administrator (or a policy file) supplied."""
    __tablename__ = "calendar_year"
    year: int = Field(primary_key=True)
    source: str = Field(default="admin", max_length=200)
    note: str = Field(default="", max_length=500)
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=now, sa_column=Column(DateTime(timezone=True), nullable=False))


class CalendarDay(SQLModel, table=True):
    """One special day of an added year: a holiday (is_workday False) or a make-up working day."""
    __tablename__ = "calendar_day"
    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    is_workday: bool
    name: str = Field(default="", max_length=100)


@dataclass
class YearArrangement:
    """A year's holidays and make-up working days; every other day follows Monday–Friday."""
    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    source: str = "admin"

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "admin") -> YearArrangement:
        """Parse the YAML form:
        year: 2027
        holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}, {name: 清明节, dates: [2027-04-05]}]
        workdays: [{name: 春节调休, date: 2027-02-20}]"""
        errors: list[str] = []
        try:
            year = int(data["year"])
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed("节假日安排缺少有效的 year", code="calendar_invalid") from None
        arr = cls(year=year, source=source)
        for item in data.get("holidays") or []:
            name = str(item.get("name", "节假日"))
            for d in _dates_of(item, errors):
                arr.holidays[d] = name
        for item in data.get("workdays") or []:
            item = item if isinstance(item, dict) else {"date": item}
            for d in _dates_of(item, errors):
                arr.workdays[d] = str(item.get("name", "调休上班"))
        for d in [*arr.holidays, *arr.workdays]:
            if d.year != year:
                errors.append(f"{d} 不在 {year} 年内")
        for d in set(arr.holidays) & set(arr.workdays):
            errors.append(f"{d} 不能既是节假日又是调休上班日")
        for d in arr.workdays:
            if d.weekday() < 5:
                errors.append(f"调休上班日 {d} 应为周六或周日")
        if errors:
            raise ValidationFailed(f"{year} 年节假日安排有误：" + "；".join(errors), code="calendar_invalid",
                                   errors=[{"field": "calendar", "message": e, "code": "calendar_invalid"}
                                           for e in errors])
        return arr

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _dates_of(item: dict[str, Any], errors: list[str]) -> list[date]:
    try:
        if "date" in item:
            return [_as_date(item["date"])]
        if "dates" in item:
            return [_as_date(v) for v in item["dates"]]
        start, end = _as_date(item["from"]), _as_date(item["to"])
    except (KeyError, ValueError) as exc:
        errors.append(f"日期无法识别：{item}（{exc}）")
        return []
    if end < start:
        errors.append(f"{start} 至 {end}：结束早于开始")
        return []
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@lru_cache(maxsize=1)
def library_years() -> frozenset[int]:
    return frozenset(d.year for d in cc_data.holidays)


@lru_cache(maxsize=64)
def _library_workdays(year: int) -> tuple[int, ...]:
    start = date(year, 1, 1)
    days = (start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days))
    return tuple(d.toordinal() for d in days if chinese_calendar.is_workday(d))


def _arrangement_workdays(arr: YearArrangement) -> tuple[int, ...]:
    start = date(arr.year, 1, 1)
    days = (start + timedelta(days=i) for i in range((date(arr.year + 1, 1, 1) - start).days))
    return tuple(d.toordinal() for d in days if arr.is_workday(d))


class WorkingCalendar:
    """Working-day arithmetic over the known years, answering in O(log n) from a sorted list of
    working-day ordinals."""

    def __init__(self, arrangements: dict[int, YearArrangement] | None = None):
        self.arrangements = dict(arrangements or {})
        self.years = frozenset(library_years() | set(self.arrangements))
        ordinals: list[int] = []
        for year in sorted(self.years):
            arr = self.arrangements.get(year)
            ordinals.extend(_arrangement_workdays(arr) if arr else _library_workdays(year))
        self._workdays = ordinals
        self._workday_set = frozenset(ordinals)

    def source_of(self, year: int) -> str:
        if year in self.arrangements:
            return self.arrangements[year].source
        return "chinesecalendar" if year in library_years() else "unknown"

    def known_until(self) -> date:
        """The last day of the last year known without a gap from the current year on."""
        year = max(min(self.years), min(now().year, max(self.years)))
        while year + 1 in self.years:
            year += 1
        return date(year, 12, 31)

    def _require(self, first: int, last: int) -> None:
        for year in range(first, last + 1):
            if year not in self.years:
                raise UnknownYear(year)

    def is_workday(self, d: date) -> bool:
        self._require(d.year, d.year)
        return d.toordinal() in self._workday_set

    def day_kind(self, d: date) -> tuple[str, str]:
        """('workday'|'makeup'|'holiday'|'weekend', name) for the month view."""
        workday = self.is_workday(d)
        arr = self.arrangements.get(d.year)
        if arr is not None:
            name = arr.workdays.get(d) or arr.holidays.get(d) or ""
        else:
            name = cc_data.workdays.get(d) or cc_data.holidays.get(d) or ""
            name = HOLIDAY_NAMES_ZH.get(name, name)
        if workday:
            return ("makeup" if d.weekday() >= 5 else "workday"), name
        return ("weekend" if d.weekday() >= 5 and not name else "holiday"), name

    def add_working_days(self, start: date, days: int) -> date:
        """The end of the `days`-th working day after `start` (start itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        self._require(start.year, start.year)
        if days == 0:
            return start
        index = bisect.bisect_right(self._workdays, start.toordinal()) + days - 1
        if index >= len(self._workdays):
            raise UnknownYear(max(self.years) + 1)
        due = date.fromordinal(self._workdays[index])
        self._require(start.year, due.year)
        return due

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        self._require(start.year, end.year)
        return (bisect.bisect_right(self._workdays, end.toordinal())
                - bisect.bisect_right(self._workdays, start.toordinal()))


HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


# --- loading the arrangements an administrator or a policy file added -------------------------------

def stored_arrangements(session: Session) -> dict[int, YearArrangement]:
    years = {y.year: YearArrangement(year=y.year, source=y.source)
             for y in session.execute(select(CalendarYear)).scalars()}
    for day in session.execute(select(CalendarDay)).scalars():
        arr = years.get(day.year)
        if arr is not None:
            (arr.workdays if day.is_workday else arr.holidays)[day.day] = day.name
    return years


def stored_version(session: Session) -> tuple:
    return tuple(session.execute(select(func.count(), func.max(CalendarYear.updated_at))
                                 .select_from(CalendarYear)).one())


class CalendarProvider:
    """Hands out the current WorkingCalendar, rebuilt only when the stored arrangements change
    (checked with one cheap query, so replicas pick up another replica's import)."""

    def __init__(self, policy_years: list[YearArrangement] | None = None):
        self.policy_years = {a.year: a for a in (policy_years or [])}
        self._version: tuple | None = None
        self._calendar: WorkingCalendar | None = None

    def get(self, session: Session) -> WorkingCalendar:
        version = stored_version(session)
        if self._calendar is None or version != self._version:
            # Stored (admin) arrangements win over policy-file ones for the same year.
            self._calendar = WorkingCalendar({**self.policy_years, **stored_arrangements(session)})
            self._version = version
        return self._calendar


def save_arrangement(session: Session, arr: YearArrangement, actor: Any, note: str = "") -> dict[str, int]:
    """Store (or replace) a year's arrangement, audited. The caller checks the role."""
    from control.core import audit
    old = stored_arrangements(session).get(arr.year)
    for day in session.execute(select(CalendarDay).where(CalendarDay.year == arr.year)).scalars():
        session.delete(day)
    session.flush()
    row = session.get(CalendarYear, arr.year) or CalendarYear(year=arr.year)
    row.source, row.note, row.updated_at = arr.source, note, now()
    row.updated_by = actor if isinstance(actor, str) else actor.username
    session.add(row)
    session.add_all(CalendarDay(day=d, year=arr.year, is_workday=False, name=n) for d, n in arr.holidays.items())
    session.add_all(CalendarDay(day=d, year=arr.year, is_workday=True, name=n) for d, n in arr.workdays.items())

    def summary(a: YearArrangement | None) -> dict | None:
        if a is None:
            return None
        return {"holidays": {d.isoformat(): n for d, n in sorted(a.holidays.items())},
                "workdays": {d.isoformat(): n for d, n in sorted(a.workdays.items())}}
    audit.record(session, actor, "import" if old is None else "replace", "calendar_year", arr.year,
                 changes={"arrangement": [summary(old), summary(arr)], "note": note}, label=f"{arr.year} 年节假日安排")
    session.commit()
    return {"year": arr.year, "holidays": len(arr.holidays), "workdays": len(arr.workdays)}
