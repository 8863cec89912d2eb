"""Web pages of the inventory: list with filters, system page, edit form, census import."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from control.core.accounts import LEVEL_ORDER, Level
from control.core.auth import Actor
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import Forbidden, NotFound, PayloadTooLarge, ServiceError, ValidationFailed
from control.core.params import INT64_MAX, Id, form_choice, form_int
from control.core.textsafe import clean_text
from control.migration.enums import SystemState
from control.org import service as org_service
from control.systems import census, rules, service
from control.systems.enums import Network, SystemKind, SystemStatus, UsageFrequency
from control.systems.fields import CENSUS_FIELDS, SECTIONS
from control.systems.schemas import SystemCreate, SystemUpdate
from control.web.audit_pages import entity_history
from control.web.render import (
    PostedForm,
    csrf_protect,
    field_errors,
    flash,
    pager_query,
    plain_number,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50
FILTER_KEYS = ("department_id", "network", "status", "protection_level", "usage_frequency", "kind", "q",
               "sort", "region", "level", "migration")
SORTS = [("name", "名称"), ("code", "编码"), ("department", "部门"), ("status", "状态"),
         ("protection_level", "等保级别"), ("usage_frequency", "使用频度"), ("-updated_at", "最近更新")]
ACTION_LABELS = {"start": "投入运行", "stop": "停止运行", "decommission": "下线"}


def _filter(params: dict[str, str]) -> service.SystemFilter:
    """The list's filters from its query string; a value that cannot be one (a bookmarked link after a
    rename, a hand-edited URL) is ignored, as the form would never send it."""
    def ignoring_bad(parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except ValidationFailed:
            return None

    def choice(enum, key: str) -> str | None:
        value = ignoring_bad(form_choice, enum, params.get(key), key, key)
        return value.value if value else None

    def number(key: str, ge: int, le: int) -> int | None:
        return ignoring_bad(form_int, params.get(key), key, key, ge=ge, le=le)
    sort = params.get("sort") or "name"
    return service.SystemFilter(department_id=number("department_id", 1, INT64_MAX),
                                network=choice(Network, "network"), status=choice(SystemStatus, "status"),
                                protection_level=number("protection_level", 1, 5),
                                usage_frequency=choice(UsageFrequency, "usage_frequency"),
                                kind=choice(SystemKind, "kind"),
                                q=clean_text(params.get("q") or "", multiline=False).strip()[:100] or None,
                                sort=sort if sort.lstrip("-") in service.SORTABLE else "name",
                                region=clean_text(params.get("region") or "", multiline=False).strip()[:100] or None,
                                level=choice(Level, "level"),
                                migration=params.get("migration") if params.get("migration") in
                                service.MIGRATION_STATES else None)


@router.get("/systems")
def systems_list(request: Request, session: SessionDep, actor: CurrentActor):
    params = {k: v for k, v in request.query_params.items() if k in (*FILTER_KEYS, "offset")}
    f = _filter(params)
    try:
        offset = form_int(params.get("offset"), "offset", "翻页位置", le=INT64_MAX) or 0
    except ValidationFailed:
        offset = 0
    items, total, exact = service.list_systems(session, actor, f, PAGE, offset)
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    query = pager_query(request, FILTER_KEYS)
    ctx = {
        "items": items,
        "total": total,
        "total_exact": exact,
        "f": f,
        "offset": offset,
        "page": PAGE,
        "query": query,
        "depts": depts,
        "networks": list(Network),
        "statuses": list(SystemStatus),
        "frequencies": list(UsageFrequency),
        "kinds": list(SystemKind),
        "sorts": SORTS,
        "levels": LEVEL_ORDER,
        "migration_states": list(SystemState),
        "can_write": actor.role in service.WRITE_ROLES,
    }
    fragment = request.headers.get("hx-request") and not request.headers.get("hx-history-restore-request")
    return render(request, "systems/_table.html" if fragment else "systems/list.html", ctx)


# --- census import --------------------------------------------------------------------------------------

@router.get("/systems/import")
def import_page(request: Request, actor: CurrentActor):
    actor.require(*service.WRITE_ROLES)
    return render(request, "systems/import.html", {"errors": None, "result": None})


@router.post("/systems/import")
def import_upload(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    actor.require(*service.WRITE_ROLES)
    upload = form.get("file")
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    try:
        if not isinstance(upload, UploadFile) or not upload.size:
            raise ValidationFailed("请选择要上传的 .xlsx 普查表", code="no_file")
        # Read from the spooled upload with the app's limits, like the API: never copied into memory whole.
        result = census.import_workbook(session, actor, upload.file,
                                        census.WorkbookLimits.of(request.app.state.settings))
    except (ValidationFailed, PayloadTooLarge) as exc:
        session.rollback()
        return render(request, "systems/import.html", {"errors": exc.errors, "detail": exc.detail,
                                                       "result": None, "filename": filename}, status_code=exc.status)
    return render(request, "systems/import.html", {"errors": None, "result": result, "filename": filename})


# --- create and edit ------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """A value as the form shows it: enum values, money without trailing zeros."""
    if isinstance(value, Decimal):
        return plain_number(value)
    return value.value if hasattr(value, "value") else value


def _form_context(session, actor: Actor, system=None, values=None, errors=None,
                  message=None) -> dict:
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    values = {k: [_plain(x) for x in v] if isinstance(v, list) else _plain(v)
              for k, v in (values or {}).items()}
    kind, classified = values.get("kind") or "self_built", values.get("is_classified") in (True, "true")
    shown = [f for f in CENSUS_FIELDS
             if (kind != "vertical" or f.vertical) and (not classified or f.classified)]
    return {"system": system, "values": values, "errors": errors or {}, "message": message, "depts": depts,
            "sections": {k: v for k, v in SECTIONS.items() if any(f.section == k for f in shown)},
            "fields": shown, "kinds": list(SystemKind), "vertical": kind == "vertical",
            "classified": classified}


def _values(form: Any) -> dict[str, Any]:
    """Posted form fields → API values: blanks are None, multi-selects lists, 是/否 booleans."""
    out: dict[str, Any] = {}
    for f in CENSUS_FIELDS:
        if f.type == "multienum":
            out[f.name] = [v for v in form.getlist(f.name) if v]
            continue
        raw = form.get(f.name)
        raw = raw.strip() if isinstance(raw, str) else None
        if f.type == "bool":
            out[f.name] = {"true": True, "false": False}.get(raw or "")
            if f.name == "is_classified":
                out[f.name] = bool(out[f.name])
        else:
            out[f.name] = raw or None
    out["user_count_varies"] = form.get("user_count_varies") == "true"
    for key in ("department_id", "kind"):
        if form.get(key):
            out[key] = form.get(key)
    return out


@router.get("/systems/new")
def new_form(request: Request, session: SessionDep, actor: CurrentActor):
    """The blank form; with query parameters (the htmx re-render after 类型 or 涉密 changed) it keeps
    what was typed."""
    actor.require(*service.WRITE_ROLES)
    values = {"department_id": actor.department_id, "kind": "self_built", "status": "registered"}
    if request.query_params:
        values.update({k: v for k, v in _values(request.query_params).items() if v not in (None, [])})
    return render(request, "systems/form.html", _form_context(session, actor, values=values))


def _form_refused(request: Request, session, actor, system, values: dict, exc: Exception):
    """The form again, with what was typed and the reasons next to the fields; a refusal for lack of
    rights is not a form error and goes up as 403."""
    session.rollback()
    if isinstance(exc, Forbidden):
        raise exc
    errors, message = field_errors(exc)
    return render(request, "systems/form.html", _form_context(session, actor, system, values, errors, message),
                  status_code=getattr(exc, "status", 422))


@router.post("/systems/new")
def create(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    actor.require(*service.WRITE_ROLES)
    values = _values(form)
    try:
        data = SystemCreate(**{k: v for k, v in values.items() if v is not None})
        system = service.create_system(session, actor, data)
    except (ValidationError, ServiceError) as exc:
        return _form_refused(request, session, actor, None, values, exc)
    flash(request, "已登记“{name}”（{code}）", name=system.name, code=system.code)
    return redirect(f"/systems/{system.id}")


@router.get("/systems/{system_id:int}/edit")
def edit_form(request: Request, session: SessionDep, actor: CurrentActor, system_id: Id):
    actor.require(*service.WRITE_ROLES)
    system = service.get_system(session, actor, system_id)
    values = system.model_dump()
    if "kind" in request.query_params:  # htmx re-render after 类型 or 涉密 changed
        values.update(_values(request.query_params))
    return render(request, "systems/form.html", _form_context(session, actor, system, values))


@router.post("/systems/{system_id:int}/edit")
def update(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, system_id: Id):
    actor.require(*service.WRITE_ROLES)
    system = service.get_system(session, actor, system_id)
    values = _values(form)
    if not values.get("code"):
        values.pop("code", None)  # the code stays unless one is typed
    try:
        service.update_system(session, actor, system_id, SystemUpdate(**values))
    except (ValidationError, ServiceError) as exc:
        return _form_refused(request, session, actor, system, {"code": system.code, **values}, exc)
    flash(request, "已保存")
    return redirect(f"/systems/{system_id}")


# --- the system page and its lifecycle ----------------------------------------------------------------

@router.get("/systems/{system_id:int}")
def detail(request: Request, session: SessionDep, actor: CurrentActor, system_id: Id):
    system = service.get_system(session, actor, system_id)
    can_write = actor.role in service.WRITE_ROLES
    actions = [(a, ACTION_LABELS[a]) for (current, _target), a in rules.TRANSITIONS.items()
               if current == system.status] if can_write else []
    s = service.public(session, system)
    return render(request, "systems/detail.html", {
        "s": s, "sections": SECTIONS, "fields": [f for f in CENSUS_FIELDS if s.kind != SystemKind.vertical
                                                 or f.vertical],
        "history": entity_history(session, actor, "system", system.id), "actions": actions,
        "can_write": can_write, "can_delete": can_write and system.status != SystemStatus.running})


@router.post("/systems/{system_id:int}/{action}")
def lifecycle(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, system_id: Id,
              action: str):
    if action not in (*rules.ACTIONS, "delete"):
        raise NotFound(f"没有“{action}”这一操作")
    comment = str(form.get("comment") or "").strip()
    try:
        if action == "delete":
            service.delete_system(session, actor, system_id, comment)
            flash(request, "已删除（记录保留在审计日志中）")
            return redirect("/systems")
        system = service.change_status(session, actor, system_id, action, comment)
    except ServiceError as exc:
        if exc.status != 409:
            raise
        session.rollback()
        flash(request, "未能执行：{reason}", reason=exc.detail)
        return redirect(f"/systems/{system_id}")
    flash(request, "已{action}：当前状态“{status}”", action=ACTION_LABELS[action], status=system.status)
    return redirect(f"/systems/{system_id}")
