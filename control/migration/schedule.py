"""Each plan's stored `late_from`: the earliest planned date of what it still has open (its completion date
while the plan is open, its open stage's planned date, the planned dates of its unsettled systems). A plan is
behind plan on any day after it, by (day - late_from) days: the same judgement as rules/service make from
the rows, but stored, so the board and the lists count with GROUP BY on a column instead of judging every
plan at read time. The date does not move with the clock, so no hourly job has to touch it; it moves only
when a plan, one of its systems or its open stage is written, and a flush hook recomputes it then for the
plans that flush touched, whichever service function wrote them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value

from control.core.workflow import WorkflowStage
from control.migration import rules
from control.migration.models import MigrationPlan, PlanSystem

TOUCHED = "migration_plans_touched"


def behind(day: date):
    """SQL: the plan is behind plan on `day` (false, never null, for a plan with nothing planned open)."""
    return MigrationPlan.late_from.is_not(None) & (MigrationPlan.late_from < day)


def late_from(connection, plan_ids: list[int]) -> dict[int, date | None]:
    """The late_from each of `plan_ids` should hold, computed from its rows: three small queries."""
    if not plan_ids:
        return {}
    ids = sorted(set(plan_ids))
    dates: dict[int, list[date]] = {pid: [] for pid in ids}
    open_statuses = [s.value for s in rules.OPEN_STATUSES]
    for pid, status, completion in connection.execute(
            select(MigrationPlan.id, MigrationPlan.status, MigrationPlan.completion_date)
            .where(MigrationPlan.id.in_(ids))):
        if (getattr(status, "value", status)) in open_statuses and completion is not None:
            dates[pid].append(completion)
    w = WorkflowStage
    for pid, planned in connection.execute(
            select(w.subject_id, func.min(w.planned_date))
            .where(w.subject == rules.SUBJECT, w.active, w.subject_id.in_(ids), w.planned_date.is_not(None))
            .group_by(w.subject_id)):
        dates[pid].append(planned)
    for pid, planned in connection.execute(
            select(PlanSystem.plan_id, func.min(PlanSystem.planned_date))
            .where(PlanSystem.plan_id.in_(ids), PlanSystem.state.in_(rules.SCHEDULED_STATES),
                   PlanSystem.planned_date.is_not(None))
            .group_by(PlanSystem.plan_id)):
        dates[pid].append(planned)
    return {pid: min(found, default=None) for pid, found in dates.items()}


def refresh(session, plan_ids: list[int]) -> None:
    """Store late_from for `plan_ids` (rows and the plans already loaded in the session)."""
    values = late_from(session.connection(), plan_ids)
    if not values:
        return
    table = MigrationPlan.__table__
    session.connection().execute(update(table).where(table.c.id == bindparam("pid"))
                                 .values(late_from=bindparam("late")),
                                 [{"pid": pid, "late": late} for pid, late in values.items()])
    for pid, late in values.items():
        plan = session.identity_map.get(session.identity_key(MigrationPlan, pid))
        if plan is not None:
            set_committed_value(plan, "late_from", late)


def _touched_plans(session) -> set[int]:
    found: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, MigrationPlan):
            found.add(obj.id)
        elif isinstance(obj, PlanSystem):
            found.add(obj.plan_id)
        elif isinstance(obj, WorkflowStage) and obj.subject == rules.SUBJECT:
            found.add(obj.subject_id)
    found.discard(None)
    return found


@event.listens_for(OrmSession, "after_flush")
def _remember(session, flush_context) -> None:
    """Plans whose rows this flush wrote (their ids are known now, new plans included)."""
    touched = _touched_plans(session)
    if touched:
        session.info.setdefault(TOUCHED, set()).update(touched)


@event.listens_for(OrmSession, "after_flush_postexec")
def _store(session, flush_context) -> None:
    touched = session.info.pop(TOUCHED, None)
    if touched:
        refresh(session, list(touched))
