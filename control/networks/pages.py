"""Web pages of private networks (业务专网): list with filters, the network page with its state actions,
the create and edit form (carrier lines as rows, sites one per line, systems picked from the inventory)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from control.core.accounts import LEVEL_ORDER, Level
from control.core.auth import Actor
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from control.core.params import INT64_MAX, Blank, Id, Offset, SearchText, form_int
from control.core.textsafe import clean_text
from control.networks import rules, service
from control.networks.enums import NetworkState
from control.networks.schemas import ActionIn, NetworkCreate, NetworkUpdate
from control.org import service as org_service
from control.systems.service import SystemFilter, list_systems
from control.web.audit_pages import entity_history
from control.web.render import PostedForm, csrf_protect, field_errors, flash, pager_query, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50
SPARE_LINES = 2          # empty carrier-line rows the form offers below those already filled
LINE_FIELDS = ("carrier", "count", "bandwidth_mbps", "yearly_rent")
SYSTEM_CHOICES = 500     # systems offered in the form's list


@router.get("/networks")
def networks_list(request: Request, session: SessionDep, actor: CurrentActor,
                  department_id: Annotated[Id | None, Blank] = None,
                  state: Annotated[NetworkState | None, Blank] = None,
                  fiscal: Annotated[bool | None, Blank] = None, q: Annotated[str | None, Blank] = None,
                  offset: Annotated[Offset, Blank] = 0, region: Annotated[SearchText | None, Blank] = None,
                  level: Annotated[Level | None, Blank] = None):
    f = service.NetworkFilter(department_id=department_id, state=state, fiscal=fiscal,
                              q=clean_text(q or "", multiline=False).strip()[:100] or None, region=region,
                              level=level.value if level else None)
    items, total = service.list_networks(session, actor, f, PAGE, offset)
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    query = pager_query(request)
    return render(request, "networks/list.html", {
        "items": items, "total": total, "f": f, "offset": offset, "page": PAGE, "query": query, "depts": depts,
        "states": list(NetworkState), "levels": LEVEL_ORDER, "can_write": actor.role in service.WRITE_ROLES})


# --- create and edit ------------------------------------------------------------------------------------

def _values(form: Any) -> dict[str, Any]:
    """Posted form fields → API values: blank carrier rows dropped, sites one per line."""
    lines = []
    for i in range(form_int(form.get("line_rows"), "line_rows", "线路行数", le=100) or 0):
        row = {f: str(form.get(f"lines-{i}-{f}") or "").strip() for f in LINE_FIELDS}
        if any(row.values()):
            lines.append({k: v for k, v in row.items() if v})
    sites = [s.strip() for s in str(form.get("sites") or "").splitlines() if s.strip()]
    values: dict[str, Any] = {
        "name": str(form.get("name") or "").strip(), "purpose": str(form.get("purpose") or "").strip() or None,
        "fiscal_funded": form.get("fiscal_funded") == "true", "is_classified": form.get("is_classified") == "true",
        "sites": sites, "lines": lines, "system_ids": [v for v in form.getlist("system_ids") if v]}
    if form.get("department_id"):
        values["department_id"] = form.get("department_id")
    return values


def _system_choices(session, actor: Actor, department_id: Any) -> list:
    """The systems a network of `department_id` may carry: the non-classified ones of its subtree (none
    chosen yet: the actor's scope), at most SYSTEM_CHOICES of them."""
    try:
        department = form_int(department_id, "department_id", "所属部门", ge=1, le=INT64_MAX)
    except ValidationFailed:
        department = None        # the form shows that error next to the field; offer the actor's scope
    systems, *_ = list_systems(session, actor, SystemFilter(classified=False, department_id=department),
                              SYSTEM_CHOICES)
    return systems


def _form_context(session, actor: Actor, network=None, values=None, errors=None, message=None) -> dict:
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    values = values or {}
    lines = list(values.get("lines") or [])
    return {"network": network, "values": values, "errors": errors or {}, "message": message, "depts": depts,
            "systems": _system_choices(session, actor, values.get("department_id")),
            "lines": lines + [{}] * SPARE_LINES, "chosen": {str(s) for s in values.get("system_ids") or []}}


@router.get("/networks/system-choices")
def system_choices(request: Request, session: SessionDep, actor: CurrentActor,
                   department_id: Annotated[Id | None, Blank] = None):
    """The form's list of systems again after the department changed (htmx)."""
    actor.require(*service.WRITE_ROLES)
    return render(request, "networks/_systems.html", {
        "systems": _system_choices(session, actor, department_id), "chosen": set(), "errors": {}})


def _form_refused(request: Request, session, actor, network, values: dict, exc: Exception):
    """The form again with what was typed and the reasons; a refusal for lack of rights goes up as 403."""
    session.rollback()
    if isinstance(exc, Forbidden):
        raise exc
    errors, message = field_errors(exc)
    return render(request, "networks/form.html", _form_context(session, actor, network, values, errors, message),
                  status_code=getattr(exc, "status", 422))


@router.get("/networks/new")
def new_form(request: Request, session: SessionDep, actor: CurrentActor):
    actor.require(*service.WRITE_ROLES)
    return render(request, "networks/form.html",
                  _form_context(session, actor, values={"department_id": actor.department_id}))


@router.post("/networks/new")
def create(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    actor.require(*service.WRITE_ROLES)
    values = _values(form)
    try:
        network = service.create_network(session, actor, NetworkCreate(**values))
    except (ValidationError, ServiceError) as exc:
        # A classified network's name and details are not shown back either: nothing about it is kept.
        shown = {"department_id": values.get("department_id")} if values["is_classified"] else values
        return _form_refused(request, session, actor, None, shown, exc)
    flash(request, "已登记业务专网“{name}”", name=network.name)
    return redirect(f"/networks/{network.id}")


@router.get("/networks/{network_id:int}/edit")
def edit_form(request: Request, session: SessionDep, actor: CurrentActor, network_id: Id):
    actor.require(*service.WRITE_ROLES)
    n = service.detail(session, service.get_network(session, actor, network_id))
    values = {**n.model_dump(), "system_ids": [s.id for s in n.systems]}
    return render(request, "networks/form.html", _form_context(session, actor, n, values))


@router.post("/networks/{network_id:int}/edit")
def update(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, network_id: Id):
    actor.require(*service.WRITE_ROLES)
    network = service.detail(session, service.get_network(session, actor, network_id))
    values = _values(form)
    try:
        kept = service.update_network(session, actor, network_id, NetworkUpdate(**values))
    except (ValidationError, ServiceError) as exc:
        shown = ({**network.model_dump(), "system_ids": [s.id for s in network.systems]} if values["is_classified"]
                 else values)     # what was typed next to 涉密 is not shown back
        return _form_refused(request, session, actor, network, shown, exc)
    if kept is None:
        flash(request, "该业务专网已标为涉密并移出本平台：涉密网络按保密局的程序办理")
        return redirect("/networks")
    flash(request, "已保存")
    return redirect(f"/networks/{network_id}")


# --- the network page and its state actions -------------------------------------------------------------

@router.get("/networks/{network_id:int}")
def detail(request: Request, session: SessionDep, actor: CurrentActor, network_id: Id):
    n = service.detail(session, service.get_network(session, actor, network_id))
    can_write = actor.role in service.WRITE_ROLES
    return render(request, "networks/detail.html", {
        "n": n, "can_write": can_write, "actions": n.actions if can_write else [],
        "outcome_actions": rules.OUTCOME_ACTIONS,
        "history": entity_history(session, actor, service.ENTITY, n.id)})


@router.post("/networks/{network_id:int}/{action}")
def act(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, network_id: Id, action: str):
    if action not in rules.ACTIONS:
        raise NotFound(f"没有“{action}”这一操作")
    try:
        body = ActionIn(on=str(form.get("on") or "").strip() or None, note=str(form.get("note") or ""))
        network = service.act(session, actor, network_id, action, body)
    except (ValidationError, ServiceError) as exc:
        if isinstance(exc, ServiceError) and exc.status not in (409, 422):
            raise
        session.rollback()
        flash(request, "未能执行：{reason}", reason=field_errors(exc)[1] if isinstance(exc, ServiceError)
              else "；".join(field_errors(exc)[0].values()))
        return redirect(f"/networks/{network_id}")
    flash(request, "已登记：当前状态“{state}”", state=network.state)
    return redirect(f"/networks/{network_id}")

