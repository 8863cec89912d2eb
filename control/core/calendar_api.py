"""REST: working-day arithmetic (open: the State Council calendar is public information) and the
administration of holiday arrangements for years the library does not know yet."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date
from typing import Any

import yaml
from fastapi import APIRouter, Body, Query, Request

from control.core.calendar import WorkingCalendar, YearArrangement, library_years, save_arrangement
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ValidationFailed
from control.core.roles import Role

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


def working_calendar(request: Request, session) -> WorkingCalendar:
    return request.app.state.calendars.get(session)


@router.get("/add-working-days")
def add_working_days(request: Request, session: SessionDep, start: date, days: int = Query(ge=0, le=3650)):
    """The due date N working days after `start` (start never counts). 422 for an unknown year."""
    due = working_calendar(request, session).add_working_days(start, days)
    return {"start": start.isoformat(), "days": days, "due": due.isoformat()}


@router.get("/working-days-between")
def working_days_between(request: Request, session: SessionDep, start: date, end: date):
    """Working days in (start, end]."""
    count = working_calendar(request, session).working_days_between(start, end)
    return {"start": start.isoformat(), "end": end.isoformat(), "working_days": count}


@router.get("/years")
def years(request: Request, session: SessionDep, actor: CurrentActor):
    cal = working_calendar(request, session)
    return {"known_until": cal.known_until().isoformat(),
            "years": [{"year": y, "source": cal.source_of(y)} for y in sorted(cal.years)],
            "library_years": [min(library_years()), max(library_years())]}


@router.get("/month")
def month(request: Request, session: SessionDep, actor: CurrentActor, year: int = Query(ge=1990, le=2200),
          month: int = Query(ge=1, le=12)):
    """Every day of a month with its kind (workday / makeup / holiday / weekend) for the month view."""
    cal = working_calendar(request, session)
    days = []
    for day in range(1, month_calendar.monthrange(year, month)[1] + 1):
        kind, name = cal.day_kind(date(year, month, day))
        days.append({"date": date(year, month, day).isoformat(), "kind": kind, "name": name})
    return {"year": year, "month": month, "days": days}


@router.put("/years/{year}")
def put_year(request: Request, session: SessionDep, actor: CurrentActor, year: int,
             body: Any = Body(..., description="The arrangement as JSON, or YAML text in a JSON string")):
    """Add or correct a year's arrangement (administrators)."""
    actor.require(Role.admin)
    data = yaml.safe_load(body) if isinstance(body, str) else body
    if not isinstance(data, dict) or int(data.get("year", year)) != year:
        raise ValidationFailed(f"安排内容须为 {year} 年的节假日与调休上班日", code="calendar_invalid")
    arr = YearArrangement.from_mapping({**data, "year": year}, source=f"admin:{actor.username}")
    return save_arrangement(session, arr, actor, note=str(data.get("note", "")))
