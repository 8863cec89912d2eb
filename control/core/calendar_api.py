"""REST: working-day arithmetic (open: the State Council calendar is public information) and the
administration of holiday arrangements for years the library does not know yet."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from control.core.calendar import (
    ArrangementIn,
    ArrangementSaved,
    CalendarLimits,
    WorkingCalendar,
    YearArrangement,
    delete_arrangement,
    library_years,
    save_arrangement,
)
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ValidationFailed
from control.core.params import AnyYear, CalendarDate
from control.core.roles import Role

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class DueDate(BaseModel):
    start: date
    days: int
    due: date


class WorkingDays(BaseModel):
    start: date
    end: date
    working_days: int


class KnownYear(BaseModel):
    year: int
    source: str = Field(description="chinesecalendar、policy:文件名 或 admin:用户名")


class UnreadableYear(BaseModel):
    year: str
    reason: str


class YearsOut(BaseModel):
    known_until: date
    years: list[KnownYear]
    library_years: list[int] = Field(description="库内已有年份的首尾")
    unreadable: list[UnreadableYear] = Field(default_factory=list, description="存储的安排无法读取的年份（仅管理员）")


class MonthDay(BaseModel):
    date: date
    kind: str = Field(description="workday、makeup、holiday 或 weekend")
    name: str


class MonthOut(BaseModel):
    year: int
    month: int
    days: list[MonthDay]


def working_calendar(request: Request, session) -> WorkingCalendar:
    return request.app.state.calendars.get(session)


@router.get("/add-working-days", response_model=DueDate)
def add_working_days(request: Request, session: SessionDep, start: CalendarDate, days: int = Query(ge=0, le=3650)):
    """The due date N working days after `start` (start never counts). 422 for an unknown year."""
    due = working_calendar(request, session).add_working_days(start, days)
    return DueDate(start=start, days=days, due=due)


@router.get("/working-days-between", response_model=WorkingDays)
def working_days_between(request: Request, session: SessionDep, start: CalendarDate, end: CalendarDate):
    """Working days in (start, end]."""
    count = working_calendar(request, session).working_days_between(start, end)
    return WorkingDays(start=start, end=end, working_days=count)


@router.get("/years", response_model=YearsOut)
def years(request: Request, session: SessionDep, actor: CurrentActor):
    cal = working_calendar(request, session)
    broken = request.app.state.calendars.broken if actor.role == Role.admin else {}
    return YearsOut(known_until=cal.known_until(),
                    years=[KnownYear(year=y, source=cal.source_of(y)) for y in sorted(cal.years)],
                    library_years=[min(library_years()), max(library_years())],
                    unreadable=[UnreadableYear(year=str(y), reason=r) for y, r in broken.items()])


@router.get("/month", response_model=MonthOut)
def month(request: Request, session: SessionDep, actor: CurrentActor, year: int = Query(ge=1990, le=2200),
          month: int = Query(ge=1, le=12)):
    """Every day of a month with its kind (workday / makeup / holiday / weekend) for the month view."""
    cal = working_calendar(request, session)
    days = []
    for day in range(1, month_calendar.monthrange(year, month)[1] + 1):
        kind, name = cal.day_kind(date(year, month, day))
        days.append(MonthDay(date=date(year, month, day), kind=kind, name=name))
    return MonthOut(year=year, month=month, days=days)


@router.put("/years/{year}", response_model=ArrangementSaved)
def put_year(request: Request, session: SessionDep, actor: CurrentActor, year: AnyYear, body: ArrangementIn):
    """Add or correct a year's arrangement (administrators). The body's year must be the path's."""
    actor.require(Role.admin)
    if body.year != year:
        raise ValidationFailed(f"安排内容的年份 {body.year} 与地址中的年份 {year} 不一致", code="calendar_invalid",
                               errors=[{"field": "year", "message": "年份与地址不一致", "code": "calendar_invalid"}])
    arr = YearArrangement.from_body(body, source=f"admin:{actor.username}",
                                    limits=CalendarLimits.of(request.app.state.settings))
    return save_arrangement(session, arr, actor, note=body.note)


@router.delete("/years/{year}", status_code=204, response_class=Response)
def delete_year(session: SessionDep, actor: CurrentActor, year: AnyYear):
    """Remove a stored arrangement, also one that cannot be read (administrators, audited): the year
    falls back to the library's arrangement or becomes unknown."""
    actor.require(Role.admin)
    delete_arrangement(session, year, actor)
    return Response(status_code=204)
