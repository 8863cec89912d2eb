"""Web pages of the inventory: list with filters, system page, edit form, census import."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import select

from control.core.audit import AuditEntry
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import Conflict, ServiceError, ValidationFailed
from control.org import service as org_service
from control.org.models import Role
from control.systems import census, rules, service
from control.systems.enums import Network, SystemKind, SystemStatus, UsageFrequency
from control.systems.fields import CENSUS_FIELDS, SECTIONS
from control.systems.schemas import SystemCreate, SystemUpdate
from control.web.render import check_csrf, flash, form_data, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = 50


def _filter(params: dict[str, str]) -> service.SystemFilter:
    def num(key: str) -> int | None:
        return int(params[key]) if params.get(key, "").isdigit() else None
    return service.SystemFilter(department_id=num("department_id"), network=params.get("network") or None,
                                status=params.get("status") or None, protection_level=num("protection_level"),
                                usage_frequency=params.get("usage_frequency") or None,
                                kind=params.get("kind") or None, q=params.get("q") or None,
                                sort=params.get("sort") or "name")


@router.get("/systems")
def systems_list(request: Request, session: SessionDep, actor: CurrentActor):
    params = dict(request.query_params)
    f = _filter(params)
    offset = int(params.get("offset", "0") or 0)
    items, total = service.list_systems(session, actor, f, PAGE, offset)
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    query = "&".join(f"{k}={v}" for k, v in params.items() if k != "offset" and v)
    ctx = {"items": items, "total": total, "f": f, "offset": offset, "page": PAGE, "query": query, "depts": depts,
           "networks": list(Network), "statuses": list(SystemStatus), "frequencies": list(UsageFrequency),
           "kinds": list(SystemKind), "can_write": actor.role in service.WRITE_ROLES}
    template = "systems/_table.html" if request.headers.get("hx-request") else "systems/list.html"
    return render(request, template, ctx)


@router.get("/systems/import")
def import_page(request: Request, actor: CurrentActor):
    actor.require(*service.WRITE_ROLES)
    return render(request, "systems/import.html", {"errors": None, "result": None})


@router.post("/systems/import")
async def import_upload(request: Request, session: SessionDep, actor: CurrentActor):
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    upload: UploadFile | Any = form.get("file")
    data = await upload.read() if hasattr(upload, "read") else b""
    try:
        result = census.import_workbook(session, actor, data)
    except ValidationFailed as exc:
        session.rollback()
        return render(request, "systems/import.html", {"errors": exc.errors, "detail": exc.detail, "result": None,
                                                       "filename": getattr(upload, "filename", "")}, status_code=422)
    return render(request, "systems/import.html", {"errors": None, "result": result,
                                                   "filename": getattr(upload, "filename", "")})


def _form_context(session, actor, system=None, values=None, errors=None, message=None) -> dict:  # noqa: ANN001
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    return {"system": system, "values": values or {}, "errors": errors or {}, "message": message, "depts": depts,
            "sections": SECTIONS, "fields": CENSUS_FIELDS, "kinds": list(SystemKind)}


@router.get("/systems/new")
def new_form(request: Request, session: SessionDep, actor: CurrentActor):
    actor.require(*service.WRITE_ROLES)
    return render(request, "systems/form.html", _form_context(session, actor, values={
        "department_id": actor.department_id, "kind": "self_built", "status": "registered"}))


def _values(form: dict[str, Any]) -> dict[str, Any]:
    """Form fields → API values: blanks are None, multi-selects lists, ticks booleans."""
    out: dict[str, Any] = {}
    for f in CENSUS_FIELDS:
        raw = form.get(f.name)
        if f.type == "multienum":
            out[f.name] = raw if isinstance(raw, list) else ([raw] if raw else [])
        elif f.type == "bool":
            out[f.name] = {"true": True, "false": False}.get(raw) if f.name != "is_classified" else raw == "true"
        else:
            out[f.name] = raw.strip() if isinstance(raw, str) and raw.strip() else None
    out["user_count_varies"] = form.get("user_count_varies") == "true"
    for key in ("department_id", "kind"):
        if form.get(key):
            out[key] = form[key]
    return out


def _field_errors(exc: Exception) -> tuple[dict[str, str], str]:
    if isinstance(exc, ValidationError):
        return {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}, "请修改标出的字段"
    errors = {e.get("field"): e["message"] for e in getattr(exc, "errors", []) if e.get("field")}
    return errors, exc.detail


@router.post("/systems/new")
async def create(request: Request, session: SessionDep, actor: CurrentActor):
    form = await form_data(request)
    values = _values(form)
    try:
        system = service.create_system(session, actor, SystemCreate(**{k: v for k, v in values.items()
                                                                      if v is not None or k == "user_count"}))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        errors, message = _field_errors(exc)
        return render(request, "systems/form.html", _form_context(session, actor, None, values, errors, message),
                      status_code=422 if not isinstance(exc, Conflict) else 409)
    flash(request, f"已登记“{system.name}”（{system.code}）")
    return redirect(f"/systems/{system.id}")


@router.get("/systems/{system_id:int}")
def detail(request: Request, session: SessionDep, actor: CurrentActor, system_id: int):
    system = service.get_system(session, actor, system_id)
    history = []
    if actor.role in (Role.admin, Role.auditor):
        history = session.execute(select(AuditEntry).where(AuditEntry.entity_type == "system",
                                                           AuditEntry.entity_id == str(system.id))
                                  .order_by(AuditEntry.id.desc()).limit(50)).scalars().all()
    actions = [a for a, target in rules.ACTIONS.items() if (system.status, target) in rules.TRANSITIONS]
    return render(request, "systems/detail.html", {
        "s": service.public(session, system), "sections": SECTIONS, "fields": CENSUS_FIELDS, "history": history,
        "actions": actions if actor.role in service.WRITE_ROLES else [],
        "can_write": actor.role in service.WRITE_ROLES})


@router.get("/systems/{system_id:int}/edit")
def edit_form(request: Request, session: SessionDep, actor: CurrentActor, system_id: int):
    actor.require(*service.WRITE_ROLES)
    system = service.get_system(session, actor, system_id)
    return render(request, "systems/form.html", _form_context(session, actor, system, system.model_dump()))


@router.post("/systems/{system_id:int}/edit")
async def update(request: Request, session: SessionDep, actor: CurrentActor, system_id: int):
    form = await form_data(request)
    system = service.get_system(session, actor, system_id)
    values = _values(form)
    values.pop("code", None)
    try:
        service.update_system(session, actor, system_id, SystemUpdate(**values))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        errors, message = _field_errors(exc)
        return render(request, "systems/form.html", _form_context(session, actor, system, {**values, "code": system.code},
                                                                  errors, message),
                      status_code=409 if isinstance(exc, Conflict) else 422)
    flash(request, "已保存")
    return redirect(f"/systems/{system_id}")


@router.post("/systems/{system_id:int}/{action}")
async def lifecycle(request: Request, session: SessionDep, actor: CurrentActor, system_id: int, action: str):
    form = await form_data(request)
    try:
        if action == "delete":
            service.delete_system(session, actor, system_id, form.get("comment", ""))
            flash(request, "已删除（记录保留在审计日志中）")
            return redirect("/systems")
        service.change_status(session, actor, system_id, action, form.get("comment", ""))
    except Conflict as exc:
        flash(request, exc.detail)
    return redirect(f"/systems/{system_id}")
