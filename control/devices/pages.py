"""Web pages of network devices (网络设备): the list with the drift flag and last backup, the device page with
its config versions and a coloured diff between any two, the backup and accept-drift buttons."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from control.core.deps import CurrentActor, SessionDep
from control.core.errors import ServiceError
from control.core.params import Blank, Id, Int32, Offset
from control.core.secrets import is_named_reference
from control.core.textsafe import clean_text
from control.devices import backups, rules, service
from control.devices.enums import Zone
from control.devices.schemas import DeviceCreate
from control.networks.service import NetworkFilter, list_networks
from control.org import service as org_service
from control.web.audit_pages import entity_history
from control.web.render import PostedForm, csrf_protect, field_errors, flash, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50
VERSIONS = 200          # versions listed on the device page
NETWORK_CHOICES = 500   # private networks offered in the form


@router.get("/devices")
def devices_list(request: Request, session: SessionDep, actor: CurrentActor,
                 department_id: Annotated[Id | None, Blank] = None, drifted: Annotated[bool | None, Blank] = None,
                 q: Annotated[str | None, Blank] = None, offset: Annotated[Offset, Blank] = 0):
    f = service.DeviceFilter(department_id=department_id, drifted=drifted,
                             q=clean_text(q or "", multiline=False).strip()[:100] or None)
    items, total = service.list_devices(session, actor, f, PAGE, offset)
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    query = urlencode({k: v for k, v in request.query_params.items() if k != "offset" and v})
    return render(request, "devices/list.html", {
        "items": items, "total": total, "f": f, "offset": offset, "page": PAGE, "query": query, "depts": depts,
        "can_backup": actor.role in service.BACKUP_ROLES, "can_manage": actor.role in service.MANAGE_ROLES})


FORM_FIELDS = ("name", "department_id", "host", "port", "device_type", "site", "network_id", "zone", "username",
               "password_ref", "enable_secret_ref")


def _form_context(session, actor, values: dict, errors=None, message=None) -> dict:
    depts, _ = org_service.list_departments(session, actor, limit=5000)
    networks, _ = list_networks(session, actor, NetworkFilter(), NETWORK_CHOICES)
    return {"values": values, "errors": errors or {}, "message": message, "depts": depts, "networks": networks,
            "zones": list(Zone)}


@router.get("/devices/new")
def new_form(request: Request, session: SessionDep, actor: CurrentActor):
    actor.require(*service.MANAGE_ROLES)
    return render(request, "devices/form.html", _form_context(session, actor, {}))


@router.post("/devices/new")
def create(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    actor.require(*service.MANAGE_ROLES)
    values = {k: str(form.get(k) or "").strip() for k in FORM_FIELDS}
    body = {k: v for k, v in values.items() if v}
    body["on_classified_network"] = form.get("on_classified_network") == "true"
    try:
        device = service.create_device(session, actor, DeviceCreate(**body))
    except (ValidationError, ServiceError) as exc:
        session.rollback()
        if isinstance(exc, ServiceError) and exc.status not in (409, 422):
            raise
        errors, message = field_errors(exc)
        # A classified network's device is not shown back either: nothing about it is kept.
        shown = {"department_id": values["department_id"]} if body["on_classified_network"] else values
        for ref in ("password_ref", "enable_secret_ref"):     # a secret pasted instead of a reference: not shown back
            if not is_named_reference(shown.get(ref, "")):
                shown[ref] = ""
        return render(request, "devices/form.html", _form_context(session, actor, shown, errors, message),
                      status_code=getattr(exc, "status", 422))
    flash(request, "已登记设备“{name}”", name=device.name)
    return redirect(f"/devices/{device.id}")


@router.get("/devices/{device_id:int}")
def detail(request: Request, session: SessionDep, actor: CurrentActor, device_id: Id,
           from_version: Annotated[Int32 | None, Blank] = None, to_version: Annotated[Int32 | None, Blank] = None):
    d = service.detail(session, service.get_device(session, actor, device_id))
    versions, _ = backups.list_backups(session, actor, device_id, VERSIONS)
    diff = None
    if versions and len(versions) > 1:
        to_version = to_version or versions[0].version
        from_version = from_version or versions[1].version
        try:
            diff = backups.diff(session, actor, device_id, from_version, to_version)
        except ServiceError as exc:
            if exc.status != 404:
                raise
    return render(request, "devices/detail.html", {
        "d": d, "versions": versions, "diff": diff, "lines": rules.diff_lines(diff.diff) if diff else [],
        "can_backup": actor.role in service.BACKUP_ROLES, "can_manage": actor.role in service.MANAGE_ROLES,
        "history": entity_history(session, actor, service.ENTITY, d.id)})


@router.get("/devices/{device_id:int}/versions/{version:int}")
def version_page(request: Request, session: SessionDep, actor: CurrentActor, device_id: Id, version: Int32):
    d = service.detail(session, service.get_device(session, actor, device_id))
    return render(request, "devices/version.html", {"d": d, "b": backups.get_version(session, actor, device_id,
                                                                                       version)})


@router.post("/devices/{device_id:int}/backup")
def backup(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, device_id: Id):
    try:
        result = backups.backup_device(session, actor, device_id)
    except ServiceError as exc:
        if exc.status != 409:
            raise
        session.rollback()
        flash(request, "未能执行：{reason}", reason=field_errors(exc)[1])
        return redirect(f"/devices/{device_id}")
    if result.drift:
        flash(request, "已备份：发现配置漂移（第 {version} 版不是本平台的变更）", version=result.backup.version)
    elif result.outcome.value == "changed":
        flash(request, "已备份：保存为第 {version} 版", version=result.backup.version)
    else:
        flash(request, "已备份：配置未变化（仍为第 {version} 版）", version=result.backup.version)
    return redirect(f"/devices/{device_id}")


@router.post("/devices/{device_id:int}/accept-drift")
def accept_drift(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, device_id: Id):
    try:
        service.accept_drift(session, actor, device_id, clean_text(str(form.get("comment") or ""))[:2000])
    except ServiceError as exc:
        if exc.status != 409:
            raise
        session.rollback()
        flash(request, "未能执行：{reason}", reason=field_errors(exc)[1])
        return redirect(f"/devices/{device_id}")
    flash(request, "已确认配置漂移：当前配置作为基线")
    return redirect(f"/devices/{device_id}")
