"""The pure rules of every procedure with stages (cloud requests, migration plans; data-sharing requests
later): transition tables and their 409 reasons, review-level plans from policy, working-day deadlines,
SLA states, and planned-date schedules ("behind plan by N days"). No database, no HTTP.

A stage carries one of two kinds of deadline:
- **working days** from its start (review, approval): `deadline` fixes the due date when the stage starts,
  `sla` says on time / due soon / overdue by N working days;
- **a planned date** the item gives (connect, migrate, withdraw): `behind_days` counts the calendar days
  past the planned date while no actual date is recorded, and `schedule` names the state."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from control.core.calendar import UnknownYear, WorkingCalendar
from control.core.enums import LabeledEnum

REVIEW_PREFIX = "review:"    # a review level's stage key is review:<level key>


class SlaState(LabeledEnum):
    on_time = ("on_time", "正常", "On time")
    due_soon = ("due_soon", "即将到期", "Due soon")
    overdue = ("overdue", "已超期", "Overdue")
    done_on_time = ("done_on_time", "按时完成", "Done on time")
    done_late = ("done_late", "超期完成", "Done late")
    no_deadline = ("no_deadline", "无时限", "No deadline")
    calendar_unknown = ("calendar_unknown", "节假日安排未知", "Calendar year unknown")


OPEN_SLA_STATES = (SlaState.on_time, SlaState.due_soon, SlaState.overdue, SlaState.no_deadline,
                   SlaState.calendar_unknown)


class Schedule(LabeledEnum):
    """Where a stage with a planned date stands against it."""
    on_plan = ("on_plan", "按计划", "On plan")
    behind_plan = ("behind_plan", "滞后于计划", "Behind plan")
    done_on_plan = ("done_on_plan", "按计划完成", "Done on plan")
    done_late = ("done_late", "滞后完成", "Done behind plan")
    no_plan = ("no_plan", "无计划日期", "No planned date")


# --- transition tables -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transitions:
    """A procedure's state machine: (state, action) → next state, the zh-CN action labels and the noun of
    its items ("申请", "计划") for the 409 reason. States are LabeledEnum members (their .zh is read)."""
    table: Mapping[tuple[Enum, str], Enum]
    action_labels: Mapping[str, str]
    noun: str = "事项"

    @property
    def actions(self) -> list[str]:
        return sorted({a for _, a in self.table})

    def allowed(self, state: Enum) -> list[str]:
        """The actions open in `state`, in table order."""
        return [a for (s, a) in self.table if s == state]

    def next(self, state: Enum, action: str) -> Enum:
        """The state `action` leads to; KeyError when the table has no such move (check `error` first)."""
        return self.table[(state, action)]

    def error(self, state: Enum, action: str) -> str | None:
        """None when the move is in the table, else the zh-CN reason a 409 carries, naming what is allowed."""
        if (state, action) in self.table:
            return None
        allowed = [self.action_labels.get(a, a) for a in self.allowed(state)]
        label = self.action_labels.get(action, action)
        zh = getattr(state, "zh", str(state))
        if not allowed:
            return f"{self.noun}当前为“{zh}”，已无可执行的操作，不能“{label}”"
        return f"{self.noun}当前为“{zh}”，不能“{label}”；可执行：{'、'.join(allowed)}"


# --- review levels ------------------------------------------------------------------------------------

def review_plan(levels: Iterable[Any], department_id: int, parent_id: int | None) -> list[dict]:
    """The review levels that apply to an item of `department_id`, fixed when it is submitted:
    [{key, name, department_id, working_days, own}]. `levels` are the policy's (key, name, reviewer,
    working_days); a parent_department level is skipped for a department with no parent."""
    plan = []
    for level in levels:
        own = level.reviewer == "own_department"
        target = department_id if own else parent_id
        if target is not None:
            plan.append({"key": level.key, "name": level.name, "department_id": target,
                         "working_days": level.working_days, "own": own})
    return plan


def review_stage(level_key: str) -> str:
    return f"{REVIEW_PREFIX}{level_key}"


def stage_kind(stage: str) -> str:
    """Low-cardinality stage label for metrics and queues: review levels collapse into "review"."""
    return "review" if stage.startswith(REVIEW_PREFIX) else stage


# --- working-day deadlines ------------------------------------------------------------------------------

def deadline(cal: WorkingCalendar, start: date, working_days: int | None) -> tuple[date | None, str | None]:
    """(due date, calendar error): the end of the Nth working day after `start`. An unknown year is
    reported on the stage, not raised (the hourly recompute fills the date in once the year is known)."""
    if working_days is None:
        return None, None
    try:
        return cal.add_working_days(start, working_days), None
    except UnknownYear as exc:
        return None, exc.detail


def sla(cal: WorkingCalendar, due: date | None, today: date, done: date | None, margin: int,
        calendar_error: str | None = None) -> tuple[SlaState, int]:
    """The SLA state of a stage and its N: overdue by / done late by N working days. `margin`: due soon
    when this many working days or fewer are left."""
    if due is None:
        return (SlaState.calendar_unknown if calendar_error else SlaState.no_deadline), 0
    try:
        if done is not None:
            late = cal.working_days_between(due, done) if done > due else 0
            return (SlaState.done_late if done > due else SlaState.done_on_time), late
        if today > due:
            return SlaState.overdue, cal.working_days_between(due, today)
        left = cal.working_days_between(today, due)
    except UnknownYear:
        return SlaState.calendar_unknown, 0
    return (SlaState.due_soon if left <= margin else SlaState.on_time), 0


# --- planned dates --------------------------------------------------------------------------------------

def behind_days(planned: date | None, actual: date | None, today: date) -> int:
    """Calendar days behind the planned date: while no actual date is recorded, how far today is past it;
    once done, how late it was done. 0 on or before the planned date, or with no planned date."""
    if planned is None:
        return 0
    return max(0, ((actual or today) - planned).days)


def schedule(planned: date | None, actual: date | None, today: date) -> Schedule:
    """The schedule state: behind plan when the planned date has passed with no actual date."""
    if planned is None:
        return Schedule.no_plan
    late = behind_days(planned, actual, today) > 0
    if actual is not None:
        return Schedule.done_late if late else Schedule.done_on_plan
    return Schedule.behind_plan if late else Schedule.on_plan


def worst_behind(items: Sequence[tuple[date | None, date | None]], today: date) -> int:
    """The most days any open item (planned, actual) is behind plan: 0 when all are on plan. A plan is
    behind as soon as one of its stages or systems is."""
    return max((behind_days(p, None, today) for p, a in items if a is None), default=0)

