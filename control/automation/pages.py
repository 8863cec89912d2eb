"""Web pages of automation runs: the list, and a run's page whose events arrive live (htmx polls "events after
N" every two seconds until the run ends, then the page holds the whole stream for replay). Changes: the list,
the form for a device change, and the change page (per device: rendered commands, expected diff and status; the
current run's live events; the buttons the state allows, the approve button disabled with its reason)."""
from __future__ import annotations

from typing import Annotated

import yaml
from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from control.automation import links, rules, service, templates
from control.automation.enums import (
    ChangeKind,
    ChangeStatus,
    RunKind,
    RunMode,
    TargetStatus,
    event_label,
    value_label,
)
from control.automation.schemas import ChangeActionIn, ChangeIn
from control.core.deps import CurrentActor, SessionDep
from control.core.errors import NotFound, ServiceError, ValidationFailed
from control.core.params import Blank, Id, Offset
from control.core.runs import EVENTS_LIMIT, FINISHED, RunStatus
from control.core.textsafe import clean_text
from control.devices import rules as device_rules
from control.devices.service import DeviceFilter, list_devices
from control.web.render import PostedForm, csrf_protect, field_errors, flash, redirect, render, request_locale

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 50
DEVICE_CHOICES = 500    # devices offered in the change form


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


# --- changes ----------------------------------------------------------------------------------------------

ACTION_DONE = {"check": "已开始检查：完成后请查看命令和预计差异", "approve": "已批准变更",
               "apply": "已开始执行：先在第一台设备（金丝雀）上执行", "rollback": "已开始回退",
               "cancel": "已请求取消：正在执行的设备完成后停止", "resume": "已继续执行：先验证已下发的设备"}


def _change_labels(request: Request) -> dict:
    locale = request_locale(request)
    return {"as_change": ChangeStatus, "as_target": TargetStatus, "as_kind": ChangeKind,
            "as_status": RunStatus, "event_label": lambda name: event_label(name, locale), **_kind_labels(request)}


@router.get("/changes")
def changes_list(request: Request, session: SessionDep, actor: CurrentActor,
                 status: Annotated[ChangeStatus | None, Blank] = None,
                 device_id: Annotated[Id | None, Blank] = None, offset: Annotated[Offset, Blank] = 0):
    items, total = service.list_changes(session, actor, status=status, device_id=device_id, limit=PAGE,
                                        offset=offset)
    return render(request, "changes/list.html", {
        "items": items, "total": total, "status": status, "device_id": device_id, "offset": offset, "page": PAGE,
        "statuses": list(ChangeStatus), "can_create": actor.role in service.OPERATE_ROLES,
        **_change_labels(request)})


def _change_context(request: Request, session, actor, change) -> dict:
    out = service.detail(session, change)
    run = next((r for r in out.runs if r.id == change.run_id), None)
    events, more = [], False
    if run is not None:
        run, events, more = service.run_events(session, actor, run.id, 0, EVENTS_LIMIT)
    policy = request.app.state.policy
    return {"c": out, "run": run, "events": events, "last": events[-1].seq if events else 0, "more": more,
            "live": run is not None and (run.status not in FINISHED or more),
            "approve_refusal": service.approval_refusal(actor, change, policy),
            "can_operate": actor.role in service.OPERATE_ROLES, "serves": links.described(session, change),
            "diff_lines": device_rules.diff_lines, **_change_labels(request)}


@router.get("/changes/{change_id:int}")
def change_page(request: Request, session: SessionDep, actor: CurrentActor, change_id: Id):
    change = service.get_change(session, actor, change_id)
    return render(request, "changes/detail.html", _change_context(request, session, actor, change))


@router.get("/changes/{change_id:int}/live")
def change_live(request: Request, session: SessionDep, actor: CurrentActor, change_id: Id,
                shown: Annotated[str | None, Blank] = None):
    """The change's status and per-target table, polled while a run is under way; once the change has moved on
    from what the page shows, the whole page is reloaded (its buttons follow the new state)."""
    change = service.get_change(session, actor, change_id)
    context = _change_context(request, session, actor, change)
    headers = {"HX-Refresh": "true"} if shown and shown != change.status.value else None
    return render(request, "changes/_live.html", context, headers=headers)


@router.post("/changes/{change_id:int}/{action}")
def change_action(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm, change_id: Id,
                  action: str):
    body = ChangeActionIn(comment=clean_text(str(form.get("comment") or ""))[:2000],
                          digest=str(form.get("digest") or "") or None) if action in rules.ACTIONS else None
    try:
        if body is None:
            raise NotFound(f"没有名为 {action[:40]} 的操作")
        service.act(session, actor, request.app.state.policy, change_id, action, body)
    except (ServiceError, ValidationError) as exc:
        if isinstance(exc, ServiceError) and exc.status not in (403, 409, 422):
            raise
        session.rollback()
        flash(request, "未能执行：{reason}", reason=field_errors(exc)[1])
        return redirect(f"/changes/{change_id}")
    flash(request, ACTION_DONE[action])
    return redirect(f"/changes/{change_id}")


@router.get("/changes/new")
def new_change(request: Request, session: SessionDep, actor: CurrentActor,
               template: Annotated[str | None, Blank] = None, plan_step_id: Annotated[Id | None, Blank] = None):
    """The form; with `plan_step_id` (a plan's open connect / migrate / withdraw stage, from the plan page) the
    change serves that step, checked now so that someone who may not tick it off learns at once."""
    actor.require(*service.OPERATE_ROLES)
    values = {"plan_step_id": str(plan_step_id)} if plan_step_id else {}
    return render(request, "changes/new.html", _new_context(session, actor, template, values))


def _new_context(session, actor, template: str | None, values: dict, errors=None, message=None,
                 ticked: list[int] | None = None) -> dict:
    found = templates.load_all().get(template or "")
    devices, _ = list_devices(session, actor, DeviceFilter(), limit=DEVICE_CHOICES)
    step = _plan_step(values)
    serves = links.serve(session, actor, {"plan_step_id": step}) if step else []
    return {"templates": templates.load_all(), "template": found, "values": values, "errors": errors or {},
            "message": message, "devices": devices, "serves": serves, "ticked": ticked or []}


def _plan_step(values: dict) -> int | None:
    raw = str(values.get("plan_step_id") or "")
    return int(raw) if raw.isdecimal() and 0 < int(raw) < 2**31 else None


@router.post("/changes/new")
def create_change(request: Request, session: SessionDep, actor: CurrentActor, form: PostedForm):
    """A device change from the form: the template's variables (a list variable: one item a line), the devices
    ticked in order (the first is the canary)."""
    actor.require(*service.OPERATE_ROLES)
    found = templates.load_all().get(str(form.get("template") or ""))
    values = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "device_ids")}
    if found is None:
        return render(request, "changes/new.html", _new_context(session, actor, None, values, message="请选择模板"),
                      status_code=422)
    variables: dict = {}
    for name, spec in found.header.variables.items():
        raw = clean_text(values.get(f"var_{name}", ""))
        variables[name] = [line.strip() for line in raw.splitlines() if line.strip()] if spec.list else raw.strip()
    ticked = [int(d) for d in form.getlist("device_ids") if str(d).isdecimal()][:500]
    try:
        own = _device_variables(values.get("device_variables", ""), session, actor, ticked)
        data = ChangeIn(kind=ChangeKind.device, template=found.key, variables=variables, device_variables=own,
                        title=clean_text(values.get("title", ""), multiline=False)[:200],
                        device_ids=ticked,
                        concurrency=int(values["concurrency"]) if values.get("concurrency", "").isdecimal() else None,
                        plan_step_id=_plan_step(values))
        change = service.create_change(session, actor, data)
    except (ValidationError, ServiceError) as exc:
        if isinstance(exc, ServiceError) and exc.status not in (409, 422):
            raise
        session.rollback()
        errors, message = field_errors(exc)
        errors = {("device_variables" if k.startswith("device_variables") else k.replace("variables.", "var_")): v
                  for k, v in errors.items()}
        return render(request, "changes/new.html",
                      _new_context(session, actor, found.key, values, errors, message, ticked), status_code=422)
    flash(request, "已建立变更（草稿）：请执行检查")
    return redirect(f"/changes/{change.id}")


DEVICE_VARIABLES_CHARS = 20000


def _device_variables(raw: str, session, actor, ticked: list[int]) -> dict[int, dict]:
    """The form's per-device variables: YAML (JSON is YAML too) mapping a ticked device's name to its own
    variables, e.g. `sw01: {svi_address: 10.31.0.1/24, ports: [FastEthernet0/3]}`, by device id."""
    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed(message, code="bad_device_variables",
                                errors=[{"field": "device_variables", "message": message}])

    if not raw.strip():
        return {}
    if len(raw) > DEVICE_VARIABLES_CHARS:
        raise refuse(f"各设备变量至多 {DEVICE_VARIABLES_CHARS} 个字符")
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        raise refuse("各设备变量不是有效的 YAML" + (f"（第 {where.line + 1} 行）" if where else "")) from None
    if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
        raise refuse("各设备变量应为“设备名称: {变量: 值}”的形式")
    devices, _ = list_devices(session, actor, DeviceFilter(), limit=DEVICE_CHOICES)
    by_name = {d.name: d.id for d in devices if d.id in ticked}
    unknown = sorted(str(name) for name in parsed if str(name) not in by_name)
    if unknown:
        raise refuse(f"设备 {'、'.join(unknown)} 未在下方勾选")
    return {by_name[str(name)]: own for name, own in parsed.items()}
