"""Web pages of cloud resource requests: lists and queues, the request form with resource lines added
and removed in place, the request page with its stage timeline and working-day countdown, capacity and
quotas."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from control.cloud import rules, service
from control.cloud.api import cloud_context
from control.cloud.enums import LineKind, ReclaimReason, RequestStatus, Zone
from control.cloud.schemas import ActionIn, CapacityIn, DeliveredIn, QuotaIn, RequestIn, Trim
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError, ValidationFailed
from control.core.messages import zh_message
from control.core.params import Blank, Id, form_int
from control.core.roles import Role
from control.org import service as org_service
from control.systems.service import SystemFilter, list_systems
from control.web.render import FormDep, PostedForm, csrf_protect, flash, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
LINE_FIELDS = ("kind", "count", "vcpu", "memory_gib", "system_disk_gib", "data_disk_gib", "os_image", "size_gib",
               "quantity", "bandwidth_mbps", "product", "spec", "note")
QUEUES = {Role.bureau: "acceptance", Role.infocenter: "assessment"}


@router.get("/cloud")
def cloud_list(request: Request, session: SessionDep, actor: CurrentActor,
               queue: Annotated[Literal["review", "acceptance", "assessment", "delivery"] | None, Blank] = None,
               overdue: Annotated[bool | None, Blank] = None, awaiting_me: Annotated[bool, Blank] = False,
               status: Annotated[RequestStatus | None, Blank] = None):
    if queue is None and not awaiting_me and status is None and overdue is None:
        queue = QUEUES.get(actor.role)
    f = service.RequestFilter(queue=queue or None, overdue=overdue, awaiting_me=awaiting_me,
                              status=status.value if status else None,
                              sort="due" if queue or overdue else "-created")
    items, total = service.list_requests(session, actor, f, limit=200)
    return render(request, "cloud/list.html", {"items": items, "total": total, "f": f,
                                               "can_file": actor.role == Role.department})


@router.get("/cloud/line")
def line_fragment(request: Request, actor: CurrentActor, i: Annotated[int, Query(ge=0, le=999_999)] = 0,
                  kind: LineKind = LineKind.vm):
    """One resource line of the form, added in place by htmx."""
    return render(request, "cloud/_line.html", {"i": i, "line": {"kind": kind.value, "count": 1},
                                                "kinds": list(LineKind)})


def _form_context(session, actor, values=None, error=None) -> dict:
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    systems, _ = list_systems(session, actor, SystemFilter(classified=False), limit=500)
    return {"values": values or {"lines": [{"kind": "vm", "count": 1}]}, "error": error, "depts": depts,
            "systems": systems, "zones": list(Zone), "kinds": list(LineKind)}


@router.get("/cloud/new")
def new_request(request: Request, session: SessionDep, actor: CurrentActor):
    actor.require(Role.department)
    return render(request, "cloud/form.html", _form_context(session, actor, {
        "department_id": actor.department_id, "contact_name": actor.display_name,
        "lines": [{"kind": "vm", "count": 1}]}))


_LINE_KIND = re.compile(r"lines-(\d{1,6})-kind")  # the form numbers lines below 10^6 (form.html)


def _lines(form: dict[str, Any]) -> list[dict]:
    indexes = sorted({int(m.group(1)) for k in form if (m := _LINE_KIND.fullmatch(k))})
    return [{f: form.get(f"lines-{i}-{f}") or None for f in LINE_FIELDS} for i in indexes]


@router.post("/cloud/new")
def create_request(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    values = {k: (form.get(k) or None) for k in ("department_id", "system_id", "new_system_name", "contact_name",
                                                  "contact_phone", "purpose", "needed_by", "use_until", "zone",
                                                  "protection_level")}
    values["lines"] = _lines(form)
    try:
        req = service.create_request(session, actor, RequestIn(**values),
                                     submit_with=cloud_context(request, session) if form.get("submit_now") else None)
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        message = "；".join(zh_message(e) for e in exc.errors()) \
            if isinstance(exc, ValidationError) else exc.detail
        return render(request, "cloud/form.html", _form_context(session, actor, values, message), status_code=422)
    if form.get("submit_now"):
        flash(request, "已保存申请 {number}并提交", number=req.number)
    else:
        flash(request, "已保存申请 {number}（草稿）", number=req.number)
    return redirect(f"/cloud/{req.id}")


@router.get("/cloud/{request_id:int}")
def request_page(request: Request, session: SessionDep, actor: CurrentActor, request_id: Id):
    ctx = cloud_context(request, session)
    req = service.get_request(session, actor, request_id)
    data = service.detail(session, req, ctx)
    allowed = []
    for action in rules.ACTIONS:
        if (req.status, action) in rules.TRANSITIONS:
            try:
                service._check_actor(session, actor, req, action)
                allowed.append(action)
            except ServiceError:
                pass
    return render(request, "cloud/detail.html", {"r": data, "allowed": allowed, "labels": rules.ACTION_LABELS,
                                                 "reasons": list(ReclaimReason), "today": today()})


@router.post("/cloud/{request_id:int}/attachments")
def upload(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, request_id: Id):
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile):
            raise ValidationFailed("请选择要上传的附件", code="no_file")
        service.add_attachment(session, actor, request_id, file.filename or "attachment", file.content_type or "",
                               file.file, request.app.state.settings.attachment_max_bytes)
        flash(request, "附件已上传")
    except ServiceError as exc:
        flash(request, exc.detail)
    return redirect(f"/cloud/{request_id}")


@router.post("/cloud/{request_id:int}/{action}")
def act(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, request_id: Id, action: str):
    lines = service.lines_of(session, request_id)
    try:
        counts = {line.id: form_int(form.get(f"trim-{line.id}-count"), f"trim-{line.id}-count", "核减后数量")
                  for line in lines}
        trims = [Trim(line_id=line.id, count=counts[line.id], reason=form.get(f"trim-{line.id}-reason") or "评估核减")
                 for line in lines if counts[line.id] is not None and counts[line.id] != line.count]
        delivered = [
            DeliveredIn(
                line_id=line.id,
                name=form[f"item-{line.id}-name"],
                address=form.get(f"item-{line.id}-address") or None,
                spec=form.get(f"item-{line.id}-spec") or None,
            )
            for line in lines
            if form.get(f"item-{line.id}-name")
        ]
        body = ActionIn(comment=form.get("comment", ""), trims=trims, delivered=delivered,
                        delivery_note=form.get("delivery_note") or None,
                        reclaim_reason=form.get("reclaim_reason") or None)
        service.act(session, actor, cloud_context(request, session), request_id, action, body)
        flash(request, "已{action}", action=rules.ACTION_LABELS.get(action, action))
    except ServiceError as exc:
        session.rollback()
        flash(request, exc.detail)
    except ValidationError as exc:
        reasons = "；".join(zh_message(e) for e in exc.errors())
        flash(request, reasons)
    return redirect(f"/cloud/{request_id}")


@router.get("/cloud/capacity")
def capacity_page(request: Request, session: SessionDep, actor: CurrentActor):
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    return render(request, "cloud/capacity.html", {
        "pools": service.capacity(session, actor), "quotas": service.quotas(session, actor), "depts": depts,
        "resources": rules.RESOURCE_LABELS, "can_edit": actor.role in service.CAPACITY_ADMINS})


@router.post("/cloud/capacity/{zone}")
def capacity_save(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, zone: Zone):
    try:
        amounts = {k: form_int(form.get(k), k, label) or 0 for k, label in rules.RESOURCE_LABELS.items()}
        service.set_capacity(session, actor, zone, CapacityIn(**amounts))
        flash(request, "{zone}容量已保存", zone=zone)
    except ServiceError as exc:
        flash(request, exc.detail)
    return redirect("/cloud/capacity")


@router.post("/cloud/quotas")
def quota_save(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    try:
        department_id = form_int(form.get("department_id"), "department_id", "部门", ge=1) or 0
        quota = QuotaIn(**{k: form_int(form.get(k), k, label) for k, label in rules.RESOURCE_LABELS.items()})
        service.set_quota(session, actor, department_id, quota)
        flash(request, "配额已保存")
    except ServiceError as exc:
        flash(request, exc.detail)
    return redirect("/cloud/capacity")
