"""REST: cloud resource requests, their workflow, attachments, capacity pools and quotas."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import Response

from control.cloud import automation, service
from control.cloud.enums import RequestStatus, SlaState, Zone
from control.cloud.schemas import (
    ActionIn,
    AttachmentOut,
    CapacityIn,
    CapacityOut,
    QuotaIn,
    QuotaOut,
    RequestIn,
    RequestList,
    RequestOut,
    RequestUpdate,
)
from control.core import attachments
from control.core.deps import CurrentActor, SessionDep
from control.core.params import Id, Offset, SearchText, file_response

router = APIRouter(prefix="/api/v1", tags=["cloud requests"])


def cloud_context(request: Request, session: SessionDep) -> service.Context:
    return service.Context(calendar=request.app.state.calendars.get(session), policy=request.app.state.policy)


ContextDep = Annotated[service.Context, Depends(cloud_context)]


def request_filter(status: RequestStatus | None = None, department_id: Id | None = None,
                   queue: str | None = Query(None, pattern="^(review|acceptance|assessment|delivery)$"),
                   sla_state: SlaState | None = None, overdue: bool | None = None, awaiting_me: bool = False,
                   mine: bool = False, q: SearchText | None = None,
                   sort: str = Query("due", pattern="^(due|-created|number)$")) -> service.RequestFilter:
    """`awaiting_me`: what the caller may decide now; `mine`: what they filed; `sort=due` (the default) puts
    the nearest deadline first and requests with nothing due last."""
    return service.RequestFilter(status=status, department_id=department_id, queue=queue, sla_state=sla_state,
                                 overdue=overdue, awaiting_me=awaiting_me, mine=mine, q=q, sort=sort)


@router.get("/cloud-requests", response_model=RequestList)
def list_requests(
    session: SessionDep,
    actor: CurrentActor,
    f: Annotated[service.RequestFilter, Depends(request_filter)],
    limit: int = Query(50, ge=1, le=500),
    offset: Offset = 0,
):
    """Lists and queues: `queue=acceptance` is the Bureau's queue, sorted by due date."""
    items, total = service.list_requests(session, actor, f, limit, offset)
    return RequestList(items=items, total=total, limit=limit, offset=offset)


@router.post("/cloud-requests", response_model=RequestOut, status_code=201)
def create_request(session: SessionDep, actor: CurrentActor, ctx: ContextDep, data: RequestIn):
    return service.detail(session, service.create_request(session, actor, data), ctx)


@router.get("/cloud-requests/{request_id:int}", response_model=RequestOut)
def get_request(session: SessionDep, actor: CurrentActor, ctx: ContextDep, request_id: Id):
    return service.detail(session, service.get_request(session, actor, request_id), ctx)


@router.patch("/cloud-requests/{request_id:int}", response_model=RequestOut)
def update_request(session: SessionDep, actor: CurrentActor, ctx: ContextDep, request_id: Id, data: RequestUpdate):
    return service.detail(session, service.update_request(session, actor, request_id, data), ctx)


@router.post("/cloud-requests/{request_id:int}/attachments", response_model=AttachmentOut, status_code=201)
def upload_attachment(request: Request, session: SessionDep, actor: CurrentActor, request_id: Id,
                      file: UploadFile):
    """A plain def: the spooled file is read on a worker thread, up to the attachment limit."""
    return service.add_attachment(session, actor, request_id, file.filename or "attachment",
                                  file.content_type or "", file.file, request.app.state.settings.attachment_max_bytes)


@router.get("/cloud-requests/{request_id:int}/attachments/{attachment_id:int}", response_class=Response,
            responses=file_response("application/octet-stream", "附件原文件（按上传时的类型）"))
def download_attachment(session: SessionDep, actor: CurrentActor, request_id: Id, attachment_id: Id):
    att = service.get_attachment(session, actor, request_id, attachment_id)
    return attachments.download(att.filename, att.content_type, att.content)


@router.post("/cloud-requests/{request_id:int}/{action}", response_model=RequestOut)
def act(session: SessionDep, actor: CurrentActor, ctx: ContextDep, request_id: Id, action: str,
        body: ActionIn | None = None):
    """Workflow steps: submit, cancel, approve, return, reject, assess, deliver, reclaim. A deliver with
    `prepare_hosts` also creates the host-preparation playbook change of the delivered hosts (a draft)."""
    req = service.act(session, actor, ctx, request_id, action, body or ActionIn(),
                      prepare_hosts=automation.prepare_hosts)
    return service.detail(session, req, ctx)


@router.get("/cloud-capacity", response_model=list[CapacityOut])
def get_capacity(session: SessionDep, actor: CurrentActor):
    return service.capacity(session, actor)


@router.put("/cloud-capacity/{zone}", response_model=list[CapacityOut])
def put_capacity(session: SessionDep, actor: CurrentActor, zone: Zone, data: CapacityIn):
    service.set_capacity(session, actor, zone, data)
    return service.capacity(session, actor)


@router.get("/cloud-quotas", response_model=list[QuotaOut])
def get_quotas(session: SessionDep, actor: CurrentActor):
    return service.quotas(session, actor)


@router.put("/cloud-quotas/{department_id:int}", response_model=list[QuotaOut])
def put_quota(session: SessionDep, actor: CurrentActor, department_id: Id, data: QuotaIn):
    service.set_quota(session, actor, department_id, data)
    return service.quotas(session, actor)
