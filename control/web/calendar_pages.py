"""Web pages of the working-day calendar: the month view and, for administrators, a year's arrangement
pasted as YAML or JSON, previewed month by month before it is saved (nothing is stored by the preview),
a confirmation when it replaces a year already known, and the removal of a stored year."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Query, Request

from control.core.calendar import (
    CalendarLimits,
    WorkingCalendar,
    YearArrangement,
    delete_arrangement,
    library_arrangement,
    library_years,
    save_arrangement,
)
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError, ValidationFailed
from control.core.params import AnyYear
from control.core.roles import Role
from control.web.render import FormDep, csrf_protect, flash, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


def month_days(cal: WorkingCalendar, year: int, month: int) -> list[dict[str, Any] | None]:
    """A month's grid from Monday: None pads the first and last week; a year nobody knows shows '?'."""
    days: list[dict[str, Any] | None] = []
    for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        for d in week:
            if d.month != month:
                days.append(None)
                continue
            try:
                kind, name = cal.day_kind(d)
            except ServiceError:
                kind, name = "unknown", ""
            days.append({"date": d, "kind": kind, "name": name})
    return days


def example_text() -> tuple[int, str]:
    """The last published year in the import form, shown as text to copy from (never pre-filled)."""
    year = max(library_years())
    return year, yaml.safe_dump(library_arrangement(year), allow_unicode=True, sort_keys=False,
                                default_flow_style=None, width=120)


def stored(source: str) -> bool:
    """Whether a year's arrangement was imported (web or CLI), so it can be removed; not the library's or
    a policy file's."""
    return source.startswith(("admin:", "cli:"))


@router.get("/calendar")
def calendar_page(request: Request, session: SessionDep, actor: CurrentActor,
                  year: int | None = Query(None, ge=1990, le=2200), month: int | None = Query(None, ge=1, le=12)):
    cal = request.app.state.calendars.get(session)
    now_day = today()
    year, month = year or now_day.year, month or now_day.month
    prev = date(year - (month == 1), 12 if month == 1 else month - 1, 1)
    nxt = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    known = cal.known_until()
    is_admin = actor.role == Role.admin
    example_year, example = example_text()
    return render(request, "calendar.html", {
        "year": year, "month": month, "days": month_days(cal, year, month), "weekdays": WEEKDAYS, "prev": prev,
        "next": nxt, "known_until": known, "warning": (known - now_day).days < 45,
        "years": [(y, cal.source_of(y), stored(cal.source_of(y))) for y in sorted(cal.years)][-6:],
        "is_admin": is_admin,
        "year_known": year in cal.years, "example_year": example_year, "example": example,
        "unreadable": request.app.state.calendars.broken if is_admin else {}})


def parse_arrangement(request: Request, actor, form: dict[str, Any]) -> YearArrangement:
    """The posted text (YAML, of which JSON is a part) checked by the same rule as the API and the CLI."""
    try:
        data = yaml.safe_load(form.get("arrangement", "") or "")
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"YAML 格式错误：{exc}", code="calendar_invalid") from None
    if data is None:
        raise ValidationFailed("请粘贴某年的节假日安排（YAML 或 JSON）", code="calendar_invalid")
    return YearArrangement.from_mapping(data, source=f"admin:{actor.username}",
                                        limits=CalendarLimits.of(request.app.state.settings))


@router.post("/calendar/preview")
def calendar_preview(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    """The year's twelve months as the posted arrangement would make them; stores nothing."""
    actor.require(Role.admin)
    try:
        arr = parse_arrangement(request, actor, form)
    except ValidationFailed as exc:
        return render(request, "_calendar_preview.html", {"error": exc})
    cal = request.app.state.calendars.get(session)
    preview = WorkingCalendar({arr.year: arr})
    months = [{"month": m, "days": month_days(preview, arr.year, m)} for m in range(1, 13)]
    workdays = sum(1 for m in months for d in m["days"] if d and d["kind"] in ("workday", "makeup"))
    return render(request, "_calendar_preview.html", {
        "arr": arr, "months": months, "weekdays": WEEKDAYS, "workdays": workdays, "text": form.get("arrangement"),
        "replaces": cal.source_of(arr.year) if arr.year in cal.years else None})


@router.post("/calendar/years")
def calendar_import(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    """Save a previewed arrangement; over a year already known only when the preview's confirmation was given."""
    actor.require(Role.admin)
    try:
        arr = parse_arrangement(request, actor, form)
        if arr.year in request.app.state.calendars.get(session).years and form.get("replace") != str(arr.year):
            raise ValidationFailed(f"{arr.year} 年已有节假日安排：请先预览，确认替换后再保存",
                                   code="calendar_replace_unconfirmed")
        result = save_arrangement(session, arr, actor, note=arr.note)
        flash(request, "{year} 年安排已保存：{holidays} 个节假日，{workdays} 个调休上班日", year=result["year"],
              holidays=result["holidays"], workdays=result["workdays"])
        return redirect(f"/calendar?year={result['year']}&month=1")
    except ServiceError as exc:
        flash(request, exc.detail)
    return redirect("/calendar")


@router.post("/calendar/years/{year}/delete")
def calendar_delete(request: Request, session: SessionDep, actor: CurrentActor, year: AnyYear):
    actor.require(Role.admin)
    try:
        delete_arrangement(session, year, actor)
        flash(request, "{year} 年的安排已删除", year=year)
    except ServiceError as exc:
        flash(request, exc.detail)
    return redirect("/calendar")
