"""The shared stage engine: one table of stages for every procedure (cloud requests, migration plans;
data-sharing requests later) and the functions that write and read it. The rules are pure, in
control/core/stages.py; the domain keeps its own item table and state, and names its items here by
`subject` ("cloud_request", "migration_plan") and `subject_id`.

- `start` opens a stage with its deadline fixed at that moment (N working days from today, or the
  planned date the item gives), `start_policy_stage` one the policy names, `start_review_level` the
  next level of the item's review plan; `finish` closes it with an outcome and the actual date;
  `clock_to_keep` is the earlier stage a resubmission carries its deadline over from, when policy says so.
- `recompute` is the hourly job over the open stages of every subject: SLA states, deadlines of years
  the calendar has since learnt, days behind plan. One UPDATE per distinct new value.
- `add_authors` / `authors` / `check_decision` keep everyone who created, submitted or resubmitted an
  item, so none of them ever decides it (control/core/duties.py); `not_authored_by` is the same rule
  as a query condition for the "awaiting me" queues.
- `open_stage` (join condition) and `by_due` (ordering) build the queues, nearest deadline first.

Functions that write take the caller's session and never commit, except `recompute` (its own job)."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, and_, exists, func, select
from sqlmodel import Field, Session, SQLModel

from control.core import duties, stages
from control.core.auth import Actor
from control.core.calendar import UnknownYear, WorkingCalendar
from control.core.clock import now, today
from control.core.db import UTCDateTime, fetch_columns
from control.core.dialect import update_by_ids
from control.core.enums import enum_column
from control.core.policy import ProcedurePolicy
from control.core.stages import SlaState


class WorkflowStage(SQLModel, table=True):
    """One stage of one item, with the deadline computed when it started (never recomputed from a later
    policy): `working_days` and `due_date` for a working-day deadline, `planned_date` for a stage the
    item plans; `done_date` is the actual date. `sla_working_days`: overdue by / done late by N working
    days; `behind_days`: calendar days past the planned date without an actual date (or done late by)."""
    __tablename__ = "workflow_stage"
    # Covers the queues: open stages of one kind by due date, counted without touching the table.
    __table_args__ = (Index("ix_workflow_stage_queue", "active", "subject", "stage", "due_date", "subject_id",
                            "sla_state"),
                      Index("ix_workflow_stage_subject", "subject", "subject_id"))
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=32)
    subject_id: int
    stage: str = Field(max_length=64)      # review:<level key> | a policy stage key
    name: str = Field(max_length=100)
    started_at: datetime = Field(default_factory=now, sa_column=Column(UTCDateTime(), nullable=False))
    start_date: date
    working_days: int | None = None
    due_date: date | None = None
    planned_date: date | None = None
    calendar_error: str | None = Field(default=None, max_length=300)
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    done_date: date | None = None
    outcome: str | None = Field(default=None, max_length=32)
    actor: str | None = Field(default=None, max_length=64)
    comment: str | None = None
    active: bool = True
    sla_state: SlaState = Field(default=SlaState.on_time, sa_type=enum_column(SlaState))
    sla_working_days: int = 0
    behind_days: int = 0


class WorkflowAuthor(SQLModel, table=True):
    """Someone who created, submitted or resubmitted an item: never its reviewer or approver."""
    __tablename__ = "workflow_author"
    subject: str = Field(max_length=32, primary_key=True)
    subject_id: int = Field(primary_key=True)
    username: str = Field(max_length=64, primary_key=True)


@dataclass(frozen=True)
class Procedure:
    """What the engine needs to know of one procedure: the name its items go by in the stage table,
    today's working calendar and the procedure's policy section."""
    subject: str
    calendar: WorkingCalendar
    policy: ProcedurePolicy

    @property
    def margin(self) -> int:
        return self.policy.due_soon_working_days


# --- stages of one item -----------------------------------------------------------------------------

def start(session: Session, proc: Procedure, subject_id: int, stage: str, name: str, *,
          working_days: int | None = None, planned_date: date | None = None,
          keep_from: WorkflowStage | None = None) -> WorkflowStage:
    """Open a stage with its deadline fixed now: `working_days` from today, or `planned_date`.
    `keep_from` (see clock_to_keep) carries an earlier start and deadline over instead."""
    day = today()
    if keep_from is not None:
        start_date, due, err = keep_from.start_date, keep_from.due_date, keep_from.calendar_error
        working_days, planned_date = keep_from.working_days, keep_from.planned_date
    else:
        start_date = day
        due, err = stages.deadline(proc.calendar, day, working_days)
    state, n = stages.sla(proc.calendar, due, day, None, proc.margin, err)
    record = WorkflowStage(subject=proc.subject, subject_id=subject_id, stage=stage, name=name, start_date=start_date,
                           working_days=working_days, due_date=due, planned_date=planned_date, calendar_error=err,
                           sla_state=state, sla_working_days=n,
                           behind_days=stages.behind_days(planned_date, None, day))
    session.add(record)
    return record


def start_policy_stage(session: Session, proc: Procedure, subject_id: int, key: str, *,
                       planned_date: date | None = None, keep_from: WorkflowStage | None = None) -> WorkflowStage:
    """Open the policy stage `key` with its policy name and deadline (a planned stage takes `planned_date`)."""
    stage = proc.policy.stage(key)
    return start(session, proc, subject_id, key, stage.name, working_days=stage.working_days,
                 planned_date=planned_date if stage.planned_date else None, keep_from=keep_from)


def start_review_level(session: Session, proc: Procedure, subject_id: int, plan: list[dict], index: int, *,
                       keep_from: WorkflowStage | None = None) -> dict | None:
    """Open level `index` of the item's review plan (stages.review_plan) as stage review:<key> and return
    the level (its department_id signs it), or None when every level is done and the next stage is due."""
    if index >= len(plan):
        return None
    level = plan[index]
    start(session, proc, subject_id, stages.review_stage(level["key"]), level["name"],
          working_days=level["working_days"], keep_from=keep_from)
    return level


def finish(proc: Procedure, record: WorkflowStage | None, outcome: str, actor: str, comment: str | None, *,
           done_date: date | None = None) -> None:
    """Close a stage with its outcome, who closed it and the actual date (today unless given)."""
    if record is None:
        return
    day = done_date or today()
    record.active, record.done_at, record.done_date = False, now(), day
    record.outcome, record.actor, record.comment = outcome, actor, comment
    record.sla_state, record.sla_working_days = stages.sla(proc.calendar, record.due_date, day, day, proc.margin,
                                                           record.calendar_error)
    record.behind_days = stages.behind_days(record.planned_date, day, day)


def replan(record: WorkflowStage, planned_date: date | None) -> None:
    """Move the planned date of a stage (the item's plan changed); its days behind follow."""
    record.planned_date = planned_date
    record.behind_days = stages.behind_days(planned_date, record.done_date if not record.active else None, today())


def active(session: Session, subject: str, subject_id: int) -> WorkflowStage | None:
    """The item's open stage, if any."""
    return session.execute(select(WorkflowStage).where(WorkflowStage.subject == subject,
                                                       WorkflowStage.subject_id == subject_id, WorkflowStage.active)
                           ).scalars().first()


def history(session: Session, subject: str, subject_id: int) -> list[WorkflowStage]:
    """Every stage of the item, in the order they started."""
    return list(session.execute(select(WorkflowStage).where(WorkflowStage.subject == subject,
                                                            WorkflowStage.subject_id == subject_id)
                                .order_by(WorkflowStage.id)).scalars())


def clock_to_keep(session: Session, proc: Procedure, subject_id: int, stage: str) -> WorkflowStage | None:
    """When a returned item is resubmitted to `stage`: the stage's first record, whose start and deadline
    carry over, or None when policy restarts the clock on return (restart_clock_on_return)."""
    if proc.policy.restart_clock_on_return:
        return None
    return session.execute(select(WorkflowStage).where(WorkflowStage.subject == proc.subject,
                                                       WorkflowStage.subject_id == subject_id,
                                                       WorkflowStage.stage == stage)
                           .order_by(WorkflowStage.id)).scalars().first()


def working_days_left(proc: Procedure, record: WorkflowStage) -> int | None:
    """Working days left before the deadline (the countdown); negative once overdue, None without one."""
    if not record.active or record.due_date is None:
        return None
    try:
        return proc.calendar.working_days_between(today(), record.due_date)
    except UnknownYear:
        return None


# --- queues ------------------------------------------------------------------------------------------

def open_stage(subject: str, id_column: Any) -> Any:
    """Join condition: the open stage of the item whose id is `id_column` (outer-join it for the list)."""
    return and_(WorkflowStage.subject == subject, WorkflowStage.subject_id == id_column, WorkflowStage.active)


def of_kind(kind: str) -> Any:
    """Condition on the stage for one queue: "review" (every review level) or a stage key."""
    return WorkflowStage.stage.like(f"{stages.REVIEW_PREFIX}%") if kind == "review" else WorkflowStage.stage == kind


def by_due() -> tuple:
    """Queue order: nearest deadline first (working-day due date, else planned date); none last."""
    return (WorkflowStage.due_date.asc().nulls_last(), WorkflowStage.planned_date.asc().nulls_last())


# --- authors and separation of duties ---------------------------------------------------------------

def add_authors(session: Session, subject: str, subject_id: int, *usernames: str | None) -> None:
    """Record users who created, submitted or resubmitted the item (once each)."""
    known = authors(session, subject, subject_id)
    for name in dict.fromkeys(u for u in usernames if u and u not in known):
        session.add(WorkflowAuthor(subject=subject, subject_id=subject_id, username=name))
    session.flush()


def authors(session: Session, subject: str, subject_id: int) -> set[str]:
    return set(session.execute(select(WorkflowAuthor.username).where(WorkflowAuthor.subject == subject,
                                                                     WorkflowAuthor.subject_id == subject_id))
               .scalars())


def check_decision(session: Session, actor: Actor, step: duties.Step, subject: str, subject_id: int,
                   current: Collection[str | None] = ()) -> None:
    """403 unless `actor` may decide `step` of the item: the duties rule with every author recorded, and
    `current`, the authors the item's own row names (its creator and latest submitter)."""
    duties.check(actor, step, authors(session, subject, subject_id) | {a for a in current if a})


def not_authored_by(subject: str, id_column: Any, username: str) -> Any:
    """Condition: `username` is none of the item's authors (the awaiting-me queues)."""
    return ~exists().where(WorkflowAuthor.subject == subject, WorkflowAuthor.subject_id == id_column,
                           WorkflowAuthor.username == username)


def authored_by(subject: str, id_column: Any, username: str) -> Any:
    """Condition: `username` created, submitted or resubmitted the item ("mine")."""
    return exists().where(WorkflowAuthor.subject == subject, WorkflowAuthor.subject_id == id_column,
                          WorkflowAuthor.username == username)


# --- scheduled work and metrics ----------------------------------------------------------------------

def recompute(session: Session, calendar: WorkingCalendar, margins: Mapping[str, int]) -> dict[str, int]:
    """Recompute every open stage of every subject (the hourly job): SLA state, a deadline the calendar
    could not give at start (unknown year) once the year is known, and days behind plan. `margins`: the
    due-soon margin of each subject (others: 1 working day). Commits."""
    day = today()
    w = WorkflowStage
    columns = fetch_columns(     # driver rows, converted once per value: 50,000 open stages in under a second
        session, select(w.id, w.subject, w.start_date, w.working_days, w.due_date, w.calendar_error, w.sla_state,
                        w.sla_working_days, w.planned_date, w.behind_days).where(w.active),
        convert=("start_date", "due_date", "sla_state", "planned_date"))
    rows = list(zip(*columns.values(), strict=True))
    memo: dict[tuple, tuple] = {}
    changes: dict[tuple, list[int]] = {}           # new (state, working days, due, error, behind) → stage ids
    for sid, subject, start_date, wdays, due, err, state, n, planned, behind in rows:
        new_due, new_err = (stages.deadline(calendar, start_date, wdays) if due is None and wdays is not None
                            else (due, err))
        key = (new_due, new_err, margins.get(subject, 1))
        if key not in memo:
            memo[key] = stages.sla(calendar, new_due, day, None, key[2], new_err)
        new_state, new_n = memo[key]
        new_behind = stages.behind_days(planned, None, day)
        new = (new_state, new_n, new_due, new_err, new_behind)
        if new != (state, n, due, err, behind):
            changes.setdefault(new, []).append(sid)
    # One UPDATE per distinct new value (a few hundred: stages share deadlines) instead of one per stage:
    # 30,000 changed stages took 1 s as single-row updates on a durable PostgreSQL.
    for (new_state, new_n, new_due, new_err, new_behind), ids in changes.items():
        update_by_ids(session.connection(), WorkflowStage.__table__, ids,
                      {"sla_state": new_state, "sla_working_days": new_n, "due_date": new_due,
                       "calendar_error": new_err, "behind_days": new_behind})
    session.commit()
    return {"open_stages": len(rows), "changed": sum(map(len, changes.values()))}


def sla_counts(session: Session, subject: str) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """(open stages of a subject by (stage kind, sla_state), worst overdue working days by stage kind)."""
    counts: dict[tuple[str, str], int] = {}
    worst: dict[str, int] = {}
    w = WorkflowStage
    for stage, state, n, most in session.execute(
            select(w.stage, w.sla_state, func.count(), func.max(w.sla_working_days))
            .where(w.active, w.subject == subject).group_by(w.stage, w.sla_state)).all():
        key, state = stages.stage_kind(stage), SlaState(state).value
        counts[(key, state)] = counts.get((key, state), 0) + n
        if state == SlaState.overdue.value:
            worst[key] = max(worst.get(key, 0), most or 0)
    return counts, worst
