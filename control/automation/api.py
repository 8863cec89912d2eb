"""REST: automation runs and their events, the device-change templates, and changes with their actions."""
from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Query, Request

from control.automation import rules, service
from control.automation.enums import ChangeKind, ChangeStatus
from control.automation.schemas import (
    ChangeActionIn,
    ChangeIn,
    ChangeList,
    ChangeOut,
    EventList,
    RunList,
    RunOut,
    TemplateList,
)
from control.core.deps import CurrentActor, SessionDep
from control.core.params import Id, Offset
from control.core.runs import EVENTS_LIMIT, FINISHED, RunStatus

router = APIRouter(prefix="/api/v1/runs", tags=["automation runs"])
ChangeAction = StrEnum("ChangeAction", {a: a for a in rules.ACTIONS})


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


templates_router = APIRouter(prefix="/api/v1/automation", tags=["automation changes"])
changes_router = APIRouter(prefix="/api/v1/changes", tags=["automation changes"])


@templates_router.get("/templates", response_model=TemplateList)
def list_templates(actor: CurrentActor):
    """The device-change templates of playbooks/network: name, description and typed variables."""
    actor.require(*service.READ_ROLES)
    return TemplateList(items=service.templates_list())


@changes_router.post("", response_model=ChangeOut, status_code=201)
def create_change(session: SessionDep, actor: CurrentActor, data: ChangeIn):
    """A draft change. `kind` device: `template` and `device_ids`; `kind` playbook: `playbook` and `hosts`. The
    first target is the canary. A classified system or network is refused (422) and nothing is stored."""
    return service.detail(session, service.create_change(session, actor, data))


@changes_router.get("", response_model=ChangeList)
def list_changes(session: SessionDep, actor: CurrentActor, status: ChangeStatus | None = None,
                 kind: ChangeKind | None = None, plan_step_id: Id | None = None, device_id: Id | None = None,
                 limit: int = Query(50, ge=1, le=500), offset: Offset = 0):
    items, total = service.list_changes(session, actor, status=status, kind=kind, plan_step_id=plan_step_id,
                                        device_id=device_id, limit=limit, offset=offset)
    return ChangeList(items=items, total=total, limit=limit, offset=offset)


@changes_router.get("/{change_id:int}", response_model=ChangeOut)
def get_change(session: SessionDep, actor: CurrentActor, change_id: Id):
    """State, per-target status, rendered commands, expected diff, runs; `digest` is what an approval pins."""
    return service.detail(session, service.get_change(session, actor, change_id))


@changes_router.post("/{change_id:int}/{action}", response_model=ChangeOut)
def act(request: Request, session: SessionDep, actor: CurrentActor, change_id: Id, action: ChangeAction,
        body: ChangeActionIn | None = None):
    """check / approve / apply / rollback / cancel / resume. Not allowed in the change's state, or apply on a
    device whose config changed since the check: 409 with the reason; the author approving: 403."""
    change = service.act(session, actor, request.app.state.policy, change_id, action.value, body or ChangeActionIn())
    return service.detail(session, change)
