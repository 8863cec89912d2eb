"""Web pages of cloud resource requests: lists and queues, the request form with resource lines added
and removed in place, the request page with its stage timeline and working-day countdown, capacity and
quotas."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from control.cloud import automation, rules, service
from control.cloud.api import cloud_context
from control.cloud.enums import LineKind, ReclaimReason, RequestStatus, Zone
from control.cloud.schemas import (
    ActionIn,
    CapacityIn,
    DeliveredIn,
    QuotaIn,
    RequestIn,
    RequestUpdate,
    Trim,
    field_label,
)
from control.core.clock import today
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError, ValidationFailed
from control.core.messages import zh_error
from control.core.params import Blank, Id, Offset, form_int
from control.core.roles import Role
from control.org import service as org_service
from control.systems.service import SystemFilter, list_systems
from control.web.render import FormDep, PostedForm, csrf_protect, flash, redirect, render, request_locale

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
LINE_FIELDS = ("kind", "count", "vcpu", "memory_gib", "system_disk_gib", "data_disk_gib", "os_image", "size_gib",
               "quantity", "bandwidth_mbps", "product", "spec", "note")
REQUEST_FIELDS = ("system_id", "new_system_name", "contact_name", "contact_phone", "purpose", "needed_by",
                  "use_until", "zone", "protection_level")
QUEUES = {Role.bureau: "acceptance", Role.infocenter: "assessment"}
PAGE = 50
SORT_LABELS = {"due": "截止日（最近在前）", "-created": "填报时间（最新在前）", "number": "编号"}


@router.get("/cloud")
def cloud_list(request: Request, session: SessionDep, actor: CurrentActor,
               queue: Annotated[Literal["review", "acceptance", "assessment", "delivery"] | None, Blank] = None,
               overdue: Annotated[bool | None, Blank] = None, awaiting_me: Annotated[bool, Blank] = False,
               mine: Annotated[bool, Blank] = False, status: Annotated[RequestStatus | None, Blank] = None,
               sort: Annotated[Literal["due", "-created", "number"] | None, Blank] = None,
               offset: Annotated[Offset, Blank] = 0):
    """Lists and queues, nearest deadline first unless another order is chosen, a page at a time."""
    if not request.query_params.keys() & {"queue", "overdue", "awaiting_me", "mine", "status"}:
        queue = QUEUES.get(actor.role)   # the Bureau and the Information Center land on their queue; ?status= is all
    f = service.RequestFilter(queue=queue or None, overdue=overdue, awaiting_me=awaiting_me, mine=mine,
                              status=status.value if status else None, sort=sort or "due")
    items, total = service.list_requests(session, actor, f, limit=PAGE, offset=offset)
    kept = {**({"queue": queue} if queue else {}),
            **{k: v for k, v in request.query_params.items() if k not in ("sort", "offset")}}
    sorts = [(key, name, "/cloud?" + urlencode({**kept, "sort": key})) for key, name in SORT_LABELS.items()]
    query = urlencode({**kept, **({"sort": sort} if sort else {})})
    return render(request, "cloud/list.html", {"items": items, "total": total, "f": f,
                                               "can_file": actor.role == Role.department, "sorts": sorts,
                                               "offset": offset, "page": PAGE, "query": query})


@router.get("/cloud/line")
def line_fragment(request: Request, actor: CurrentActor, i: Annotated[int, Query(ge=0, le=999_999)] = 0,
                  kind: LineKind = LineKind.vm):
    """One resource line of the form, added in place by htmx."""
    return render(request, "cloud/_line.html", {"i": i, "line": {"kind": kind.value, "count": 1},
                                                "kinds": list(LineKind)})


def _form_context(session, actor, values=None, error=None) -> dict:
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    systems, *_ = list_systems(session, actor, SystemFilter(classified=False), limit=500)
    return {"values": values or {"lines": [{"kind": "vm", "count": 1}]}, "error": error, "depts": depts,
            "systems": systems, "zones": list(Zone), "kinds": list(LineKind), "today": today()}


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


def _form_values(form: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {**{k: (form.get(k) or None) for k in fields}, "lines": _lines(form)}


def _form_error(exc: ValidationError | ServiceError) -> str:
    """A refused form in one zh-CN sentence, each problem led by the label of its field (and line)."""
    if isinstance(exc, ServiceError):
        return exc.detail
    return "；".join(zh_error(e, entity_type="cloud_request") for e in exc.errors())


@router.post("/cloud/new")
def create_request(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep):
    values = _form_values(form, ("department_id", *REQUEST_FIELDS))
    try:
        req = service.create_request(session, actor, RequestIn(**values),
                                     submit_with=cloud_context(request, session) if form.get("submit_now") else None)
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        return render(request, "cloud/form.html", _form_context(session, actor, values, _form_error(exc)),
                      status_code=422)
    if form.get("submit_now"):
        flash(request, "已保存申请 {number}并提交", number=req.number)
    else:
        flash(request, "已保存申请 {number}（草稿）", number=req.number)
    return redirect(f"/cloud/{req.id}")


def _request_page(request: Request, session, actor, request_id: int, values: dict | None = None,
                  error: str | None = None, status_code: int = 200):
    """The request page; a draft or returned request of the actor's own department carries its edit form,
    filled from the request or, after a refused edit, from what was posted."""
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
    locale = request_locale(request)
    page = {"r": data, "allowed": allowed, "reasons": list(ReclaimReason),
            "changes": automation.request_changes(session, actor, req.id), "today": today(),
            "request_label": lambda name: field_label(name, locale),
            "can_edit": req.status in rules.EDITABLE and actor.role == Role.department
            and actor.department_id == req.department_id}
    if page["can_edit"]:
        returns = [s for s in data["stages"] if s["outcome"] == "returned"]
        page["last_return"] = returns[-1] if returns else None
        if values is None:
            values = {k: data[k] for k in REQUEST_FIELDS}
            values["zone"] = req.zone.value
            values["lines"] = [{**line.model_dump(exclude={"id", "request_id"}), "kind": line.kind.value}
                               for line in data["lines"]]
        page.update(_form_context(session, actor, values, error))
    return render(request, "cloud/detail.html", page, status_code=status_code)


@router.get("/cloud/{request_id:int}")
def request_page(request: Request, session: SessionDep, actor: CurrentActor, request_id: Id):
    return _request_page(request, session, actor, request_id)


@router.post("/cloud/{request_id:int}/edit")
def edit_request(request: Request, session: SessionDep, actor: CurrentActor, form: FormDep, request_id: Id):
    """Save the edit form of a draft or returned request (every field and line), and with 提交 or 重新提交
    submit it in the same transaction. A refused edit shows the page again with what was posted."""
    service.editable_request(session, actor, request_id)    # 403/409 before any field is read
    values = _form_values(form, REQUEST_FIELDS)
    submit = bool(form.get("submit_now"))
    try:
        req = service.update_request(session, actor, request_id, RequestUpdate(**values),
                                     submit_with=cloud_context(request, session) if submit else None)
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        return _request_page(request, session, actor, request_id, values, _form_error(exc), status_code=422)
    flash(request, "已保存申请 {number}并提交" if submit else "已保存申请 {number}", number=req.number)
    return redirect(f"/cloud/{req.id}")


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
                        prepare_hosts=form.get("prepare_hosts") == "true",
                        reclaim_reason=form.get("reclaim_reason") or None)
        service.act(session, actor, cloud_context(request, session), request_id, action, body,
                    prepare_hosts=automation.prepare_hosts)
        flash(request, "已{action}", action=rules.ACTION_LABELS.get(action, action))
    except ServiceError as exc:
        session.rollback()
        flash(request, exc.detail)
    except ValidationError as exc:
        reasons = "；".join(zh_error(e, entity_type="cloud_request") for e in exc.errors())
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
