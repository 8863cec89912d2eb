"""Chinese working days. The State Council's yearly arrangements (holidays and 调休 make-up working
days) come from the maintained `chinesecalendar` library, which refuses a year it has no published
data for instead of guessing. An administrator can add a year's arrangement (or correct one) from the
web UI, the CLI or a policy file; such an arrangement replaces the library's data for that year.
A date in a year neither knows raises UnknownYear naming the year: it is never guessed.

Rule: N working days from day D ends at the end of the Nth working day after D; D never counts."""
from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar
from chinese_calendar import constants as cc_data
from lunardate import LunarDate
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic import Field as PField
from sqlalchemy import Column, String, delete, func, select, type_coerce
from sqlmodel import Field, Session, SQLModel

from control.core.clock import now
from control.core.db import UTCDateTime
from control.core.errors import NotFound, ValidationFailed
from control.core.messages import zh_message
from control.core.params import MAX_DATE, MIN_DATE
from control.core.textsafe import CleanLine, CleanText


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
    updated_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))


class CalendarDay(SQLModel, table=True):
    """One special day of an added year: a holiday (is_workday False) or a make-up working day."""
    __tablename__ = "calendar_day"
    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    is_workday: bool
    name: str = Field(default="", max_length=100)


class HolidayIn(BaseModel):
    """A holiday period: `from` … `to` (both included; `to` defaults to `from`)."""
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    name: CleanLine = PField(min_length=1, max_length=100, description="节日名称")
    start: date = PField(alias="from", description="放假首日")
    end: date | None = PField(default=None, alias="to", description="放假末日（含）")


class WorkdayIn(BaseModel):
    """A make-up working day (调休上班), a Saturday or Sunday; a bare date is read as one too."""
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    name: CleanLine = PField(default="调休上班", max_length=100, description="名称")
    day: date = PField(alias="date", description="上班日期")

    @model_validator(mode="before")
    @classmethod
    def _bare_date(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"date": value}


class ArrangementIn(BaseModel):
    """One year's arrangement as the State Council publishes it (JSON body, YAML file or policy entry).
    It must account for every statutory holiday of the year (see `missing_holidays`) and list the
    make-up working days; a year without any says so with `no_makeup_days: true`."""
    model_config = ConfigDict(extra="forbid")
    year: int = PField(description="年份，须与路径中的年份相同")
    note: CleanText = PField(default="", max_length=500, description="依据，如通知文号")
    holidays: list[HolidayIn] = PField(default_factory=list, max_length=366,
                                       description="放假时段；名称写明所含节日，两节合并放假写两个，如“中秋节、国庆节”")
    workdays: list[WorkdayIn] = PField(default_factory=list, max_length=366, description="调休上班日")
    no_makeup_days: bool = PField(default=False, description="当年确无调休上班日时写 true（国务院通知通常都有）")


class ArrangementSaved(BaseModel):
    year: int
    holidays: int = PField(description="节假日天数")
    workdays: int = PField(description="调休上班日天数")


@dataclass(frozen=True)
class CalendarLimits:
    """The bounds an added arrangement must keep (settings YUNZHANG_CALENDAR_*)."""
    first_year: int
    last_year: int
    max_holidays: int
    max_workdays: int

    @classmethod
    def of(cls, settings: Any) -> CalendarLimits:
        """From the service's settings (passed in: core does not read the settings module)."""
        return cls(settings.calendar_min_year, settings.calendar_max_year, settings.calendar_max_holidays,
                   settings.calendar_max_workdays)

    @classmethod
    def structural(cls) -> CalendarLimits:
        """What every arrangement keeps whatever the settings: years whose dates the service can hold, no
        more periods or make-up days than a year has days. For the policy file, read at start."""
        return cls(MIN_DATE.year, MAX_DATE.year, 366, 366)


# The statutory holidays (全国年节及纪念日放假办法; 清明、端午、中秋 since 2008) and the words by which a
# period's name says it covers one of them.
STATUTORY_HOLIDAYS: dict[str, tuple[str, ...]] = {
    "元旦": ("元旦",), "春节": ("春节",), "清明节": ("清明",), "劳动节": ("劳动节", "五一"), "端午节": ("端午",),
    "中秋节": ("中秋",), "国庆节": ("国庆",)}
TRADITIONAL_SINCE = 2008
FIXED_DAYS = {"元旦": (1, 1), "劳动节": (5, 1), "国庆节": (10, 1)}
LUNAR_DAYS = {"春节": (1, 1), "端午节": (5, 5), "中秋节": (8, 15)}


def statutory_holidays(year: int) -> list[str]:
    """The holidays a year's arrangement must account for."""
    return [h for h in STATUTORY_HOLIDAYS if year >= TRADITIONAL_SINCE or h not in ("清明节", "端午节", "中秋节")]


def holidays_named(name: str) -> list[str]:
    """The statutory holidays a period's name says it covers ("中秋节、国庆节" covers two)."""
    return [h for h, words in STATUTORY_HOLIDAYS.items() if any(w in name for w in words)]


def festival_day(holiday: str, year: int) -> date | None:
    """The day a holiday's period must hold: a fixed date, the lunar date (lunardate) or the 清明 solar term
    (chinesecalendar); None where those libraries do not reach the year (names are then checked alone)."""
    if holiday in FIXED_DAYS:
        return date(year, *FIXED_DAYS[holiday])
    try:
        if holiday in LUNAR_DAYS:
            return LunarDate(year, *LUNAR_DAYS[holiday]).to_solar_date()
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    except (ValueError, NotImplementedError):      # lunardate: 1900–2099; solar terms: 1900–2100
        return None
    return next((d for d, term in terms if term == "清明"), None)


def missing_holidays(year: int, periods: list[tuple[int, str, date, date]]) -> list[dict[str, str]]:
    """The findings against a year's periods (index, name, first, last day): every statutory holiday is
    named by a period, and one of its periods holds its day (a fixed date) or holds or touches it (a lunar
    date or solar term: the period may begin the day after 除夕 or end the day before)."""
    errors = []
    named: dict[str, list[tuple[int, str, date, date]]] = {}
    for period in periods:
        for holiday in holidays_named(period[1]):
            named.setdefault(holiday, []).append(period)
    absent = [h for h in statutory_holidays(year) if h not in named]
    if absent:
        errors.append({"field": "holidays", "code": "calendar_incomplete",
                       "message": f"缺少法定节假日：{'、'.join(absent)}（每段放假的名称须写明所含节日，"
                                  f"两节合并放假写两个，如“中秋节、国庆节”）"})
    for holiday, mine in named.items():
        day = festival_day(holiday, year)
        if day is None:
            continue
        slack = timedelta(days=0 if holiday in FIXED_DAYS else 1)
        if not any(first - slack <= day <= last + slack for _, _, first, last in mine):
            i, name = mine[0][0], mine[0][1]
            errors.append({"field": f"holidays.{i}", "code": "calendar_implausible",
                           "message": f"第 {i + 1} 段节假日（{name}）应{'包含' if not slack else '包含或紧邻'}"
                                      f"{holiday}当天 {day}"})
    return errors


def _pydantic_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": zh_message(e), "code": "calendar_invalid"}
            for e in exc.errors()]


@dataclass
class YearArrangement:
    """A year's holidays and make-up working days; every other day follows Monday–Friday."""
    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    source: str = "admin"
    note: str = ""

    @classmethod
    def from_mapping(cls, data: Any, source: str = "admin", limits: CalendarLimits | None = None) -> YearArrangement:
        """Parse the YAML form:
        year: 2027
        holidays: [{name: 元旦, from: 2027-01-01, to: 2027-01-03}, {name: 清明节, from: 2027-04-05}]
        workdays: [{name: 春节调休, date: 2027-02-20}]"""
        try:
            body = ArrangementIn.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("节假日安排格式有误：需要年份、节假日（名称与起止日期）和调休上班日",
                                   code="calendar_invalid", errors=_pydantic_errors(exc)) from None
        return cls.from_body(body, source, limits)

    @classmethod
    def from_body(cls, body: ArrangementIn, source: str = "admin", limits: CalendarLimits | None = None,
                  ) -> YearArrangement:
        """Check an arrangement against its year: periods in order inside it and not overlapping,
        make-up days on a weekend inside it and not a holiday, every statutory holiday accounted for at a
        plausible date, make-up days listed (or declared absent). Every finding names its field."""
        limits = limits or CalendarLimits.structural()
        year = body.year
        errors: list[dict[str, str]] = []

        def bad(where: str, message: str) -> None:
            errors.append({"field": where, "message": message, "code": "calendar_invalid"})

        if not limits.first_year <= year <= limits.last_year:
            bad("year", f"年份应在 {limits.first_year} 至 {limits.last_year} 之间")
            raise ValidationFailed(f"年份 {year} 超出可导入的范围（{limits.first_year}–{limits.last_year}）",
                                   code="calendar_invalid", errors=errors)
        if len(body.holidays) > limits.max_holidays:
            bad("holidays", f"节假日最多 {limits.max_holidays} 段")
        if len(body.workdays) > limits.max_workdays:
            bad("workdays", f"调休上班日最多 {limits.max_workdays} 天")
        arr = cls(year=year, source=source, note=body.note)
        taken: dict[date, int] = {}
        for i, h in enumerate(body.holidays[:limits.max_holidays]):
            end = h.end or h.start
            label = f"第 {i + 1} 段节假日（{h.name}）"
            if h.start.year != year or end.year != year:
                bad(f"holidays.{i}", f"{label}不在 {year} 年内")
            elif end < h.start:
                bad(f"holidays.{i}.to", f"{label}的放假末日 {end} 早于首日 {h.start}")
            else:
                days = [h.start + timedelta(days=k) for k in range((end - h.start).days + 1)]
                clash = next((d for d in days if d in taken), None)
                if clash is not None:
                    bad(f"holidays.{i}", f"{label}与第 {taken[clash] + 1} 段在 {clash} 重叠")
                for d in days:
                    taken.setdefault(d, i)
                    arr.holidays[d] = h.name
        for i, w in enumerate(body.workdays[:limits.max_workdays]):
            label = f"第 {i + 1} 个调休上班日 {w.day}"
            if w.day.year != year:
                bad(f"workdays.{i}.date", f"{label}不在 {year} 年内")
            elif w.day.weekday() < 5:
                bad(f"workdays.{i}.date", f"{label}应为周六或周日")
            elif w.day in arr.holidays:
                bad(f"workdays.{i}.date", f"{label}不能既是节假日又是调休上班日")
            elif w.day in arr.workdays:
                bad(f"workdays.{i}.date", f"{label}重复")
            else:
                arr.workdays[w.day] = w.name
        periods = [(i, h.name, h.start, h.end or h.start) for i, h in enumerate(body.holidays[:limits.max_holidays])]
        errors.extend(missing_holidays(year, periods))
        if not body.workdays and not body.no_makeup_days:
            bad("workdays", "未列出调休上班日：请按国务院办公厅通知列出；当年确无调休上班日时写明 no_makeup_days: true")
        elif body.workdays and body.no_makeup_days:
            bad("no_makeup_days", "写明了无调休上班日，却又列出了调休上班日")
        if errors:
            raise ValidationFailed(f"{year} 年节假日安排有误：" + "；".join(e["message"] for e in errors),
                                   code="calendar_invalid", errors=errors)
        return arr

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


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

    def __init__(self, arrangements: dict[int, YearArrangement] | None = None, unknown: frozenset[int] = frozenset()):
        """`unknown`: years whose stored arrangement cannot be read; they are not taken from the library
        either, since an administrator replaced the library's arrangement for them."""
        self.arrangements = {y: a for y, a in (arrangements or {}).items() if y not in unknown}
        self.years = frozenset((library_years() | set(self.arrangements)) - unknown)
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


def library_arrangement(year: int) -> dict[str, Any]:
    """A library year in the import form (consecutive days of one holiday make one period): the worked
    example on the calendar page, and the arrangement a correction of that year starts from."""
    periods: list[dict[str, Any]] = []
    for d in sorted(d for d in cc_data.holidays if d.year == year):
        name = HOLIDAY_NAMES_ZH.get(cc_data.holidays[d], cc_data.holidays[d])
        if periods and periods[-1]["name"] == name and periods[-1]["to"] == d - timedelta(days=1):
            periods[-1]["to"] = d
        else:
            periods.append({"name": name, "from": d, "to": d})
    for holiday in statutory_holidays(year):    # the library names a shared period after one holiday (2020)
        day = festival_day(holiday, year)
        if day and not any(holiday in holidays_named(p["name"]) for p in periods):
            shared = next((p for p in periods if p["from"] <= day <= p["to"]), None)
            if shared:
                shared["name"] += f"、{holiday}"
    workdays = [{"name": HOLIDAY_NAMES_ZH.get(cc_data.workdays[d], cc_data.workdays[d]) + "调休", "date": d}
                for d in sorted(d for d in cc_data.workdays if d.year == year)]
    return {"year": year, "note": "国务院办公厅关于部分节假日安排的通知（chinesecalendar 库）",
            "holidays": periods, "workdays": workdays}


# --- loading the arrangements an administrator or a policy file added -------------------------------

log = logging.getLogger(__name__)


def stored_arrangements(session: Session) -> tuple[dict[int, YearArrangement], dict[Any, str]]:
    """The stored arrangements, and the years whose rows cannot be read (written by hand or by an older
    version) with the reason. Rows are read as plain values and checked here, so one bad row makes its
    year unknown instead of failing every page that needs the calendar."""
    years: dict[int, YearArrangement] = {}
    broken: dict[Any, str] = {}
    for year, source in session.execute(select(CalendarYear.year, CalendarYear.source)).all():
        if not isinstance(year, int) or not MINYEAR < year < MAXYEAR:
            broken[year] = "年份无效"
        else:
            years[year] = YearArrangement(year=year, source=str(source))
    day_text = type_coerce(CalendarDay.day, String)
    for year, day, is_workday, name in session.execute(
            select(CalendarDay.year, day_text, CalendarDay.is_workday, CalendarDay.name)).all():
        arr = years.get(year) if isinstance(year, int) else None
        if arr is None:
            continue
        try:
            d = day if isinstance(day, date) else date.fromisoformat(str(day))
            if d.year != year:
                raise ValueError(f"{d} 不在 {year} 年内")
        except (TypeError, ValueError) as exc:
            broken[year] = f"日期 {day!r} 无法识别（{exc}）"
            continue
        (arr.workdays if is_workday else arr.holidays)[d] = str(name or "")
    for year, reason in broken.items():
        years.pop(year, None)
        log.warning("calendar year %r skipped: its stored arrangement cannot be read (%s)", year, reason)
    return years, broken


def stored_version(session: Session) -> tuple:
    """A cheap fingerprint of the stored arrangements (the time read as text, so a bad one cannot fail)."""
    return tuple(session.execute(select(func.count(), type_coerce(func.max(CalendarYear.updated_at), String))
                                 .select_from(CalendarYear)).one())


class CalendarProvider:
    """Hands out the current WorkingCalendar, rebuilt only when the stored arrangements change
    (checked with one cheap query, so replicas pick up another replica's import). `broken` names the
    stored years that could not be read, for the administrators' calendar page."""

    def __init__(self, policy_years: list[YearArrangement] | None = None):
        self.policy_years = {a.year: a for a in (policy_years or [])}
        self._version: tuple | None = None
        self._calendar: WorkingCalendar | None = None
        self.broken: dict[Any, str] = {}

    def get(self, session: Session) -> WorkingCalendar:
        version = stored_version(session)
        if self._calendar is None or version != self._version:
            stored, broken = stored_arrangements(session)
            unknown = frozenset(y for y in broken if isinstance(y, int))
            # Stored (admin) arrangements win over policy-file ones for the same year.
            self._calendar = WorkingCalendar({**self.policy_years, **stored}, unknown=unknown)
            self._version, self.broken = version, broken
        return self._calendar


def _summary(arr: YearArrangement | None) -> dict | None:
    if arr is None:
        return None
    return {"holidays": {d.isoformat(): n for d, n in sorted(arr.holidays.items())},
            "workdays": {d.isoformat(): n for d, n in sorted(arr.workdays.items())}}


def _remove_rows(session: Session, year: int) -> int:
    """Delete a year's rows with plain statements, so rows that cannot be loaded go as well."""
    days = session.execute(delete(CalendarDay).where(CalendarDay.year == year)).rowcount
    return session.execute(delete(CalendarYear).where(CalendarYear.year == year)).rowcount + days


def _old_summary(session: Session, year: int) -> dict | None:
    """What an import replaces: the stored arrangement, else the library's (a correction of a published
    year is audited as a replacement of it), else nothing."""
    stored, broken = stored_arrangements(session)
    if year in broken:
        return {"unreadable": broken[year]}
    if year not in stored and year in library_years():
        return _summary(YearArrangement.from_mapping(library_arrangement(year), source="chinesecalendar"))
    return _summary(stored.get(year))


def save_arrangement(session: Session, arr: YearArrangement, actor: Any, note: str = "") -> dict[str, int]:
    """Store (or replace) a year's arrangement, audited. The caller checks the role."""
    from control.core import audit
    old = _old_summary(session, arr.year)
    _remove_rows(session, arr.year)
    session.add(CalendarYear(year=arr.year, source=arr.source, note=note, updated_at=now(),
                             updated_by=actor if isinstance(actor, str) else actor.username))
    session.add_all(CalendarDay(day=d, year=arr.year, is_workday=False, name=n) for d, n in arr.holidays.items())
    session.add_all(CalendarDay(day=d, year=arr.year, is_workday=True, name=n) for d, n in arr.workdays.items())
    audit.record(session, actor, "import" if old is None else "replace", "calendar_year", arr.year,
                 changes={"arrangement": [old, _summary(arr)], "note": note}, label=f"{arr.year} 年节假日安排")
    session.commit()
    return {"year": arr.year, "holidays": len(arr.holidays), "workdays": len(arr.workdays)}


def delete_arrangement(session: Session, year: int, actor: Any) -> None:
    """Remove a stored arrangement (a wrong or unreadable one), audited; the year falls back to the
    library's data, or becomes unknown. The caller checks the role."""
    from control.core import audit
    old = _old_summary(session, year)
    if not _remove_rows(session, year):
        raise NotFound(f"没有为 {year} 年导入的节假日安排", code="calendar_year_not_stored")
    audit.record(session, actor, "delete", "calendar_year", year, changes={"arrangement": [old, None]},
                 label=f"{year} 年节假日安排")
    session.commit()
