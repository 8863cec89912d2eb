"""REST: automation runs and their events (the change pipeline's endpoints join these later)."""
from __future__ import annotations

from fastapi import APIRouter, Query

from control.automation import service
from control.automation.schemas import EventList, RunList, RunOut
from control.core.deps import CurrentActor, SessionDep
from control.core.params import Id, Offset
from control.core.runs import EVENTS_LIMIT, FINISHED, RunStatus

router = APIRouter(prefix="/api/v1/runs", tags=["automation runs"])


@router.get("", response_model=RunList)
def list_runs(session: SessionDep, actor: CurrentActor, status: RunStatus | None = None,
              kind: str | None = Query(None, max_length=32), change_id: Id | None = None,
              limit: int = Query(50, ge=1, le=500), offset: Offset = 0):
    items, total = service.list_runs(session, actor, status=status, kind=kind, change_id=change_id, limit=limit,
                                     offset=offset)
    return RunList(items=items, total=total, limit=limit, offset=offset)


@router.get("/{run_id:int}", response_model=RunOut)
def get_run(session: SessionDep, actor: CurrentActor, run_id: Id):
    return service.get_run(session, actor, run_id)


@router.get("/{run_id:int}/events", response_model=EventList)
def run_events(session: SessionDep, actor: CurrentActor, run_id: Id, after: Offset = 0,
               limit: int = Query(200, ge=1, le=EVENTS_LIMIT)):
    """Events numbered above `after` (at most `limit`); poll again with `after=last` until `finished`."""
    run, items, more = service.run_events(session, actor, run_id, after, limit)
    return EventList(items=items, last=items[-1].seq if items else after, more=more,
                     finished=run.status in FINISHED and not more, status=run.status)
