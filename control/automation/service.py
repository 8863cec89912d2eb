"""Reading runs and their events, scoped: operators, the Information Center, administrators and auditors see
every run; a department sees the runs whose subject (device, change) lies in its subtree."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from control.core import runs
from control.core.auth import Actor
from control.core.roles import Role
from control.core.scope import get_scoped, scope_condition

READ_ROLES = (Role.admin, Role.infocenter, Role.ops, Role.auditor, Role.department)


def get_run(session: Session, actor: Actor, run_id: int) -> runs.Run:
    actor.require(*READ_ROLES)
    return get_scoped(session, actor, runs.Run, run_id, "运行")


def list_runs(session: Session, actor: Actor, *, status: runs.RunStatus | None = None, kind: str | None = None,
              change_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[runs.Run], int]:
    actor.require(*READ_ROLES)
    where = scope_condition(actor, runs.Run.department_id)
    if status is not None:
        where.append(runs.Run.status == status)
    if kind:
        where.append(runs.Run.kind == kind)
    if change_id is not None:
        where.append(runs.Run.change_id == change_id)
    total = session.execute(select(func.count()).select_from(runs.Run).where(*where)).scalar_one()
    items = session.exec(select(runs.Run).where(*where).order_by(runs.Run.id.desc()).limit(limit)
                         .offset(offset)).scalars().all()
    return list(items), total


def run_events(session: Session, actor: Actor, run_id: int, after: int = 0,
               limit: int = runs.EVENTS_LIMIT) -> tuple[runs.Run, list[runs.RunEvent], bool]:
    """The run (status read before the events, so a run seen finished has all its events in the answer or the
    next ones), its events after `after`, and whether more are waiting beyond `limit`."""
    run = get_run(session, actor, run_id)
    limit = max(1, min(limit, runs.EVENTS_LIMIT))
    items = runs.events_after(session, run_id, after, limit + 1)
    return run, items[:limit], len(items) > limit
