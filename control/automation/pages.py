"""Web pages of automation runs: the list, and a run's page whose events arrive live (htmx polls "events after
N" every two seconds until the run ends, then the page holds the whole stream for replay)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from control.automation import service
from control.automation.enums import RunKind, RunMode, event_label, value_label
from control.core.deps import CurrentActor, SessionDep
from control.core.params import Blank, Id, Offset
from control.core.runs import EVENTS_LIMIT, FINISHED, RunStatus
from control.web.render import csrf_protect, render, request_locale

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50


@router.get("/runs")
def runs_list(request: Request, session: SessionDep, actor: CurrentActor,
              status: Annotated[RunStatus | None, Blank] = None, offset: Annotated[Offset, Blank] = 0):
    items, total = service.list_runs(session, actor, status=status, limit=PAGE, offset=offset)
    return render(request, "runs/list.html", {"items": items, "total": total, "status": status, "offset": offset,
                                              "page": PAGE, "statuses": list(RunStatus), "as_status": RunStatus,
                                              **_kind_labels(request)})


def _kind_labels(request: Request) -> dict:
    locale = request_locale(request)
    return {"kind_label": lambda v: value_label(RunKind, v, locale),
            "mode_label": lambda v: value_label(RunMode, v, locale)}


def _events_context(request: Request, run, items, more: bool) -> dict:
    locale = request_locale(request)
    return {"run": run, "events": items, "last": items[-1].seq if items else 0, "more": more,
            "live": run.status not in FINISHED or more, "as_status": RunStatus,
            "event_label": lambda name: event_label(name, locale), **_kind_labels(request)}


@router.get("/runs/{run_id:int}")
def run_page(request: Request, session: SessionDep, actor: CurrentActor, run_id: Id):
    run, items, more = service.run_events(session, actor, run_id, 0, EVENTS_LIMIT)
    return render(request, "runs/detail.html", _events_context(request, run, items, more))


@router.get("/runs/{run_id:int}/events")
def run_events_fragment(request: Request, session: SessionDep, actor: CurrentActor, run_id: Id,
                        after: Annotated[Offset, Blank] = 0):
    """The events after N as list items appended to the page, the status, and the next poller (none once the
    run has ended and every event is shown)."""
    run, items, more = service.run_events(session, actor, run_id, after, EVENTS_LIMIT)
    context = _events_context(request, run, items, more)
    context["last"] = items[-1].seq if items else after
    return render(request, "runs/_events.html", context)
